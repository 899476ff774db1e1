import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AdminServer } from '../../../admin/admin-server.ts';
import type { MetricsFormat } from '../../../admin/metrics-format.ts';
import { defaultConfig } from '../../../config/config.ts';
import { SpanKind, StatusCode } from '../../../model/span.ts';
import type { ProcessorCounters } from '../../processor.ts';
import { createSpanMetricsFactory } from './span-metrics-factory.ts';
import { testSpan } from './test-support/test-spans.ts';

const NOW_MS = 1_700_000_040_000;
const counters: ProcessorCounters = { changed: () => {}, dropped: () => {} };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number; timestamp?: number };
}

interface Parsed {
  /** Family name → type, in order of appearance. */
  types: Map<string, string>;
  samples: Sample[];
}

/**
 * A strict parser for the subset of both text formats Skein writes: every line is
 * `# HELP`, `# TYPE`, `# EOF` (OpenMetrics: once, last) or a sample of the family
 * typed last; label values may only use the `\\`, `\"` and `\n` escapes.
 */
function parseExposition(text: string, format: MetricsFormat): Parsed {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (format === 'openmetrics') {
    assert.equal(lines.pop(), '# EOF', 'OpenMetrics ends with # EOF');
  }
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  let family = '';
  let type = '';
  for (const line of lines) {
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, t] = line.split(' ');
      assert.ok(!types.has(name), `family ${name} typed twice`);
      types.set(name, t);
      family = name;
      type = t;
      continue;
    }
    assert.ok(!line.startsWith('#'), `unexpected comment line: ${line}`);
    const at = { i: 0 };
    const name = readName(line, at);
    const labels = line[at.i] === '{' ? readLabels(line, at) : {};
    assert.equal(line[at.i], ' ', `space after ${name}{...} in: ${line}`);
    at.i++;
    const rest = line.slice(at.i);
    const hash = rest.indexOf(' # ');
    const value = parseValue(hash === -1 ? rest : rest.slice(0, hash), line);
    const sample: Sample = { name, labels, value };
    if (hash !== -1) {
      assert.equal(format, 'openmetrics', 'exemplars only in OpenMetrics');
      const ex = { i: at.i + hash + 3 };
      const exLabels = readLabels(line, ex);
      const [exValue, exTs] = line.slice(ex.i + 1).split(' ');
      sample.exemplar = {
        labels: exLabels,
        value: parseValue(exValue, line),
        timestamp: exTs === undefined ? undefined : Number(exTs),
      };
    }
    // The sample belongs to the family typed last.
    const suffixes =
      type === 'histogram'
        ? ['_bucket', '_sum', '_count']
        : type === 'counter'
          ? [format === 'openmetrics' ? '_total' : '']
          : [''];
    assert.ok(
      suffixes.some((s) => name === family + s),
      `${name} is not a sample of the ${type} family ${family}`,
    );
    samples.push(sample);
  }
  return { types, samples };
}

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  assert.ok(text !== '' && !Number.isNaN(value), `value of: ${line}`);
  return value;
}

function readName(line: string, at: { i: number }): string {
  const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line.slice(at.i));
  assert.ok(m, `a metric name at ${at.i} in: ${line}`);
  at.i += m[0].length;
  return m[0];
}

function readLabels(line: string, at: { i: number }): Record<string, string> {
  const labels: Record<string, string> = {};
  assert.equal(line[at.i], '{');
  at.i++;
  while (line[at.i] !== '}') {
    const name = readName(line, at);
    assert.equal(line.slice(at.i, at.i + 2), '="', `="" after label ${name}`);
    at.i += 2;
    let value = '';
    for (;;) {
      const c = line[at.i++];
      assert.ok(c !== undefined, 'unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const e = line[at.i++];
        assert.ok(e === '\\' || e === '"' || e === 'n', `bad escape \\${e}`);
        value += e === 'n' ? '\n' : e;
      } else {
        value += c;
      }
    }
    labels[name] = value;
    if (line[at.i] === ',') at.i++;
  }
  at.i++;
  return labels;
}

function find(parsed: Parsed, name: string, labels: Record<string, string>): Sample {
  const match = parsed.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.equal(match.length, 1, `one ${name} ${JSON.stringify(labels)}, found ${match.length}`);
  return match[0];
}

describe('span metrics exposition', () => {
  const config = structuredClone(defaultConfig);
  config.pipeline.processors.spanMetrics.buckets = [2, 10, 0.5e3];
  config.pipeline.processors.spanMetrics.maxServices = 2;
  const factory = createSpanMetricsFactory({
    logger: pino({ level: 'silent' }),
    now: () => NOW_MS,
  });
  const processor = factory.create(factory.compile(config));
  const nasty = 'we"ird\\svc\nline2';
  const trace = (c: string): string => c.repeat(32);
  const rendered = (format: MetricsFormat): string =>
    Buffer.from(factory.render(format)).toString();

  before(() => {
    processor.process(
      [
        testSpan({ service: 'shop', name: 'GET /cart', duration: 1500, traceId: trace('1') }),
        testSpan({ service: 'shop', name: 'GET /cart', duration: 7000, traceId: trace('2') }),
        testSpan({
          service: 'shop',
          name: 'GET /cart',
          duration: 9000,
          status: StatusCode.Error,
          traceId: trace('3'),
        }),
        testSpan({ service: nasty, name: 'op "x"', kind: SpanKind.Client, duration: 600_000 }),
        testSpan({ service: 'third', name: 'GET /cart', kind: SpanKind.Consumer }),
      ],
      counters,
    );
  });

  for (const format of ['prometheus', 'openmetrics'] as const) {
    test(`${format}: the spanmetrics connector's families, labels and cumulative buckets`, () => {
      const text = rendered(format) + (format === 'openmetrics' ? '# EOF\n' : '');
      const parsed = parseExposition(text, format);
      const om = format === 'openmetrics';
      assert.equal(
        parsed.types.get(om ? 'traces_span_metrics_calls' : 'traces_span_metrics_calls_total'),
        'counter',
      );
      assert.equal(parsed.types.get('traces_span_metrics_duration_milliseconds'), 'histogram');

      const server = {
        service_name: 'shop',
        span_name: 'GET /cart',
        span_kind: 'SPAN_KIND_SERVER',
      };
      const ok = { ...server, status_code: 'STATUS_CODE_UNSET' };
      const err = { ...server, status_code: 'STATUS_CODE_ERROR' };
      assert.equal(find(parsed, 'traces_span_metrics_calls_total', ok).value, 2);
      assert.equal(find(parsed, 'traces_span_metrics_calls_total', err).value, 1);

      const bucket = (le: string): Sample =>
        find(parsed, 'traces_span_metrics_duration_milliseconds_bucket', { ...ok, le });
      const les = om ? ['2.0', '10.0', '500.0', '+Inf'] : ['2', '10', '500', '+Inf'];
      assert.deepEqual(
        les.map((le) => bucket(le).value),
        [1, 2, 2, 2],
      );
      assert.equal(find(parsed, 'traces_span_metrics_duration_milliseconds_sum', ok).value, 8.5);
      assert.equal(find(parsed, 'traces_span_metrics_duration_milliseconds_count', ok).value, 2);

      // User data in labels survives escaping exactly.
      const odd = {
        service_name: nasty,
        span_name: 'op "x"',
        span_kind: 'SPAN_KIND_CLIENT',
        status_code: 'STATUS_CODE_UNSET',
      };
      assert.equal(find(parsed, 'traces_span_metrics_calls_total', odd).value, 1);
      assert.equal(
        find(parsed, 'traces_span_metrics_duration_milliseconds_bucket', { ...odd, le: les[2] })
          .value,
        0,
      );
      assert.equal(
        find(parsed, 'traces_span_metrics_duration_milliseconds_bucket', { ...odd, le: '+Inf' })
          .value,
        1,
      );

      // The third service is over maxServices=2.
      assert.equal(
        find(parsed, 'traces_span_metrics_calls_total', {
          service_name: 'other',
          span_kind: 'SPAN_KIND_CONSUMER',
        }).value,
        1,
      );
      assert.equal(
        find(parsed, 'skein_span_metrics_overflow_total', { dimension: 'service' }).value,
        1,
      );
      assert.equal(find(parsed, 'skein_span_metrics_series', {}).value, 4);

      const exemplars = parsed.samples.filter((s) => s.exemplar !== undefined);
      if (!om) {
        assert.equal(exemplars.length, 0);
        return;
      }
      // Exemplars: the latest span of each bucket, its duration in ms, the time seen.
      assert.deepEqual(bucket('2.0').exemplar, {
        labels: { trace_id: trace('1'), span_id: bucket('2.0').exemplar?.labels.span_id ?? '' },
        value: 1.5,
        timestamp: NOW_MS / 1000,
      });
      assert.match(bucket('2.0').exemplar?.labels.span_id ?? '', /^[0-9a-f]{16}$/);
      assert.equal(bucket('10.0').exemplar?.labels.trace_id, trace('2'));
      assert.equal(bucket('10.0').exemplar?.value, 7);
      assert.equal(bucket('500.0').exemplar, undefined, 'a bucket that got no span has none');
      assert.equal(
        find(parsed, 'traces_span_metrics_calls_total', err).exemplar?.labels.trace_id,
        trace('3'),
      );
    });
  }

  test('exemplars: false leaves them out of OpenMetrics too', () => {
    const off = structuredClone(config);
    off.pipeline.processors.spanMetrics.exemplars = false;
    processor.update(factory.compile(off));
    const parsed = parseExposition(rendered('openmetrics') + '# EOF\n', 'openmetrics');
    assert.ok(parsed.samples.length > 0);
    assert.ok(parsed.samples.every((s) => s.exemplar === undefined));
    processor.update(factory.compile(config));
  });

  describe('through the admin port', () => {
    const registry = new Registry();
    const admin = new AdminServer(
      { enabled: true, host: '127.0.0.1', port: 0 },
      registry,
      pino({ level: 'silent' }),
    );
    let base = '';
    before(async () => {
      admin.addExposition((format) => factory.render(format));
      const { host, port } = await admin.start();
      base = `http://${host}:${port}`;
    });
    after(() => admin.stop());

    test('a Prometheus scrape gets one well-formed OpenMetrics body with the span metrics and exemplars', async () => {
      const res = await fetch(`${base}/metrics`, {
        headers: {
          accept:
            'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
        },
      });
      assert.match(res.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
      const parsed = parseExposition(await res.text(), 'openmetrics');
      assert.equal(parsed.types.get('process_cpu_user_seconds'), 'counter');
      const calls = parsed.samples.filter((s) => s.name === 'traces_span_metrics_calls_total');
      assert.equal(calls.length, 4);
      assert.ok(parsed.samples.some((s) => s.exemplar?.labels.trace_id === trace('2')));
    });

    test('a plain scrape gets the Prometheus text format', async () => {
      const res = await fetch(`${base}/metrics`);
      const parsed = parseExposition(await res.text(), 'prometheus');
      assert.equal(parsed.types.get('traces_span_metrics_calls_total'), 'counter');
      assert.equal(parsed.types.get('process_cpu_user_seconds_total'), 'counter');
    });

    test('once the processor stopped, its series are gone from /metrics', async () => {
      await processor.stop();
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.doesNotMatch(text, /traces_span_metrics/);
      assert.match(text, /process_cpu_user_seconds_total/);
    });
  });
});

describe('span metrics exposition per tenant', () => {
  test("another tenant's series with the same labels are told apart by a tenant label", async () => {
    const factory = createSpanMetricsFactory({
      logger: pino({ level: 'silent' }),
      now: () => NOW_MS,
    });
    const processor = factory.create(factory.compile(structuredClone(defaultConfig)));
    try {
      processor.process(
        [
          testSpan({ service: 'shop', name: 'GET /cart' }),
          testSpan({ service: 'shop', name: 'GET /cart', tenant: 'acme' }),
          testSpan({ service: 'shop', name: 'GET /cart', tenant: 'acme' }),
          testSpan({ service: 'shop', name: 'GET /cart', tenant: 'we"ird' }),
        ],
        counters,
      );
      for (const format of ['prometheus', 'openmetrics'] as const) {
        const text =
          Buffer.from(factory.render(format)).toString() +
          (format === 'openmetrics' ? '# EOF\n' : '');
        const parsed = parseExposition(text, format);
        const calls = parsed.samples.filter((s) => s.name === 'traces_span_metrics_calls_total');
        assert.deepEqual(
          calls.map((s) => [s.labels.tenant, s.labels.service_name, s.value]),
          [
            [undefined, 'shop', 1],
            ['acme', 'shop', 2],
            ['we"ird', 'shop', 1],
          ],
        );
      }
    } finally {
      await processor.stop();
    }
  });
});
