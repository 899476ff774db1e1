import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from '../config/config.ts';
import type { SkeinConfig } from '../config/config.ts';
import {
  IntakeUnavailableError,
  PipelineFullError,
  ShuttingDownError,
  TenantRateLimitedError,
} from '../errors.ts';
import { DEFAULT_TENANT, type Span } from '../model/span.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import type { EncodedSpanWriter, SpanWriter } from '../storage/span-writer.ts';
import { decodeSpanBatch, encodeSpanBatch } from '../codecs/span-batch/index.ts';
import { IngestMetrics } from './ingest-metrics.ts';
import type { IntakeJournal } from './intake-journal.ts';
import { Pipeline, type PipelineOptions, type PipelineProcessors } from './pipeline.ts';
import { compileTenantSettings } from './tenant-limits/tenant-settings.ts';
import { TenantRateLimiter } from './tenant-limits/tenant-rate-limiter.ts';
import { metricValue } from './test-support/metric-value.ts';
import { makeTestSpans } from './test-support/test-spans.ts';

interface PendingWrite {
  spans: readonly Span[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Fault injector: every write waits until the test resolves or rejects it. */
class GatedWriter implements SpanWriter {
  readonly pending: PendingWrite[] = [];
  inFlight = 0;
  maxInFlight = 0;
  #waiters: Array<() => void> = [];

  write(spans: readonly Span[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const done = () => this.inFlight--;
      this.pending.push({
        spans,
        resolve: () => (done(), resolve()),
        reject: (err) => (done(), reject(err)),
      });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves with the oldest write not yet handed out, waiting for it if needed. */
  async next(): Promise<PendingWrite> {
    while (this.pending.length === 0) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.pending.shift()!;
  }
}

/** Fault injector: fails the first `failures` writes, then records what it is given. */
class FlakyWriter implements SpanWriter {
  readonly written: Span[][] = [];
  attempts = 0;
  constructor(private failures: number) {}
  async write(spans: readonly Span[]): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk on fire');
    }
    this.written.push([...spans]);
  }
}

function pipelineConfig(overrides: Partial<SkeinConfig['pipeline']> = {}): SkeinConfig['pipeline'] {
  return { ...defaultConfig.pipeline, ...overrides };
}

function setup(
  writer: SpanWriter,
  overrides: Partial<SkeinConfig['pipeline']> = {},
  processors?: PipelineProcessors,
  extra: Partial<PipelineOptions> = {},
) {
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const pipeline = new Pipeline({
    writer,
    config: pipelineConfig(overrides),
    metrics,
    logger,
    writeAttempts: 3,
    retryBackoffMs: 1,
    processors,
    ...extra,
  });
  return { registry, metrics, logs, pipeline };
}

describe('Pipeline', () => {
  test('coalesces whole accepted batches up to batch.maxSpans, never splitting one', async () => {
    const writer = new GatedWriter();
    const { pipeline } = setup(writer, { batch: { maxSpans: 10, maxDelayMs: 60_000 } });
    void pipeline.consume(makeTestSpans(4), 400, 'test', undefined);
    void pipeline.consume(makeTestSpans(4), 400, 'test', undefined);
    assert.equal(writer.pending.length, 0, 'no batch is due at 8 spans');
    void pipeline.consume(makeTestSpans(25), 2500, 'test', undefined);
    void pipeline.consume(makeTestSpans(2), 200, 'test', undefined);
    // Due by size: the two small batches go together; 25 would not fit with them.
    const first = await writer.next();
    assert.equal(first.spans.length, 8);
    first.resolve();
    // A batch bigger than batch.maxSpans is written whole (one transaction, one journal note).
    const second = await writer.next();
    assert.equal(second.spans.length, 25);
    second.resolve();
    // 2 spans left, not due by size: stop() flushes them.
    const stopped = pipeline.stop();
    const last = await writer.next();
    assert.equal(last.spans.length, 2);
    last.resolve();
    await stopped;
    assert.equal(pipeline.queuedSpans, 0);
    assert.equal(pipeline.queuedBytes, 0);
  });

  test('writes a batch once its oldest span has waited batch.maxDelayMs', async () => {
    const writer = new GatedWriter();
    const { pipeline } = setup(writer, { batch: { maxSpans: 1000, maxDelayMs: 5 } });
    pipeline.consume(makeTestSpans(3), 300, 'test', undefined);
    const write = await writer.next();
    assert.equal(write.spans.length, 3);
    write.resolve();
    await pipeline.stop();
  });

  test('keeps at most `writers` batches in flight and coalesces while they are busy', async () => {
    const writer = new GatedWriter();
    const { pipeline } = setup(writer, { writers: 2, batch: { maxSpans: 5, maxDelayMs: 60_000 } });
    for (let i = 0; i < 6; i++) pipeline.consume(makeTestSpans(5), 500, 'test', undefined);
    const a = await writer.next();
    const b = await writer.next();
    assert.equal(writer.pending.length, 0, 'a third write waits for a free writer');
    assert.equal(writer.inFlight, 2);
    a.resolve();
    b.resolve();
    for (let i = 0; i < 4; i++) (await writer.next()).resolve();
    await pipeline.stop();
    assert.equal(writer.maxInFlight, 2);
  });

  test('refuses a whole batch over the span bound with PipelineFullError and counts it', async () => {
    const writer = new GatedWriter();
    const { pipeline, registry } = setup(writer, {
      queue: { maxSpans: 10, maxBytes: 1_000_000 },
      batch: { maxSpans: 100, maxDelayMs: 60_000 },
      retryAfterSeconds: 7,
    });
    pipeline.consume(makeTestSpans(8), 800, 'otlp_http', undefined);
    assert.throws(
      () => pipeline.consume(makeTestSpans(3), 300, 'otlp_http', undefined),
      (err: unknown) => {
        assert.ok(err instanceof PipelineFullError);
        assert.equal(err.retryAfterSeconds, 7);
        assert.match(err.message, /8 spans queued \+ 3 in this batch > limit of 10/);
        return true;
      },
    );
    assert.equal(pipeline.queuedSpans, 8, 'no part of the refused batch was taken');
    pipeline.consume(makeTestSpans(2), 200, 'otlp_http', undefined);
    assert.equal(await metricValue(registry, 'skein_queue_spans'), 10);
    assert.equal(await metricValue(registry, 'skein_queue_bytes'), 1000);
    assert.equal(
      await metricValue(registry, 'skein_spans_received_total', { protocol: 'otlp_http' }),
      13,
    );
    assert.equal(
      await metricValue(registry, 'skein_spans_accepted_total', { protocol: 'otlp_http' }),
      10,
    );
    assert.equal(
      await metricValue(registry, 'skein_spans_refused_total', {
        protocol: 'otlp_http',
        reason: 'queue_full',
      }),
      3,
    );
    const stopped = pipeline.stop();
    (await writer.next()).resolve();
    await stopped;
    assert.equal(await metricValue(registry, 'skein_spans_written_total'), 10);
    assert.equal(await metricValue(registry, 'skein_queue_spans'), 0);
  });

  test('refuses a batch over the byte bound, counting in-flight writes until they finish', async () => {
    const writer = new GatedWriter();
    const { pipeline } = setup(writer, {
      queue: { maxSpans: 1000, maxBytes: 1000 },
      batch: { maxSpans: 2, maxDelayMs: 60_000 },
    });
    pipeline.consume(makeTestSpans(2), 900, 'test', undefined);
    const write = await writer.next();
    assert.throws(
      () => pipeline.consume(makeTestSpans(1), 200, 'test', undefined),
      PipelineFullError,
    );
    write.resolve();
    const stopped = pipeline.stop();
    await stopped;
    assert.equal(pipeline.queuedBytes, 0);
  });

  test('retries a failed write with backoff, then writes it', async () => {
    const writer = new FlakyWriter(2);
    const { pipeline, registry } = setup(writer, { batch: { maxSpans: 5, maxDelayMs: 60_000 } });
    pipeline.consume(makeTestSpans(5), 500, 'test', undefined);
    await pipeline.stop();
    assert.equal(writer.attempts, 3);
    assert.equal(writer.written.length, 1);
    assert.equal(await metricValue(registry, 'skein_storage_write_errors_total'), 2);
    assert.equal(await metricValue(registry, 'skein_spans_written_total'), 5);
    assert.equal(
      await metricValue(registry, 'skein_spans_dropped_total', { reason: 'write_error' }),
      0,
    );
  });

  test('drops a batch after its last attempt, counts it and logs once per burst', async () => {
    const writer = new FlakyWriter(Number.POSITIVE_INFINITY);
    const { pipeline, registry, logs } = setup(writer, {
      batch: { maxSpans: 5, maxDelayMs: 60_000 },
    });
    for (let i = 0; i < 4; i++) pipeline.consume(makeTestSpans(5), 500, 'test', undefined);
    await pipeline.stop();
    assert.equal(writer.attempts, 12, '4 batches x 3 attempts');
    assert.equal(
      await metricValue(registry, 'skein_spans_dropped_total', { reason: 'write_error' }),
      20,
    );
    assert.equal(await metricValue(registry, 'skein_storage_write_errors_total'), 12);
    assert.equal(await metricValue(registry, 'skein_spans_written_total'), 0);
    assert.equal(pipeline.queuedSpans, 0);
    const errors = logs.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, 'one error line for the burst of drops');
    const summary = logs.find((l) => l.msg.includes('stopped after storage write failures'));
    assert.ok(summary, 'the burst is summarised');
    assert.equal((summary as unknown as { droppedSpans: number }).droppedSpans, 20);
  });

  test('stop() refuses new spans and resolves only after everything accepted is written', async () => {
    const writer = new GatedWriter();
    const { pipeline, registry } = setup(writer, { batch: { maxSpans: 4, maxDelayMs: 60_000 } });
    pipeline.consume(makeTestSpans(4), 400, 'test', undefined);
    pipeline.consume(makeTestSpans(2), 200, 'test', undefined);
    const stopped = pipeline.stop();
    let done = false;
    void stopped.then(() => (done = true));
    assert.throws(
      () => pipeline.consume(makeTestSpans(1), 100, 'test', undefined),
      ShuttingDownError,
    );
    const first = await writer.next();
    first.resolve();
    const second = await writer.next();
    await Promise.resolve();
    assert.equal(done, false, 'stop() waits for the last write');
    second.resolve();
    await stopped;
    assert.equal(first.spans.length + second.spans.length, 6);
    assert.equal(
      await metricValue(registry, 'skein_spans_refused_total', {
        protocol: 'test',
        reason: 'shutting_down',
      }),
      1,
    );
  });
});

describe('Pipeline with processors', () => {
  test('runs them on accepted batches only; what they drop is counted and takes no queue room', async () => {
    const writer = new GatedWriter();
    const seen: number[] = [];
    // Keeps the first span of every batch (a stand-in for a sampler).
    const firstOnly: PipelineProcessors = {
      process(spans: Span[]) {
        seen.push(spans.length);
        return { spans: spans.slice(0, 1), held: 0 };
      },
      drain() {},
    };
    const { pipeline, registry } = setup(
      writer,
      {
        queue: { maxSpans: 10, maxBytes: 1_000_000 },
        batch: { maxSpans: 1, maxDelayMs: 60_000 },
        writers: 1,
      },
      firstOnly,
    );
    pipeline.consume(makeTestSpans(4), 400, 'test', undefined);
    assert.equal(pipeline.queuedSpans, 1, 'only the kept span is queued');
    assert.equal(pipeline.queuedBytes, 100, 'bytes shrink with the spans kept');
    assert.throws(
      () => pipeline.consume(makeTestSpans(10), 1000, 'test', undefined),
      PipelineFullError,
    );
    assert.deepEqual(seen, [4], 'a refused batch never reaches the processors');
    assert.equal(
      await metricValue(registry, 'skein_spans_accepted_total', { protocol: 'test' }),
      4,
    );
    assert.equal(
      await metricValue(registry, 'skein_spans_dropped_total', { reason: 'processor' }),
      3,
    );
    const write = await writer.next();
    assert.equal(write.spans.length, 1);
    write.resolve();
    const stopped = pipeline.stop();
    await stopped;
    assert.equal(pipeline.queuedSpans, 0);
  });

  test('a batch the processors drop entirely is accepted and never written', async () => {
    const writer = new GatedWriter();
    const { pipeline } = setup(writer, {}, { process: () => ({ spans: [], held: 0 }), drain() {} });
    pipeline.consume(makeTestSpans(3), 300, 'test', undefined);
    assert.equal(pipeline.queuedSpans, 0);
    await pipeline.stop();
    assert.equal(writer.pending.length, 0);
  });
});

/** `count` test spans of one new trace on a resource of their own (the shared one must not be stamped). */
function ownSpans(count: number, tenant = DEFAULT_TENANT): Span[] {
  const spans = makeTestSpans(count);
  const resource = { ...spans[0].resource, tenant };
  for (const span of spans) span.resource = resource;
  return spans;
}

/** A limiter over `tenants.*` on a clock the test moves (ms). */
function limiter(tenants: Partial<SkeinConfig['tenants']>, clock: { now: number }) {
  const config = { ...defaultConfig, tenants: { ...defaultConfig.tenants, ...tenants } };
  return new TenantRateLimiter(compileTenantSettings(config), () => clock.now);
}

describe('Pipeline tenants', () => {
  test("stamps the request's tenant on every span's resource before the store sees it", async () => {
    const writer = new FlakyWriter(0);
    const { pipeline, registry } = setup(writer);
    const spans = ownSpans(3);
    const other = { ...spans[0].resource };
    spans[2].resource = other;
    await pipeline.consume(spans, 300, 'otlp_http', 'acme');
    await pipeline.consume(ownSpans(2, 'stale'), 200, 'otlp_http', DEFAULT_TENANT);
    await pipeline.stop();
    const written = writer.written.flat();
    assert.deepEqual(
      written.map((s) => s.resource.tenant),
      ['acme', 'acme', 'acme', DEFAULT_TENANT, DEFAULT_TENANT],
    );
    assert.equal(
      await metricValue(registry, 'skein_tenant_spans_accepted_total', { tenant: 'acme' }),
      3,
    );
    assert.equal(
      await metricValue(registry, 'skein_tenant_bytes_accepted_total', { tenant: 'acme' }),
      300,
    );
    assert.equal(
      await metricValue(registry, 'skein_tenant_spans_accepted_total', { tenant: '' }),
      2,
    );
  });

  test('undefined keeps the tenants the spans carry (replay, NATS), counted per tenant', async () => {
    const writer = new FlakyWriter(0);
    const { pipeline, registry } = setup(writer);
    const batch = [...ownSpans(3, 'acme'), ...ownSpans(1, 'globex'), ...ownSpans(2, 'acme')];
    await pipeline.consume(batch, 600, 'nats', undefined);
    await pipeline.stop();
    assert.deepEqual(
      writer.written.flat().map((s) => s.resource.tenant),
      ['acme', 'acme', 'acme', 'globex', 'acme', 'acme'],
    );
    const accepted = (tenant: string) =>
      metricValue(registry, 'skein_tenant_spans_accepted_total', { tenant });
    assert.equal(await accepted('acme'), 5);
    assert.equal(await accepted('globex'), 1);
    assert.equal(
      await metricValue(registry, 'skein_tenant_bytes_accepted_total', { tenant: 'globex' }),
      100,
    );
  });

  test("a batch over its tenant's rate is refused whole; other tenants are not affected", async () => {
    const clock = { now: 1_000 };
    const writer = new FlakyWriter(0);
    const limits = limiter(
      { maxSpansPerSecond: 0, overrides: { slow: { maxSpansPerSecond: 10, burstSpans: 10 } } },
      clock,
    );
    const { pipeline, registry } = setup(writer, {}, undefined, { tenantLimits: limits });
    await pipeline.consume(ownSpans(8), 800, 'otlp_http', 'slow');
    const refused = ownSpans(5);
    assert.throws(
      () => pipeline.consume(refused, 500, 'otlp_http', 'slow'),
      (err: unknown) => {
        assert.ok(err instanceof TenantRateLimitedError);
        assert.equal(err.statusCode, 429);
        // 2 tokens left, 5 needed at 10/s: 0.3 s, rounded up to whole seconds.
        assert.equal(err.retryAfterSeconds, 1);
        assert.match(err.message, /tenant "slow" is over its ingest rate of 10 spans\/s/);
        return true;
      },
    );
    assert.equal(pipeline.queuedSpans, 8, 'nothing of the refused batch was taken');
    // Another tenant, unlimited, sends far more at the same instant.
    await pipeline.consume(ownSpans(500), 50_000, 'otlp_http', 'fast');
    clock.now += 300;
    await pipeline.consume(refused, 500, 'otlp_http', 'slow');
    await pipeline.stop();
    assert.equal(writer.written.flat().length, 8 + 500 + 5);
    assert.equal(
      await metricValue(registry, 'skein_tenant_spans_refused_total', {
        tenant: 'slow',
        reason: 'rate_limited',
      }),
      5,
    );
    assert.equal(
      await metricValue(registry, 'skein_spans_refused_total', {
        protocol: 'otlp_http',
        reason: 'rate_limited',
      }),
      5,
    );
    assert.equal(
      await metricValue(registry, 'skein_tenant_spans_accepted_total', { tenant: 'slow' }),
      13,
    );
  });

  test('a batch refused for a full queue or by the journal costs its tenant no tokens', async () => {
    const clock = { now: 0 };
    const limits = limiter({ maxSpansPerSecond: 10 }, clock);
    let failJournal = false;
    const journal: IntakeJournal = {
      record() {
        if (failJournal) throw new IntakeUnavailableError(['disk full']);
        return { seq: 1, durable: Promise.resolve() };
      },
      committed() {},
    };
    const { pipeline, registry } = setup(
      new GatedWriter(),
      { queue: { maxSpans: 12, maxBytes: 1_000_000 } },
      undefined,
      { tenantLimits: limits, journal },
    );
    pipeline.consume(ownSpans(4), 400, 'test', 'acme');
    assert.throws(() => pipeline.consume(ownSpans(9), 900, 'test', 'acme'), PipelineFullError);
    failJournal = true;
    assert.throws(() => pipeline.consume(ownSpans(6), 600, 'test', 'acme'), IntakeUnavailableError);
    failJournal = false;
    // 10 - 4 = 6 tokens are still there: neither refusal took any.
    pipeline.consume(ownSpans(6), 600, 'test', 'acme');
    assert.throws(() => pipeline.consume(ownSpans(1), 100, 'test', 'acme'), TenantRateLimitedError);
    const refused = (reason: string) =>
      metricValue(registry, 'skein_tenant_spans_refused_total', { tenant: 'acme', reason });
    assert.equal(await refused('queue_full'), 9);
    assert.equal(await refused('intake_unavailable'), 6);
    assert.equal(await refused('rate_limited'), 1);
  });
});

describe('Pipeline into DuckDB', () => {
  test('everything accepted is in the store after stop(), coalesced and split across batches', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    try {
      const { pipeline, registry } = setup(storage, {
        writers: 2,
        batch: { maxSpans: 50, maxDelayMs: 60_000 },
      });
      const traces = [makeTestSpans(3), makeTestSpans(120), makeTestSpans(1), makeTestSpans(77)];
      for (const spans of traces) pipeline.consume(spans, spans.length * 100, 'test', undefined);
      await pipeline.stop();
      for (const sent of traces) {
        const stored = await storage.getTrace(DEFAULT_TENANT, sent[0].traceId);
        assert.ok(stored, `trace ${sent[0].traceId} is stored`);
        assert.deepEqual(
          stored.spans.map((s) => s.spanId).sort(),
          sent.map((s) => s.spanId).sort(),
        );
      }
      const stored = await storage.getTrace(DEFAULT_TENANT, traces[0][0].traceId);
      assert.equal(stored?.spans[0].resource.serviceName, 'pipeline-test');
      assert.equal(await metricValue(registry, 'skein_spans_written_total'), 201);
      assert.equal(await metricValue(registry, 'skein_storage_write_errors_total'), 0);
    } finally {
      await storage.close();
    }
  });
});

/** Fault injector taking span-batches: fails the first `failures` writes, then decodes and keeps them. */
class FlakyEncodedWriter implements SpanWriter, EncodedSpanWriter {
  readonly written: Span[][] = [];
  readonly seen: (readonly Uint8Array[])[] = [];
  objectWrites = 0;
  constructor(private failures: number) {}
  async write(): Promise<void> {
    this.objectWrites++;
  }
  async writeEncoded(batches: readonly Uint8Array[]): Promise<void> {
    this.seen.push(batches);
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk on fire');
    }
    this.written.push(batches.flatMap((b) => decodeSpanBatch(b)));
  }
}

describe('Pipeline with a writer of span-batches', () => {
  test('queues accepted spans encoded, coalesces them, and retries with the same bytes', async () => {
    const writer = new FlakyEncodedWriter(1);
    const { pipeline, registry } = setup(writer, { batch: { maxSpans: 10, maxDelayMs: 60_000 } });
    const a = makeTestSpans(4);
    const b = makeTestSpans(5);
    await pipeline.consume(a, 400, 'test', undefined);
    await pipeline.consume(b, 500, 'test', undefined);
    assert.equal(pipeline.queuedSpans, 9);
    await pipeline.stop();
    assert.equal(writer.objectWrites, 0, 'nothing was written as objects');
    assert.equal(writer.seen.length, 2, 'one failed attempt, one retry');
    assert.equal(writer.seen[0].length, 2, 'both accepted batches in one write');
    assert.strictEqual(writer.seen[1], writer.seen[0], 'the retry sends the same batches');
    assert.deepStrictEqual(writer.written, [[...a, ...b]]);
    assert.equal(await metricValue(registry, 'skein_spans_written_total'), 9);
    assert.equal(pipeline.queuedSpans, 0);
    assert.equal(pipeline.queuedBytes, 0);
  });

  test('spans a processor changed are queued as changed', async () => {
    const writer = new FlakyEncodedWriter(0);
    const processors: PipelineProcessors = {
      process: (spans) => ({ spans: spans.map((s) => ({ ...s, name: 'renamed' })), held: 0 }),
      drain: () => undefined,
    };
    const { pipeline } = setup(writer, {}, processors);
    await pipeline.consume(makeTestSpans(3), 300, 'test', undefined);
    await pipeline.stop();
    assert.deepEqual(
      writer.written.flat().map((s) => s.name),
      ['renamed', 'renamed', 'renamed'],
    );
  });

  test('spans a processor broke beyond encoding are dropped and counted, the rest written', async () => {
    const writer = new FlakyEncodedWriter(0);
    const processors: PipelineProcessors = {
      process: (spans) => ({
        // Attributes as an object, not the model's list: the span-batch codec refuses it.
        spans:
          spans.length === 2
            ? spans.map((s) => ({ ...s, attributes: { broken: true } }) as unknown as Span)
            : spans,
        held: 0,
      }),
      drain: () => undefined,
    };
    const { pipeline, registry } = setup(writer, {}, processors);
    await pipeline.consume(makeTestSpans(2), 200, 'test', undefined);
    await pipeline.consume(makeTestSpans(3), 300, 'test', undefined);
    await pipeline.stop();
    assert.equal(writer.objectWrites, 0);
    assert.equal(writer.written.flat().length, 3, 'the good batch is written');
    assert.equal(
      await metricValue(registry, 'skein_spans_dropped_total', { reason: 'invalid' }),
      2,
    );
    assert.equal(await metricValue(registry, 'skein_spans_written_total'), 3);
    assert.equal(pipeline.queuedSpans, 0);
  });

  describe("the journal's record reused", () => {
    /** A journal that encodes like the durable intake and keeps what it recorded. */
    function recordingJournal() {
      const records: Uint8Array[] = [];
      const journal: IntakeJournal = {
        record(spans) {
          const batch = encodeSpanBatch(spans);
          records.push(batch);
          return { seq: records.length, durable: Promise.resolve(), batch };
        },
        committed() {},
      };
      return { journal, records };
    }

    test('when no processor changed the batch, the queue writes the recorded bytes', async () => {
      const writer = new FlakyEncodedWriter(0);
      const { journal, records } = recordingJournal();
      const processors: PipelineProcessors = {
        process: (spans) => ({ spans, held: 0, unchanged: true }),
        drain: () => undefined,
      };
      const { pipeline } = setup(writer, {}, processors, { journal });
      const spans = makeTestSpans(3);
      await pipeline.consume(spans, 300, 'test', undefined);
      await pipeline.stop();
      assert.strictEqual(writer.seen[0][0], records[0], 'the very bytes the journal recorded');
      assert.deepStrictEqual(writer.written, [spans]);
    });

    test('a change, a drop or a processor that does not say: the spans are encoded again', async () => {
      for (const [what, process] of [
        [
          'changed',
          (spans: Span[]) => {
            spans[0].name = 'redacted';
            return { spans, held: 0, unchanged: false };
          },
        ],
        ['dropped', (spans: Span[]) => ({ spans: spans.slice(1), held: 0, unchanged: true })],
        [
          'not said',
          (spans: Span[]) => {
            spans[0].name = 'redacted';
            return { spans, held: 0 };
          },
        ],
      ] as const) {
        const writer = new FlakyEncodedWriter(0);
        const { journal, records } = recordingJournal();
        const { pipeline } = setup(writer, {}, { process, drain: () => undefined }, { journal });
        const spans = makeTestSpans(3);
        await pipeline.consume(spans, 300, 'test', undefined);
        await pipeline.stop();
        assert.notStrictEqual(writer.seen[0][0], records[0], what);
        const written = writer.written.flat();
        assert.equal(written.length, what === 'dropped' ? 2 : 3, what);
        if (what !== 'dropped') assert.equal(written[0].name, 'redacted', what);
      }
    });

    test('a record that is a view into a bigger buffer is queued as a copy of its own bytes', async () => {
      const writer = new FlakyEncodedWriter(0);
      const spans = makeTestSpans(2);
      const encoded = encodeSpanBatch(spans);
      const big = new Uint8Array(encoded.length + 64);
      big.set(encoded, 32);
      const view = big.subarray(32, 32 + encoded.length);
      const journal: IntakeJournal = {
        record: () => ({ seq: 1, durable: Promise.resolve(), batch: view }),
        committed() {},
      };
      const { pipeline } = setup(writer, {}, undefined, { journal });
      await pipeline.consume(spans, 200, 'test', undefined);
      await pipeline.stop();
      const queued = writer.seen[0][0];
      assert.equal(queued.buffer.byteLength, encoded.length, 'not the whole bigger buffer');
      assert.deepStrictEqual(writer.written, [spans]);
    });
  });
});
