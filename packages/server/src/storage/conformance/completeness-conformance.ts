import { DEFAULT_TENANT } from '../../model/span.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSkeinError } from '../../errors.ts';
import { COMPLETENESS_MINUTE } from '../completeness-reader.ts';
import type {
  CompletenessQuery,
  CompletenessReader,
  CompletenessReport,
} from '../completeness-reader.ts';
import type { CompletenessDelta, CompletenessWriter } from '../completeness-writer.ts';
import type { Storage } from '../storage.ts';

/** A backend under test: a store that also keeps and reads completeness aggregates. */
export type CompletenessStorage = Storage & CompletenessWriter & CompletenessReader;

const M = COMPLETENESS_MINUTE;
/** 2026-01-01T12:00:00Z, µs (a multiple of two minutes, so 2-minute buckets start at T0). */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0) * 1000;

/*
 * The fixture: three flushes, as the completeness processor would write them.
 *
 * Flush 1, minute 0: frontend roots 10 traces (8 complete), worker 2 (2), cart 1 (1: trace
 * f01, counted complete at first); an unanswered call frontend→cart in t01, an orphan in
 * cart (t02), three late spans in frontend.
 * Flush 2, the correction: f01 turns out to be the callee half of t01, so t01's break is
 * a split (unanswered_call -1 withdraws example t01, split_trace +1), f01 is a fragment
 * and no longer complete (cart complete -1, spansInComplete -2); and minute 1: frontend
 * 5 (5), worker 1 (0, rootless t10), an orphan in payment (t11), four late spans.
 * Flush 3, minute 3: frontend 4 (3), an unanswered call frontend→cart in t20, and a late
 * span of t06 again (its example must appear once, at its newest minute).
 */
const FLUSHES: CompletenessDelta[] = [
  {
    roots: [
      { tenant: DEFAULT_TENANT, minute: T0, rootService: 'frontend', traces: 10, complete: 8 },
      { tenant: DEFAULT_TENANT, minute: T0, rootService: 'worker', traces: 2, complete: 2 },
      { tenant: DEFAULT_TENANT, minute: T0, rootService: 'cart', traces: 1, complete: 1 },
    ],
    services: [
      { tenant: DEFAULT_TENANT, minute: T0, service: 'frontend', spans: 30, spansInComplete: 24 },
      { tenant: DEFAULT_TENANT, minute: T0, service: 'cart', spans: 12, spansInComplete: 10 },
      { tenant: DEFAULT_TENANT, minute: T0, service: 'worker', spans: 4, spansInComplete: 4 },
    ],
    edges: [
      {
        tenant: DEFAULT_TENANT,
        minute: T0,
        caller: 'frontend',
        callee: 'cart',
        calls: 10,
        answered: 9,
      },
      {
        tenant: DEFAULT_TENANT,
        minute: T0,
        caller: 'frontend',
        callee: 'payment',
        calls: 5,
        answered: 5,
      },
    ],
    breaks: [
      b(0, 'unanswered_call', 'frontend', 'cart', 1, ['t01']),
      b(0, 'orphan', 'cart', '', 1, ['t02']),
      b(0, 'late_span', 'frontend', '', 3, ['t03', 't04', 't05']),
    ],
  },
  {
    roots: [
      { tenant: DEFAULT_TENANT, minute: T0, rootService: 'cart', traces: 0, complete: -1 },
      { tenant: DEFAULT_TENANT, minute: T0 + M, rootService: 'frontend', traces: 5, complete: 5 },
      { tenant: DEFAULT_TENANT, minute: T0 + M, rootService: 'worker', traces: 1, complete: 0 },
    ],
    services: [
      { tenant: DEFAULT_TENANT, minute: T0, service: 'cart', spans: 0, spansInComplete: -2 },
      {
        tenant: DEFAULT_TENANT,
        minute: T0 + M,
        service: 'frontend',
        spans: 15,
        spansInComplete: 15,
      },
      { tenant: DEFAULT_TENANT, minute: T0 + M, service: 'worker', spans: 2, spansInComplete: 0 },
      { tenant: DEFAULT_TENANT, minute: T0 + M, service: 'payment', spans: 2, spansInComplete: 0 },
    ],
    edges: [
      {
        tenant: DEFAULT_TENANT,
        minute: T0 + M,
        caller: 'frontend',
        callee: 'cart',
        calls: 5,
        answered: 5,
      },
    ],
    breaks: [
      b(0, 'unanswered_call', 'frontend', 'cart', -1, ['t01']),
      b(0, 'split_trace', 'frontend', 'cart', 1, ['t01>f01']),
      b(0, 'fragment', 'cart', 'frontend', 1, ['f01>t01']),
      b(1, 'rootless', 'worker', '', 1, ['t10']),
      b(1, 'orphan', 'payment', '', 1, ['t11']),
      b(1, 'late_span', 'frontend', '', 4, ['t06', 't07', 't08', 't09']),
    ],
  },
  {
    roots: [
      {
        tenant: DEFAULT_TENANT,
        minute: T0 + 3 * M,
        rootService: 'frontend',
        traces: 4,
        complete: 3,
      },
    ],
    services: [
      {
        tenant: DEFAULT_TENANT,
        minute: T0 + 3 * M,
        service: 'frontend',
        spans: 12,
        spansInComplete: 9,
      },
      { tenant: DEFAULT_TENANT, minute: T0 + 3 * M, service: 'cart', spans: 3, spansInComplete: 2 },
    ],
    edges: [
      {
        tenant: DEFAULT_TENANT,
        minute: T0 + 3 * M,
        caller: 'frontend',
        callee: 'cart',
        calls: 4,
        answered: 3,
      },
    ],
    breaks: [
      b(3, 'unanswered_call', 'frontend', 'cart', 1, ['t20']),
      b(3, 'late_span', 'frontend', '', 1, ['t06']),
    ],
  },
];

function b(
  minute: number,
  cause: CompletenessDelta['breaks'][number]['cause'],
  service: string,
  peer: string,
  count: number,
  examples: string[],
): CompletenessDelta['breaks'][number] {
  return { tenant: DEFAULT_TENANT, minute: T0 + minute * M, cause, service, peer, count, examples };
}

/** The whole fixture: minutes 0 to 3, 2-minute buckets. */
const ALL: CompletenessQuery = { tenant: DEFAULT_TENANT, start: T0, end: T0 + 4 * M, step: 2 * M };

const EXPECTED_ALL: CompletenessReport = {
  summary: { traces: 23, complete: 18, rate: 18 / 23 },
  rootServices: [
    { service: 'frontend', traces: 19, complete: 16, rate: 16 / 19 },
    { service: 'cart', traces: 1, complete: 0, rate: 0 },
    { service: 'worker', traces: 3, complete: 2, rate: 2 / 3 },
  ],
  services: [
    {
      service: 'frontend',
      spans: 57,
      spansInComplete: 48,
      rate: 48 / 57,
      breaks: { unanswered_call: 1, split_trace: 1, late_span: 8 },
      breakCount: 2,
    },
    {
      service: 'cart',
      spans: 15,
      spansInComplete: 10,
      rate: 10 / 15,
      breaks: { orphan: 1, fragment: 1 },
      breakCount: 2,
    },
    {
      service: 'payment',
      spans: 2,
      spansInComplete: 0,
      rate: 0,
      breaks: { orphan: 1 },
      breakCount: 1,
    },
    {
      service: 'worker',
      spans: 6,
      spansInComplete: 4,
      rate: 4 / 6,
      breaks: { rootless: 1 },
      breakCount: 1,
    },
  ],
  edges: [
    {
      caller: 'frontend',
      callee: 'cart',
      calls: 19,
      answered: 17,
      rate: 17 / 19,
      breaks: { unanswered_call: 1, split_trace: 1 },
      breakCount: 2,
    },
    {
      caller: 'frontend',
      callee: 'payment',
      calls: 5,
      answered: 5,
      rate: 1,
      breaks: {},
      breakCount: 0,
    },
  ],
  causes: [
    {
      cause: 'late_span',
      incomplete: false,
      count: 8,
      top: [
        {
          service: 'frontend',
          peer: '',
          count: 8,
          examples: [
            { traceId: 't06' },
            { traceId: 't07' },
            { traceId: 't08' },
            { traceId: 't09' },
            { traceId: 't03' },
          ],
        },
      ],
      examples: [
        { traceId: 't06' },
        { traceId: 't07' },
        { traceId: 't08' },
        { traceId: 't09' },
        { traceId: 't03' },
      ],
    },
    {
      cause: 'orphan',
      incomplete: true,
      count: 2,
      top: [
        { service: 'cart', peer: '', count: 1, examples: [{ traceId: 't02' }] },
        { service: 'payment', peer: '', count: 1, examples: [{ traceId: 't11' }] },
      ],
      examples: [{ traceId: 't11' }, { traceId: 't02' }],
    },
    {
      cause: 'fragment',
      incomplete: true,
      count: 1,
      top: [
        {
          service: 'cart',
          peer: 'frontend',
          count: 1,
          examples: [{ traceId: 'f01', otherTraceId: 't01' }],
        },
      ],
      examples: [{ traceId: 'f01', otherTraceId: 't01' }],
    },
    {
      cause: 'rootless',
      incomplete: true,
      count: 1,
      top: [{ service: 'worker', peer: '', count: 1, examples: [{ traceId: 't10' }] }],
      examples: [{ traceId: 't10' }],
    },
    {
      cause: 'split_trace',
      incomplete: true,
      count: 1,
      top: [
        {
          service: 'frontend',
          peer: 'cart',
          count: 1,
          examples: [{ traceId: 't01', otherTraceId: 'f01' }],
        },
      ],
      examples: [{ traceId: 't01', otherTraceId: 'f01' }],
    },
    {
      cause: 'unanswered_call',
      incomplete: true,
      count: 1,
      // t01 was withdrawn by the correction's negative row.
      top: [{ service: 'frontend', peer: 'cart', count: 1, examples: [{ traceId: 't20' }] }],
      examples: [{ traceId: 't20' }],
    },
  ],
  series: [
    { time: T0, traces: 19, complete: 15, rate: 15 / 19 },
    { time: T0 + 2 * M, traces: 4, complete: 3, rate: 3 / 4 },
  ],
};

function isInvalidParameter(err: unknown): boolean {
  return isSkeinError(err) && err.code === 'SKEIN_INVALID_PARAMETER';
}

/**
 * The completeness half of the conformance suite: the fixture's delta rows in (with
 * negative corrections), exact counts, rates, causes, examples and series out, for every
 * backend.
 */
export function runCompletenessConformance(
  name: string,
  createStorage: () => Promise<CompletenessStorage>,
): void {
  describe(`completeness conformance: ${name}`, () => {
    let store: CompletenessStorage;
    before(async () => {
      store = await createStorage();
      await store.open();
      for (const flush of FLUSHES) await store.writeCompleteness(flush);
    });
    after(() => store.close());

    test('the whole window: deltas summed per key, corrections applied, everything sorted', async () => {
      assert.deepEqual(await store.completeness(ALL), EXPECTED_ALL);
    });

    test('per-minute series: one point per minute, empty minutes with 0 traces and a null rate', async () => {
      const got = await store.completeness({ ...ALL, step: M });
      assert.deepEqual(got.series, [
        { time: T0, traces: 13, complete: 10, rate: 10 / 13 },
        { time: T0 + M, traces: 6, complete: 5, rate: 5 / 6 },
        { time: T0 + 2 * M, traces: 0, complete: 0, rate: null },
        { time: T0 + 3 * M, traces: 4, complete: 3, rate: 3 / 4 },
      ]);
      assert.deepEqual(got.summary, EXPECTED_ALL.summary);
    });

    test('a key whose deltas cancel out in the window is left out', async () => {
      const got = await store.completeness({
        tenant: DEFAULT_TENANT,
        start: T0,
        end: T0 + M,
        step: M,
      });
      // Minute 0 alone: t01's unanswered_call (+1, -1) is gone, its split remains.
      assert.deepEqual(
        got.causes.map((c) => [c.cause, c.count]),
        [
          ['late_span', 3],
          ['fragment', 1],
          ['orphan', 1],
          ['split_trace', 1],
        ],
      );
      assert.deepEqual(got.edges[0].breaks, { split_trace: 1 });
      assert.deepEqual(got.summary, { traces: 13, complete: 10, rate: 10 / 13 });
      assert.deepEqual(got.rootServices, [
        { service: 'frontend', traces: 10, complete: 8, rate: 8 / 10 },
        { service: 'cart', traces: 1, complete: 0, rate: 0 },
        { service: 'worker', traces: 2, complete: 2, rate: 1 },
      ]);
    });

    test('minutes that overlap the window count, others do not', async () => {
      // [T0+30s, T0+61s) overlaps minutes 0 and 1; [T0+3m, T0+4m) is minute 3 alone.
      const partial = await store.completeness({
        tenant: DEFAULT_TENANT,
        start: T0 + 30e6,
        end: T0 + M + 1e6,
        step: M,
      });
      assert.deepEqual(partial.summary, { traces: 19, complete: 15, rate: 15 / 19 });
      assert.deepEqual(
        partial.series.map((p) => p.time),
        [T0, T0 + M],
      );
      const last = await store.completeness({
        tenant: DEFAULT_TENANT,
        start: T0 + 3 * M,
        end: T0 + 4 * M,
        step: M,
      });
      assert.deepEqual(last.summary, { traces: 4, complete: 3, rate: 3 / 4 });
      assert.deepEqual(last.edges, [
        {
          caller: 'frontend',
          callee: 'cart',
          calls: 4,
          answered: 3,
          rate: 3 / 4,
          breaks: { unanswered_call: 1 },
          breakCount: 1,
        },
      ]);
      assert.deepEqual(
        last.causes.map((c) => [c.cause, c.count, c.examples]),
        [
          ['late_span', 1, [{ traceId: 't06' }]],
          ['unanswered_call', 1, [{ traceId: 't20' }]],
        ],
      );
    });

    test('service filter: its root traces, its own row, its edges, breaks at it or with it as peer', async () => {
      const got = await store.completeness({ ...ALL, service: 'cart' });
      assert.deepEqual(got.summary, { traces: 1, complete: 0, rate: 0 });
      assert.deepEqual(got.rootServices, [{ service: 'cart', traces: 1, complete: 0, rate: 0 }]);
      assert.deepEqual(got.services, [EXPECTED_ALL.services[1]]);
      assert.deepEqual(got.edges, [EXPECTED_ALL.edges[0]]);
      assert.deepEqual(
        got.causes.map((c) => c.cause),
        ['fragment', 'orphan', 'split_trace', 'unanswered_call'],
      );
      assert.deepEqual(got.series, [
        { time: T0, traces: 1, complete: 0, rate: 0 },
        { time: T0 + 2 * M, traces: 0, complete: 0, rate: null },
      ]);
    });

    test('a service nobody knows: zero counts and empty lists', async () => {
      const got = await store.completeness({ ...ALL, service: 'nobody' });
      assert.deepEqual(got.summary, { traces: 0, complete: 0, rate: null });
      assert.deepEqual([got.rootServices, got.services, got.edges, got.causes], [[], [], [], []]);
      assert.equal(got.series.length, 2);
    });

    test('a window without data, and an empty window', async () => {
      const later = await store.completeness({
        tenant: DEFAULT_TENANT,
        start: T0 + 10 * M,
        end: T0 + 12 * M,
        step: M,
      });
      assert.deepEqual(later.summary, { traces: 0, complete: 0, rate: null });
      assert.equal(later.series.length, 2);
      const empty = await store.completeness({
        tenant: DEFAULT_TENANT,
        start: T0,
        end: T0,
        step: M,
      });
      assert.deepEqual(empty, {
        summary: { traces: 0, complete: 0, rate: null },
        rootServices: [],
        services: [],
        edges: [],
        causes: [],
        series: [],
      });
    });

    test('bad queries are refused with InvalidParameterError', async () => {
      for (const q of [
        { tenant: DEFAULT_TENANT, start: T0 + M, end: T0, step: M },
        { ...ALL, step: 0 },
        { ...ALL, step: 90e6 },
        { ...ALL, step: -M },
        { tenant: DEFAULT_TENANT, start: T0 - 30 * 24 * 60 * M, end: T0, step: M },
        { ...ALL, start: Number.NaN },
      ]) {
        await assert.rejects(store.completeness(q), isInvalidParameter, JSON.stringify(q));
      }
    });

    test('an empty delta writes nothing', async () => {
      await store.writeCompleteness({ roots: [], services: [], edges: [], breaks: [] });
      assert.deepEqual(await store.completeness(ALL), EXPECTED_ALL);
    });
  });

  describe(`completeness conformance: ${name}: purge`, () => {
    let store: CompletenessStorage;
    before(async () => {
      store = await createStorage();
      await store.open();
      for (const flush of FLUSHES) await store.writeCompleteness(flush);
    });
    after(() => store.close());

    test('purgeBefore deletes the minutes that ended before the cutoff, keeps the rest', async () => {
      await store.purgeBefore(T0 + 2 * M);
      const got = await store.completeness(ALL);
      assert.deepEqual(got.summary, { traces: 4, complete: 3, rate: 3 / 4 });
      assert.deepEqual(
        got.services.map((s) => [s.service, s.spans, s.spansInComplete]),
        [
          ['frontend', 12, 9],
          ['cart', 3, 2],
        ],
      );
      assert.deepEqual(
        got.causes.map((c) => [c.cause, c.count, c.examples]),
        [
          ['late_span', 1, [{ traceId: 't06' }]],
          ['unanswered_call', 1, [{ traceId: 't20' }]],
        ],
      );
    });

    test('purging everything leaves an empty report', async () => {
      await store.purgeBefore(T0 + 10 * M);
      const got = await store.completeness(ALL);
      assert.deepEqual(got.summary, { traces: 0, complete: 0, rate: null });
      assert.deepEqual([got.rootServices, got.services, got.edges, got.causes], [[], [], [], []]);
    });
  });
}
