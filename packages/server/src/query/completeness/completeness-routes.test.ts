import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SpanKind } from '../../model/span.ts';
import type { Trace } from '../../model/span.ts';
import { COMPLETENESS_MINUTE } from '../../storage/completeness-reader.ts';
import type { TraceVerdict } from '../../storage/completeness-reader.ts';
import type { CompletenessDelta } from '../../storage/completeness-writer.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import { createQueryApp } from '../query-app.ts';
import { makeResource, makeSpan } from '../test-support/span-builders.ts';
import type { CompletenessResponse } from './completeness-routes.ts';

/*
 * The completeness routes over a real in-memory DuckDB store, rows written through
 * writeCompleteness, at two minutes of the last hour (A, B) so that Quality Metrics'
 * window (which ends now) holds them:
 *   roots     frontend 10 traces, 7 complete (A); cart 2, 1 complete (B)
 *   services  frontend 40 spans, 30 in complete traces; cart 20/12; payment 5/5
 *   edges     frontend→cart 10 calls, 8 answered; frontend→payment 5/5; cart→payment 4/4
 *   breaks    unanswered_call frontend→cart t1; split_trace frontend→cart t2 (other half f2);
 *             fragment cart←frontend f2; orphan frontend t3; late_span cart ×2 (t4, t5)
 */
const M = COMPLETENESS_MINUTE;
const NOW_MINUTE = Math.floor((Date.now() * 1000) / M) * M;
const A = NOW_MINUTE - 10 * M;
const B = NOW_MINUTE - 5 * M;
const HEX = (c: string): string => c.repeat(32);
const T1 = HEX('1');
const T2 = HEX('2');
const F2 = HEX('f');
const T3 = HEX('3');
const T4 = HEX('4');
const T5 = HEX('5');

const DELTA: CompletenessDelta = {
  roots: [
    { tenant: '', minute: A, rootService: 'frontend', traces: 10, complete: 7 },
    { tenant: '', minute: B, rootService: 'cart', traces: 2, complete: 1 },
  ],
  services: [
    { tenant: '', minute: A, service: 'frontend', spans: 40, spansInComplete: 30 },
    { tenant: '', minute: A, service: 'cart', spans: 20, spansInComplete: 12 },
    { tenant: '', minute: B, service: 'payment', spans: 5, spansInComplete: 5 },
  ],
  edges: [
    { tenant: '', minute: A, caller: 'frontend', callee: 'cart', calls: 10, answered: 8 },
    { tenant: '', minute: A, caller: 'frontend', callee: 'payment', calls: 5, answered: 5 },
    { tenant: '', minute: B, caller: 'cart', callee: 'payment', calls: 4, answered: 4 },
  ],
  breaks: [
    {
      tenant: '',
      minute: A,
      cause: 'unanswered_call',
      service: 'frontend',
      peer: 'cart',
      count: 1,
      examples: [T1],
    },
    {
      tenant: '',
      minute: A,
      cause: 'split_trace',
      service: 'frontend',
      peer: 'cart',
      count: 1,
      examples: [`${T2}>${F2}`],
    },
    {
      tenant: '',
      minute: A,
      cause: 'fragment',
      service: 'cart',
      peer: 'frontend',
      count: 1,
      examples: [`${F2}>${T2}`],
    },
    {
      tenant: '',
      minute: A,
      cause: 'orphan',
      service: 'frontend',
      peer: '',
      count: 1,
      examples: [T3],
    },
    {
      tenant: '',
      minute: B,
      cause: 'late_span',
      service: 'cart',
      peer: '',
      count: 2,
      examples: [T4, T5],
    },
  ],
};

const TRACE_ID = 'abcdef0123456789abcdef0123456789';

interface Envelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: { code: number; msg: string }[] | null;
}

/** What was classified, so the test sees that the route handed over the stored trace. */
const classified: Trace[] = [];

async function classifyTrace(trace: Trace): Promise<TraceVerdict> {
  classified.push(trace);
  return {
    traceId: trace.traceId,
    complete: false,
    causes: [
      {
        cause: 'split_trace',
        spanId: trace.spans[0].spanId,
        service: 'frontend',
        peer: 'cart',
        otherTraceId: F2,
      },
    ],
  };
}

describe('completeness API', () => {
  let store: DuckDbStorage;
  let app: FastifyInstance;
  let disabled: FastifyInstance;

  before(async () => {
    store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.writeCompleteness(DELTA);
    await store.write([
      makeSpan({
        traceId: TRACE_ID,
        spanId: '00000000000000a1',
        name: 'GET /cart',
        kind: SpanKind.Client,
        startTime: A + 1_000_000,
        resource: makeResource('frontend'),
      }),
    ]);
    const base = { reader: store, defaultLimit: 20, maxLimit: 1500 };
    app = await createQueryApp({ ...base, completeness: store, classifyTrace });
    disabled = await createQueryApp(base);
  });
  after(async () => {
    await app.close();
    await disabled.close();
    await store.close();
  });

  async function get<T>(
    target: FastifyInstance,
    url: string,
  ): Promise<{ status: number; body: T }> {
    const res = await target.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() as T };
  }

  async function assert400(url: string, message: RegExp): Promise<void> {
    const { status, body } = await get<Envelope<null>>(app, url);
    assert.equal(status, 400, url);
    assert.equal(body.data, null);
    assert.equal(body.errors?.[0].code, 400);
    assert.match(body.errors?.[0].msg ?? '', message, url);
  }

  describe('GET /api/completeness', () => {
    test('the report for a start/end window, in the envelope, with the window echoed', async () => {
      const start = A;
      const end = B + M;
      const { status, body } = await get<Envelope<CompletenessResponse>>(
        app,
        `/api/completeness?start=${start}&end=${end}&step=1m`,
      );
      assert.equal(status, 200);
      assert.deepEqual(
        { total: body.total, limit: body.limit, offset: body.offset, errors: body.errors },
        { total: 0, limit: 0, offset: 0, errors: null },
      );
      const expected = await store.completeness({ tenant: '', start, end, step: M });
      assert.deepEqual(body.data, {
        window: { start, end, step: M },
        service: null,
        ...JSON.parse(JSON.stringify(expected)),
      });
      assert.deepEqual(body.data.summary, { traces: 12, complete: 8, rate: 8 / 12 });
      assert.deepEqual(
        body.data.edges.map((e) => [e.caller, e.callee, e.calls, e.answered, e.breakCount]),
        [
          ['frontend', 'cart', 10, 8, 2],
          ['cart', 'payment', 4, 4, 0],
          ['frontend', 'payment', 5, 5, 0],
        ],
      );
      assert.deepEqual(body.data.causes.find((c) => c.cause === 'split_trace')?.examples, [
        { traceId: T2, otherTraceId: F2 },
      ]);
      // One point per minute from A to B; minutes without traces have a null rate.
      assert.deepEqual(
        body.data.series.map((p) => [p.time, p.traces, p.rate]),
        [
          [A, 10, 0.7],
          [A + M, 0, null],
          [A + 2 * M, 0, null],
          [A + 3 * M, 0, null],
          [A + 4 * M, 0, null],
          [B, 2, 0.5],
        ],
      );
    });

    test('defaults: the last hour up to now, and a step giving at most 120 points', async () => {
      const before = Date.now() * 1000;
      const { status, body } = await get<Envelope<CompletenessResponse>>(app, '/api/completeness');
      const afterUs = Date.now() * 1000;
      assert.equal(status, 200);
      const { start, end, step } = body.data.window;
      assert.ok(end >= before && end <= afterUs, 'end is now');
      assert.equal(end - start, 3600e6);
      assert.equal(step, M);
      assert.equal(body.data.summary.traces, 12);
      const day = await get<Envelope<CompletenessResponse>>(app, '/api/completeness?lookback=48h');
      assert.equal(day.body.data.window.step, 30 * M);
      assert.ok(day.body.data.series.length <= 120);
    });

    test('lookback and service filter', async () => {
      const { body } = await get<Envelope<CompletenessResponse>>(
        app,
        '/api/completeness?lookback=2h&service=cart&step=1h',
      );
      assert.equal(body.data.service, 'cart');
      assert.equal(body.data.window.step, 3600e6);
      assert.deepEqual(body.data.summary, { traces: 2, complete: 1, rate: 0.5 });
      assert.deepEqual(body.data.rootServices, [
        { service: 'cart', traces: 2, complete: 1, rate: 0.5 },
      ]);
      assert.deepEqual(
        body.data.services.map((s) => [s.service, s.breaks]),
        [['cart', { fragment: 1, late_span: 2 }]],
      );
      assert.deepEqual(
        body.data.edges.map((e) => `${e.caller}>${e.callee}`),
        ['frontend>cart', 'cart>payment'],
      );
    });

    test('bad parameters are 400s naming the parameter', async () => {
      await assert400(
        '/api/completeness?lookback=10',
        /parameter "lookback" must be a Go duration/,
      );
      await assert400('/api/completeness?lookback=1d', /parameter "lookback"/);
      await assert400(
        '/api/completeness?step=90s',
        /parameter "step" must be a whole number of minutes/,
      );
      await assert400('/api/completeness?step=0', /parameter "step"/);
      await assert400(
        '/api/completeness?lookback=720h&step=1m',
        /parameter "step" "1m" gives 43201 points/,
      );
      await assert400(
        '/api/completeness?start=20&end=10',
        /parameter "start" must not be after end/,
      );
      await assert400('/api/completeness?end=yesterday', /parameter "end" must be an integer/);
    });

    test('without a completeness reader: 501 saying how to turn it on', async () => {
      const { status, body } = await get<Envelope<null>>(disabled, '/api/completeness');
      assert.equal(status, 501);
      assert.equal(body.errors?.[0].code, 501);
      assert.match(body.errors?.[0].msg ?? '', /pipeline\.processors\.completeness\.enabled/);
    });
  });

  describe('GET /api/completeness/traces/:traceId', () => {
    test("the classifier's verdict on the stored trace, in the envelope", async () => {
      classified.length = 0;
      const { status, body } = await get<Envelope<TraceVerdict>>(
        app,
        `/api/completeness/traces/${TRACE_ID.toUpperCase()}`,
      );
      assert.equal(status, 200);
      assert.equal(classified.length, 1);
      assert.equal(classified[0].traceId, TRACE_ID);
      assert.deepEqual(
        classified[0].spans.map((s) => [s.spanId, s.resource.serviceName]),
        [['00000000000000a1', 'frontend']],
      );
      assert.deepEqual(body.data, {
        traceId: TRACE_ID,
        complete: false,
        causes: [
          {
            cause: 'split_trace',
            spanId: '00000000000000a1',
            service: 'frontend',
            peer: 'cart',
            otherTraceId: F2,
          },
        ],
      });
      assert.equal(body.errors, null);
    });

    test('an unknown trace is a 404, a malformed id a 400, and nothing is classified', async () => {
      classified.length = 0;
      const missing = await get<Envelope<null>>(app, `/api/completeness/traces/${'9'.repeat(32)}`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.errors?.[0].msg ?? '', /trace 9{32} not found/);
      await assert400('/api/completeness/traces/not-hex', /parameter "traceId" must be a trace id/);
      await assert400(
        `/api/completeness/traces/${TRACE_ID}?start=20&end=10`,
        /parameter "start" must not be after end/,
      );
      assert.equal(classified.length, 0);
    });

    test('without a classifier: 501', async () => {
      const { status } = await get<Envelope<null>>(
        disabled,
        `/api/completeness/traces/${TRACE_ID}`,
      );
      assert.equal(status, 501);
    });
  });

  describe('GET /api/quality-metrics (Jaeger UI Quality Metrics page)', () => {
    test('the body has exactly the shape the page reads', async () => {
      for (const url of [
        '/api/quality-metrics?hours=1&service=frontend',
        '/api/quality-metrics?hours=48&service=cart',
        '/api/quality-metrics?service=payment',
        '/api/quality-metrics?service=nobody',
        '/api/quality-metrics',
      ]) {
        const { status, body } = await get<unknown>(app, url);
        assert.equal(status, 200, url);
        assertQualityMetricsShape(body, url);
      }
    });

    test("a service's scores, metrics, examples and details, field by field", async () => {
      const { body } = await get<QualityMetricsBody>(
        app,
        '/api/quality-metrics?hours=1&service=frontend',
      );
      assert.equal(
        body.traceQualityDocumentationLink,
        '/completeness?service=frontend&lookback=1h',
      );
      assert.equal(
        body.bannerText,
        'Trace completeness of frontend, last 1 h: 70.0% of 10 traces complete, 86.7% of 15 outgoing calls answered.',
      );
      assert.deepEqual(body.scores, [
        { key: 'completeness', label: 'Complete traces', max: 100, value: 70 },
        { key: 'spans', label: 'Spans in complete traces', max: 100, value: 75 },
        { key: 'calls', label: 'Answered calls', max: 100, value: (13 / 15) * 100 },
      ]);
      assert.deepEqual(
        body.metrics.map((m) => [m.name, m.category, m.metricWeight, m.passCount, m.failureCount]),
        [
          ['Complete traces', 'completeness', 1, 7, 3],
          ['Spans in complete traces', 'spans', 1, 30, 10],
          ['Answered calls', 'calls', 1, 13, 2],
          ['Orphan spans', 'spans', 0, 39, 1],
          ['Split traces', 'calls', 0, 14, 1],
          ['Unanswered calls', 'calls', 0, 14, 1],
        ],
      );
      const [completeTraces, , calls, orphans, splits] = body.metrics;
      assert.deepEqual(completeTraces.failureExamples, [
        { traceID: T3 },
        { traceID: T1 },
        { traceID: T2 },
        { traceID: F2 },
      ]);
      assert.deepEqual(splits.failureExamples, [{ traceID: T2 }, { traceID: F2 }]);
      assert.equal(
        splits.metricDocumentationLink,
        '/completeness?service=frontend&lookback=1h&cause=split_trace',
      );
      assert.deepEqual(orphans.details, [
        {
          header: 'Other side',
          columns: [
            { key: 'peer', label: 'Peer' },
            { key: 'count', label: 'Count' },
            { key: 'examples', label: 'Examples', preventSort: true },
          ],
          rows: [{ peer: '?', count: 1, examples: [{ traceID: T3 }] }],
        },
      ]);
      assert.equal(calls.details?.length, 1);
      assert.equal(calls.details?.[0].header, 'Outgoing calls');
      assert.deepEqual(calls.details?.[0].rows, [
        {
          callee: 'cart',
          calls: 10,
          answered: 8,
          rate: 80,
          unanswered: 1,
          split: 1,
          examples: [{ traceID: T2 }, { traceID: F2 }, { traceID: T1 }],
        },
        {
          callee: 'payment',
          calls: 5,
          answered: 5,
          rate: 100,
          unanswered: 0,
          split: 0,
          examples: [],
        },
      ]);
    });

    test('a callee: fragments against its incoming calls, late spans against its spans', async () => {
      const { body } = await get<QualityMetricsBody>(
        app,
        '/api/quality-metrics?hours=48&service=cart',
      );
      assert.deepEqual(
        body.scores.map((s) => [s.key, s.value]),
        [
          ['completeness', 50],
          ['spans', 60],
          ['calls', 100],
        ],
      );
      const byName = new Map(body.metrics.map((m) => [m.name, m]));
      assert.deepEqual(
        [byName.get('Fragments')?.passCount, byName.get('Fragments')?.failureCount],
        [8, 1],
      );
      assert.deepEqual(byName.get('Fragments')?.failureExamples, [
        { traceID: F2 },
        { traceID: T2 },
      ]);
      assert.deepEqual(
        [byName.get('Late spans')?.passCount, byName.get('Late spans')?.failureCount],
        [18, 2],
      );
      const incoming = byName
        .get('Answered calls')
        ?.details?.find((d) => d.header === 'Incoming calls');
      assert.deepEqual(incoming?.rows, [
        {
          caller: 'frontend',
          calls: 10,
          answered: 8,
          rate: 80,
          unanswered: 1,
          split: 1,
          examples: [{ traceID: F2 }, { traceID: T2 }],
        },
      ]);
    });

    test('a service without data: a banner saying so, no scores (no 0/0), no metrics', async () => {
      const { body } = await get<QualityMetricsBody>(app, '/api/quality-metrics?service=nobody');
      assert.match(
        body.bannerText ?? '',
        /^No trace completeness data for nobody in the last 48 h/,
      );
      assert.deepEqual([body.scores, body.metrics], [[], []]);
    });

    test('lookback as a Go duration is accepted too; the window ends now', async () => {
      const recent = await get<QualityMetricsBody>(
        app,
        '/api/quality-metrics?lookback=7m&service=cart',
      );
      // Only minute B (5 minutes ago) is in the last 7 minutes.
      assert.deepEqual(recent.body.scores[0], {
        key: 'completeness',
        label: 'Complete traces',
        max: 100,
        value: 50,
      });
      assert.equal(
        recent.body.metrics.find((m) => m.name === 'Fragments'),
        undefined,
      );
    });

    test('bad parameters: 400 in the envelope (the page shows errors[].msg)', async () => {
      await assert400(
        '/api/quality-metrics?hours=0',
        /parameter "hours" must be a positive whole number/,
      );
      await assert400('/api/quality-metrics?hours=two', /parameter "hours" must be an integer/);
      await assert400(
        '/api/quality-metrics?hours=99999999',
        /parameter "hours" reaches back before 1970/,
      );
      await assert400('/api/quality-metrics?lookback=0s', /parameter "lookback" must be positive/);
    });

    test('without a completeness reader: 501', async () => {
      const { status } = await get<Envelope<null>>(
        disabled,
        '/api/quality-metrics?hours=48&service=cart',
      );
      assert.equal(status, 501);
    });
  });
});

describe('completeness API: storage failures', () => {
  test('are 500s in the envelope, not a crash', async () => {
    const closed = new DuckDbStorage({ path: ':memory:' });
    await closed.open();
    await closed.close();
    const app = await createQueryApp({
      reader: closed,
      completeness: closed,
      defaultLimit: 20,
      maxLimit: 1500,
    });
    try {
      for (const url of ['/api/completeness', '/api/quality-metrics?service=cart']) {
        const res = await app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 500, url);
        const body = res.json() as Envelope<null>;
        assert.equal(body.data, null);
        assert.equal(body.errors?.[0].code, 500);
      }
    } finally {
      await app.close();
    }
  });
});

interface QualityMetricsBody {
  traceQualityDocumentationLink: string;
  bannerText?: string;
  scores: { key: string; label: string; max: number; value: number }[];
  metrics: {
    name: string;
    category: string;
    description: string;
    metricDocumentationLink: string;
    metricWeight: number;
    passCount: number;
    failureCount: number;
    failureExamples?: { traceID: string }[];
    details?: {
      header?: string;
      description?: string;
      columns: unknown[];
      rows: Record<string, unknown>[];
    }[];
  }[];
}

/*
 * Jaeger UI's TQualityMetrics (packages/jaeger-ui/src/components/QualityMetrics/types.ts),
 * TExample (common/ExamplesLink.tsx), TColumnDef and TRow (common/DetailsCard/types.ts):
 * every field present has the type the page expects, no unknown field (a misspelt one
 * would be silently ignored by the page), and no 0/0 the page would show as NaN%.
 */
function assertQualityMetricsShape(body: unknown, url: string): void {
  const at = (path: string) => `${url}: ${path}`;
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), at(`${path} is an object`));
    return v as Record<string, unknown>;
  };
  const keys = (
    o: Record<string, unknown>,
    required: string[],
    optional: string[],
    path: string,
  ) => {
    for (const k of required) assert.ok(k in o, at(`${path}.${k} is present`));
    for (const k of Object.keys(o)) {
      assert.ok(required.includes(k) || optional.includes(k), at(`${path}.${k} is a known field`));
    }
  };
  const str = (v: unknown, path: string) =>
    assert.equal(typeof v, 'string', at(`${path} is a string`));
  const num = (v: unknown, path: string) =>
    assert.ok(typeof v === 'number' && Number.isFinite(v), at(`${path} is a finite number`));
  const examples = (v: unknown, path: string) => {
    assert.ok(Array.isArray(v), at(`${path} is an array`));
    (v as unknown[]).forEach((e, i) => {
      const o = obj(e, `${path}[${i}]`);
      keys(o, ['traceID'], ['spanIDs'], `${path}[${i}]`);
      assert.match(o.traceID as string, /^[0-9a-f]{32}$/, at(`${path}[${i}].traceID`));
    });
  };

  const root = obj(body, 'body');
  keys(
    root,
    ['traceQualityDocumentationLink', 'scores', 'metrics'],
    ['bannerText', 'clients'],
    'body',
  );
  str(root.traceQualityDocumentationLink, 'traceQualityDocumentationLink');
  if (root.bannerText !== undefined) str(root.bannerText, 'bannerText');
  assert.ok(Array.isArray(root.scores), at('scores is an array'));
  const scoreKeys = new Set<string>();
  (root.scores as unknown[]).forEach((s, i) => {
    const o = obj(s, `scores[${i}]`);
    keys(o, ['key', 'label', 'max', 'value'], [], `scores[${i}]`);
    str(o.key, `scores[${i}].key`);
    str(o.label, `scores[${i}].label`);
    num(o.max, `scores[${i}].max`);
    num(o.value, `scores[${i}].value`);
    assert.ok((o.max as number) > 0, at(`scores[${i}].max > 0`));
    scoreKeys.add(o.key as string);
  });
  assert.ok(Array.isArray(root.metrics), at('metrics is an array'));
  const names = new Set<string>();
  (root.metrics as unknown[]).forEach((m, i) => {
    const p = `metrics[${i}]`;
    const o = obj(m, p);
    keys(
      o,
      [
        'name',
        'category',
        'description',
        'metricDocumentationLink',
        'metricWeight',
        'passCount',
        'failureCount',
      ],
      ['passExamples', 'failureExamples', 'exemptionCount', 'exemptionExamples', 'details'],
      p,
    );
    for (const k of ['name', 'category', 'description', 'metricDocumentationLink'])
      str(o[k], `${p}.${k}`);
    for (const k of ['metricWeight', 'passCount', 'failureCount']) num(o[k], `${p}.${k}`);
    assert.ok(
      (o.passCount as number) + (o.failureCount as number) > 0,
      at(`${p} has something to count`),
    );
    assert.ok(scoreKeys.has(o.category as string), at(`${p}.category matches a score key`));
    assert.ok(!names.has(o.name as string), at(`${p}.name is unique (the page keys cards by it)`));
    names.add(o.name as string);
    if (o.passExamples !== undefined) examples(o.passExamples, `${p}.passExamples`);
    if (o.failureExamples !== undefined) examples(o.failureExamples, `${p}.failureExamples`);
    if (o.details !== undefined) {
      assert.ok(Array.isArray(o.details), at(`${p}.details is an array`));
      (o.details as unknown[]).forEach((d, j) => {
        const dp = `${p}.details[${j}]`;
        const od = obj(d, dp);
        keys(od, ['columns', 'rows'], ['description', 'header'], dp);
        if (od.header !== undefined) str(od.header, `${dp}.header`);
        if (od.description !== undefined) str(od.description, `${dp}.description`);
        assert.ok(Array.isArray(od.columns), at(`${dp}.columns is an array`));
        const columnKeys = new Set<string>();
        (od.columns as unknown[]).forEach((c, k) => {
          const oc = obj(c, `${dp}.columns[${k}]`);
          keys(oc, ['key'], ['label', 'preventSort', 'styling'], `${dp}.columns[${k}]`);
          str(oc.key, `${dp}.columns[${k}].key`);
          if (oc.label !== undefined) str(oc.label, `${dp}.columns[${k}].label`);
          if (oc.preventSort !== undefined) assert.equal(typeof oc.preventSort, 'boolean');
          columnKeys.add(oc.key as string);
        });
        assert.ok(Array.isArray(od.rows), at(`${dp}.rows is an array`));
        (od.rows as unknown[]).forEach((r, k) => {
          const or = obj(r, `${dp}.rows[${k}]`);
          for (const [col, v] of Object.entries(or)) {
            const cp = `${dp}.rows[${k}].${col}`;
            assert.ok(columnKeys.has(col), at(`${cp} has a column`));
            if (Array.isArray(v)) examples(v, cp);
            else
              assert.ok(
                typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)),
                at(`${cp} is text or a number`),
              );
          }
        });
      });
    }
  });
}
