import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { defaultConfig } from '../../../config/config.ts';
import type { SpanMetricsConfig } from '../../../config/config.ts';
import { latencyBucket } from '../../../model/latency-histogram.ts';
import { SpanKind, StatusCode } from '../../../model/span.ts';
import type { Span } from '../../../model/span.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../../../storage/span-metrics-writer.ts';
import type { ProcessorCounters } from '../../processor.ts';
import { SpanMetricsProcessor } from './span-metrics-processor.ts';
import type { SpanMetricsSeries } from './span-metrics-series.ts';
import { compileSpanMetricsSettings } from './span-metrics-settings.ts';
import type { SpanMetricsSettings } from './span-metrics-settings.ts';
import { testSpan } from './test-support/test-spans.ts';

const logger = pino({ level: 'silent' });
/** 2023-11-14T22:13:20Z, on a minute boundary. */
const NOW_MS = 1_700_000_000_000 - (1_700_000_000_000 % 60_000) + 30_000;
const NOW_US = NOW_MS * 1000;
const MINUTE_US = 60_000_000;
const THIS_MINUTE = NOW_US - (NOW_US % MINUTE_US);

function settings(change: Partial<SpanMetricsConfig> = {}): SpanMetricsSettings {
  const config = structuredClone(defaultConfig);
  Object.assign(config.pipeline.processors.spanMetrics, change);
  return compileSpanMetricsSettings(config);
}

/** Counters that fail the test if span metrics ever reports a change or a drop. */
const counters: ProcessorCounters = {
  changed: (n) => assert.fail(`span metrics reported ${n} changed spans`),
  dropped: (reason, n) => assert.fail(`span metrics reported ${n} dropped (${reason})`),
};

/** A store double: records what it was given, or fails while `failing` is set. */
class RecordingWriter implements SpanMetricsWriter {
  readonly calls: SpanMetricsRow[][] = [];
  failing = false;
  async writeSpanMetrics(rows: readonly SpanMetricsRow[]): Promise<void> {
    if (this.failing) throw new Error('store unavailable');
    this.calls.push([...rows]);
  }
  get rows(): SpanMetricsRow[] {
    return this.calls.flat();
  }
}

function processor(
  change: Partial<SpanMetricsConfig> = {},
  writer?: SpanMetricsWriter,
  maxPendingRows?: number,
): SpanMetricsProcessor {
  return new SpanMetricsProcessor(settings(change), {
    logger,
    writer,
    now: () => NOW_MS,
    maxPendingRows,
  });
}

function seriesOf(
  p: SpanMetricsProcessor,
  service: string,
  operation: string,
  kind: SpanKind = SpanKind.Server,
  status: StatusCode = StatusCode.Unset,
): SpanMetricsSeries {
  const found = p.series.find(
    (s) =>
      s.service === service &&
      s.operation === operation &&
      s.kind === kind &&
      s.statusCode === status,
  );
  assert.ok(found, `no series ${service}/${operation}/${kind}/${status}`);
  return found;
}

describe('SpanMetricsProcessor aggregation', () => {
  test('counts calls per service, operation, kind and status, errors apart, and passes spans on unchanged', async () => {
    const p = processor();
    const spans: Span[] = [
      testSpan({ service: 'shop', name: 'GET /cart' }),
      testSpan({ service: 'shop', name: 'GET /cart' }),
      testSpan({ service: 'shop', name: 'GET /cart', status: StatusCode.Error }),
      testSpan({ service: 'shop', name: 'GET /cart', kind: SpanKind.Client }),
      testSpan({ service: 'shop', name: 'GET /cart', status: StatusCode.Ok }),
      testSpan({ service: 'billing', name: 'GET /cart' }),
      testSpan({ service: 'billing', name: 'charge', status: StatusCode.Error }),
    ];
    const before = JSON.stringify(spans);
    const out = p.process(spans, counters);
    assert.equal(out, spans, 'the same array comes back');
    assert.equal(JSON.stringify(spans), before, 'no span was modified');

    assert.equal(p.series.length, 6);
    assert.equal(seriesOf(p, 'shop', 'GET /cart').calls, 2);
    assert.equal(seriesOf(p, 'shop', 'GET /cart', SpanKind.Server, StatusCode.Error).calls, 1);
    assert.equal(seriesOf(p, 'shop', 'GET /cart', SpanKind.Client).calls, 1);
    assert.equal(seriesOf(p, 'shop', 'GET /cart', SpanKind.Server, StatusCode.Ok).calls, 1);
    assert.equal(seriesOf(p, 'billing', 'GET /cart').calls, 1);
    assert.equal(seriesOf(p, 'billing', 'charge', SpanKind.Server, StatusCode.Error).calls, 1);

    // A second batch adds to the same series.
    p.process(
      [testSpan({ service: 'shop', name: 'GET /cart', status: StatusCode.Error })],
      counters,
    );
    assert.equal(seriesOf(p, 'shop', 'GET /cart', SpanKind.Server, StatusCode.Error).calls, 2);
    assert.equal(p.series.length, 6);
    await p.stop();
  });

  test('two tenants with the same trace id, service and span names count in their own series and rows', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    const traceId = 'ab'.repeat(16);
    p.process(
      [
        testSpan({ service: 'shop', name: 'GET /cart', traceId }),
        testSpan({ service: 'shop', name: 'GET /cart', traceId, tenant: 'acme' }),
        testSpan({ service: 'shop', name: 'GET /cart', traceId, tenant: 'acme' }),
        testSpan({ service: 'shop', name: 'GET /cart', traceId }),
        testSpan({ service: 'shop', name: 'GET /cart', traceId, tenant: 'globex' }),
      ],
      counters,
    );
    assert.deepEqual(
      p.series.map((s) => [s.tenant, s.service, s.operation, s.calls]),
      [
        ['', 'shop', 'GET /cart', 2],
        ['acme', 'shop', 'GET /cart', 2],
        ['globex', 'shop', 'GET /cart', 1],
      ],
    );
    assert.doesNotMatch(p.series[0].labels, /tenant=/, "the default tenant's labels are unchanged");
    assert.match(p.series[1].labels, /,tenant="acme"$/);
    await p.flush();
    assert.deepEqual(writer.rows.map((r) => [r.tenant, r.service, r.operation, r.calls]).sort(), [
      ['', 'shop', 'GET /cart', 2],
      ['acme', 'shop', 'GET /cart', 2],
      ['globex', 'shop', 'GET /cart', 1],
    ]);
    await p.stop();
  });

  test('tenants beyond maxServices are counted as service overflow, never under another tenant', () => {
    const p = processor({ maxServices: 2 });
    p.process(
      [
        testSpan({ service: 'shop', tenant: 't1' }),
        testSpan({ service: 'shop', tenant: 't2' }),
        testSpan({ service: 'shop', tenant: 't3' }),
        testSpan({ service: 'shop', tenant: 't3' }),
        testSpan({ service: 'shop', tenant: 't1' }),
      ],
      counters,
    );
    assert.deepEqual(
      p.series.map((s) => [s.tenant, s.service, s.calls]),
      [
        ['t1', 'shop', 2],
        ['t2', 'shop', 1],
      ],
    );
    assert.equal(p.serviceOverflow, 2);
  });

  test('places durations in the bucket whose bound is the first at or above them (le semantics)', async () => {
    const p = processor({ buckets: [2, 4, 10] });
    const durationsUs = [0, 1999, 2000, 2001, 4000, 9999.5, 10_000, 10_001, 3_600_000_000];
    p.process(
      durationsUs.map((duration) => testSpan({ name: 'op', duration })),
      counters,
    );
    const s = seriesOf(p, 'shop', 'op');
    // le=2: 0, 1999, 2000 · le=4: 2001, 4000 · le=10: 9999.5, 10000 · +Inf: 10001, 1 h
    assert.deepEqual([...s.bucketCounts], [3, 2, 2, 2]);
    assert.equal(s.histogramCount, 9);
    assert.equal(
      s.durationSumUs,
      durationsUs.reduce((a, b) => a + b, 0),
    );
    await p.stop();
  });

  test('a NaN or negative duration counts as 0 instead of poisoning the sums', async () => {
    const writer = new RecordingWriter();
    const p = processor({ buckets: [1] }, writer);
    p.process(
      [
        testSpan({ name: 'op', duration: NaN, start: THIS_MINUTE }),
        testSpan({ name: 'op', duration: -5, start: THIS_MINUTE }),
        testSpan({ name: 'op', duration: 3000, start: THIS_MINUTE }),
      ],
      counters,
    );
    const s = seriesOf(p, 'shop', 'op');
    assert.deepEqual([...s.bucketCounts], [2, 1]);
    assert.equal(s.durationSumUs, 3000);
    await p.flush();
    assert.equal(writer.rows[0].durationSum, 3000);
    assert.equal(writer.rows[0].calls, 3);
    await p.stop();
  });

  test('kind and status codes outside the OTLP ranges count as unspecified and unset', async () => {
    const p = processor();
    p.process(
      [
        testSpan({ name: 'op', kind: 9 as SpanKind, status: StatusCode.Error }),
        testSpan({ name: 'op', kind: SpanKind.Client, status: 7 as StatusCode }),
      ],
      counters,
    );
    assert.equal(seriesOf(p, 'shop', 'op', SpanKind.Unspecified, StatusCode.Error).calls, 1);
    assert.equal(seriesOf(p, 'shop', 'op', SpanKind.Client, StatusCode.Unset).calls, 1);
    assert.equal(p.series.length, 2);
    await p.stop();
  });

  test('services beyond maxServices count under service "other", and are counted', async () => {
    const p = processor({ maxServices: 2 });
    p.process(
      [
        testSpan({ service: 'a', name: 'x' }),
        testSpan({ service: 'b', name: 'x' }),
        testSpan({ service: 'c', name: 'x' }),
        testSpan({ service: 'd', name: 'y' }),
        testSpan({ service: 'c', name: 'x' }),
        testSpan({ service: 'a', name: 'x' }),
      ],
      counters,
    );
    assert.equal(seriesOf(p, 'a', 'x').calls, 2);
    assert.equal(seriesOf(p, 'b', 'x').calls, 1);
    assert.equal(seriesOf(p, 'other', 'x').calls, 2);
    assert.equal(seriesOf(p, 'other', 'y').calls, 1);
    assert.equal(p.serviceOverflow, 3);
    assert.equal(p.operationOverflow, 0);
    assert.ok(!p.series.some((s) => s.service === 'c' || s.service === 'd'));
    await p.stop();
  });

  test('operations beyond maxOperationsPerService count under span name "other", per service', async () => {
    const p = processor({ maxOperationsPerService: 2 });
    p.process(
      [
        testSpan({ service: 'a', name: 'op1' }),
        testSpan({ service: 'a', name: 'op2' }),
        testSpan({ service: 'a', name: 'op3' }),
        testSpan({ service: 'a', name: 'op4', status: StatusCode.Error }),
        testSpan({ service: 'b', name: 'op3' }),
        testSpan({ service: 'a', name: 'op1' }),
      ],
      counters,
    );
    assert.equal(seriesOf(p, 'a', 'op1').calls, 2);
    assert.equal(seriesOf(p, 'a', 'other').calls, 1);
    assert.equal(seriesOf(p, 'a', 'other', SpanKind.Server, StatusCode.Error).calls, 1);
    assert.equal(seriesOf(p, 'b', 'op3').calls, 1, 'the limit is per service');
    assert.equal(p.operationOverflow, 2);
    await p.stop();
  });

  test('names that share length and characters, and repeated overflowing names, each count in their own series', async () => {
    // These three share a slot of the recent-operations index.
    const names = ['GET /a/x', 'GET /b/x', 'GET /a/x', 'GET /c/x', 'GET /b/x', 'GET /a/x'];
    const p = processor({ maxOperationsPerService: 2 });
    // Fresh strings, as a decoder makes them: equal names are never the same object.
    p.process(
      names.map((name) => testSpan({ service: 'a', name: name.split('').join('') })),
      counters,
    );
    assert.equal(seriesOf(p, 'a', 'GET /a/x').calls, 3);
    assert.equal(seriesOf(p, 'a', 'GET /b/x').calls, 2);
    assert.equal(seriesOf(p, 'a', 'other').calls, 1);
    p.process(
      [testSpan({ service: 'a', name: 'GET /c/x' }), testSpan({ service: 'a', name: 'GET /c/x' })],
      counters,
    );
    assert.equal(seriesOf(p, 'a', 'other').calls, 3);
    assert.equal(p.operationOverflow, 3, 'every span of an overflowing name is counted');
    await p.stop();
  });

  test('update() with the same buckets keeps every count; new buckets restart the histograms only', async () => {
    const p = processor({ buckets: [1, 10] });
    p.process(
      [testSpan({ name: 'op', duration: 500 }), testSpan({ name: 'op', duration: 5000 })],
      counters,
    );
    p.update(settings({ buckets: [1, 10], maxServices: 5, exemplars: false }));
    const s = seriesOf(p, 'shop', 'op');
    assert.equal(s.calls, 2);
    assert.deepEqual([...s.bucketCounts], [1, 1, 0]);
    assert.equal(p.settings.maxServices, 5);

    p.update(settings({ buckets: [1, 5, 10, 100] }));
    assert.equal(s.calls, 2, 'calls survive a bucket change');
    assert.deepEqual([...s.bucketCounts], [0, 0, 0, 0, 0]);
    assert.equal(s.histogramCount, 0);
    p.process([testSpan({ name: 'op', duration: 50_000 })], counters);
    assert.deepEqual([...s.bucketCounts], [0, 0, 0, 1, 0]);
    assert.equal(s.calls, 3);
    await p.stop();
  });

  test('keeps the latest span of each bucket as its exemplar', async () => {
    const p = processor({ buckets: [1, 10] });
    p.process(
      [
        testSpan({ name: 'op', duration: 500, traceId: 'a'.repeat(32) }),
        testSpan({ name: 'op', duration: 700, traceId: 'b'.repeat(32) }),
        testSpan({ name: 'op', duration: 20_000, traceId: 'c'.repeat(32) }),
      ],
      counters,
    );
    const s = seriesOf(p, 'shop', 'op');
    assert.deepEqual(s.exemplarTraceIds, ['b'.repeat(32), '', 'c'.repeat(32)]);
    assert.equal(s.exemplarDurationsUs?.[0], 700);
    assert.equal(s.exemplarTimes?.[2], NOW_MS);
    assert.equal(s.lastExemplarBucket, 2);
    await p.stop();
  });
});

describe('SpanMetricsProcessor minute aggregates', () => {
  test('flush writes per series and minute of the span start the calls, duration sum and latency histogram since the last flush', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    const previous = THIS_MINUTE - MINUTE_US;
    p.process(
      [
        testSpan({ name: 'op', start: THIS_MINUTE + 1, duration: 1000 }),
        testSpan({ name: 'op', start: THIS_MINUTE + 59_999_999, duration: 1000 }),
        testSpan({ name: 'op', start: previous + 5, duration: 250_000 }),
        testSpan({ name: 'op', start: THIS_MINUTE + 7, duration: 3000, status: StatusCode.Error }),
      ],
      counters,
    );
    await p.flush();
    assert.equal(writer.calls.length, 1);
    const rows = writer.rows.sort((a, b) => a.minute - b.minute || a.statusCode - b.statusCode);
    assert.deepEqual(rows, [
      {
        tenant: '',
        minute: previous,
        service: 'shop',
        operation: 'op',
        kind: SpanKind.Server,
        statusCode: StatusCode.Unset,
        calls: 1,
        durationSum: 250_000,
        latency: { buckets: [latencyBucket(250_000)], counts: [1] },
      },
      {
        tenant: '',
        minute: THIS_MINUTE,
        service: 'shop',
        operation: 'op',
        kind: SpanKind.Server,
        statusCode: StatusCode.Unset,
        calls: 2,
        durationSum: 2000,
        latency: { buckets: [latencyBucket(1000)], counts: [2] },
      },
      {
        tenant: '',
        minute: THIS_MINUTE,
        service: 'shop',
        operation: 'op',
        kind: SpanKind.Server,
        statusCode: StatusCode.Error,
        calls: 1,
        durationSum: 3000,
        latency: { buckets: [latencyBucket(3000)], counts: [1] },
      },
    ]);

    // The next flush carries only what came since.
    await p.flush();
    assert.equal(writer.calls.length, 1, 'nothing new: no write');
    p.process(
      [
        testSpan({ name: 'op', start: THIS_MINUTE + 3, duration: 1000 }),
        testSpan({ name: 'op', start: THIS_MINUTE + 4, duration: 100_000 }),
      ],
      counters,
    );
    await p.flush();
    assert.deepEqual(writer.calls[1], [
      {
        tenant: '',
        minute: THIS_MINUTE,
        service: 'shop',
        operation: 'op',
        kind: SpanKind.Server,
        statusCode: StatusCode.Unset,
        calls: 2,
        durationSum: 101_000,
        latency: { buckets: [latencyBucket(1000), latencyBucket(100_000)], counts: [1, 1] },
      },
    ]);
    await p.stop();
  });

  test('spans starting over an hour before or over a minute after their arrival count in the arrival minute', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    const hourAgo = NOW_US - 3_600_000_000;
    p.process(
      [
        testSpan({ name: 'op', start: 0 }),
        testSpan({ name: 'op', start: hourAgo - 1 }),
        testSpan({ name: 'op', start: NOW_US + 2 * MINUTE_US }),
        testSpan({ name: 'op', start: hourAgo + 1 }),
      ],
      counters,
    );
    await p.flush();
    const byMinute = new Map(writer.rows.map((r) => [r.minute, r.calls]));
    assert.deepEqual(
      [...byMinute].sort((a, b) => a[0] - b[0]),
      [
        [hourAgo + 1 - ((hourAgo + 1) % MINUTE_US), 1],
        [THIS_MINUTE, 3],
      ],
    );
    await p.stop();
  });

  test('a failed write keeps its rows for the next flush and counts the failure', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    writer.failing = true;
    p.process([testSpan({ name: 'a', start: THIS_MINUTE })], counters);
    await p.flush();
    assert.equal(p.writeErrors, 1);
    assert.equal(p.rowsPending, 1);
    p.process([testSpan({ name: 'b', start: THIS_MINUTE })], counters);
    await p.flush();
    assert.equal(p.writeErrors, 2);
    assert.equal(p.rowsPending, 2);

    writer.failing = false;
    p.process([testSpan({ name: 'a', start: THIS_MINUTE })], counters);
    await p.flush();
    assert.equal(p.rowsPending, 0);
    assert.equal(writer.calls.length, 1);
    // Rows are deltas: the kept row of `a` and the new one add up in the store.
    assert.deepEqual(
      writer.rows.map((r) => [r.operation, r.calls]),
      [
        ['a', 1],
        ['b', 1],
        ['a', 1],
      ],
    );
    assert.equal(p.rowsDropped, 0);
    await p.stop();
  });

  test('while the store fails, rows beyond the limit are dropped oldest first and counted', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer, 3);
    writer.failing = true;
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      p.process([testSpan({ name, start: THIS_MINUTE })], counters);
      await p.flush();
    }
    assert.equal(p.rowsPending, 3);
    assert.equal(p.rowsDropped, 2);
    writer.failing = false;
    await p.flush();
    assert.deepEqual(
      writer.rows.map((r) => r.operation),
      ['c', 'd', 'e'],
    );
    await p.stop();
  });

  test('concurrent flushes write each row once', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    p.process([testSpan({ name: 'a', start: THIS_MINUTE })], counters);
    const first = p.flush();
    p.process([testSpan({ name: 'b', start: THIS_MINUTE })], counters);
    await Promise.all([first, p.flush(), p.flush()]);
    assert.deepEqual(writer.rows.map((r) => r.operation).sort(), ['a', 'b']);
    await p.stop();
  });

  test('stop() writes what is left; without a writer nothing is kept per minute', async () => {
    const writer = new RecordingWriter();
    const p = processor({}, writer);
    p.process([testSpan({ name: 'late', start: THIS_MINUTE })], counters);
    await p.stop();
    assert.deepEqual(
      writer.rows.map((r) => [r.operation, r.calls]),
      [['late', 1]],
    );

    const alone = processor();
    alone.process([testSpan({ name: 'x', start: THIS_MINUTE })], counters);
    assert.equal(alone.series[0].pending.length, 0);
    assert.equal(alone.series[0].calls, 1);
    await alone.stop();
  });
});
