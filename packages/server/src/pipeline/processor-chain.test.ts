import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig, type SkeinConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import { ProcessorChain } from './processor-chain.ts';
import { ProcessorMetrics } from './processor-metrics.ts';
import type {
  ProcessorCounters,
  ProcessorFactory,
  ProcessorName,
  SpanProcessor,
  TraceProcessor,
} from './processor.ts';
import type { AssembledTrace } from './trace-buffer.ts';
import { metricValue } from './test-support/metric-value.ts';
import { makeTestSpans } from './test-support/test-spans.ts';

/** Settings of the test processors: a tag to stamp, and whether to drop odd spans. */
interface StampSettings {
  tag: string;
  dropOdd: boolean;
}

/** A processor that stamps each span's name and can drop every other span. */
class StampProcessor implements SpanProcessor<StampSettings> {
  readonly level = 'span' as const;
  settings: StampSettings;
  stopped = 0;
  fail = false;
  /** When false it leaves spans as they are (and reports no change). */
  touch = true;
  constructor(
    readonly name: ProcessorName,
    settings: StampSettings,
  ) {
    this.settings = settings;
  }
  process(
    spans: Span[],
    counters: { changed(n: number): void; dropped(r: string, n: number): void },
  ): Span[] {
    if (this.fail) throw new Error('processor bug');
    if (this.touch) {
      for (const span of spans) span.name += `>${this.settings.tag}`;
      counters.changed(spans.length);
    }
    if (!this.settings.dropOdd) return spans;
    const kept = spans.filter((_, i) => i % 2 === 0);
    counters.dropped('odd', spans.length - kept.length);
    return kept;
  }
  update(settings: StampSettings): void {
    this.settings = settings;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}

/** Reads the test settings from the real config sections (`hashKey` as the tag). */
function stampFactory(
  name: ProcessorName,
  made: StampProcessor[],
): ProcessorFactory<StampSettings> {
  return {
    name,
    compile(config: SkeinConfig): StampSettings {
      const tag = name === 'redaction' ? config.pipeline.processors.redaction.hashKey : 'm';
      if (tag === 'invalid') {
        throw new ConfigError([`pipeline.processors.${name}.hashKey`, 'must not be "invalid"']);
      }
      return {
        tag: tag || name,
        dropOdd:
          name === 'spanMetrics' && config.pipeline.processors.spanMetrics.exemplars === false,
      };
    },
    create(settings) {
      const p = new StampProcessor(name, settings);
      made.push(p);
      return p;
    },
  };
}

/** The default config with the two test processors in order, then `edit`. */
function configWith(edit: (c: SkeinConfig) => void = () => {}): SkeinConfig {
  const c = structuredClone(defaultConfig);
  c.pipeline.processors.order = ['redaction', 'spanMetrics'];
  edit(c);
  return c;
}

function setup() {
  const registry = new Registry();
  const made: StampProcessor[] = [];
  const chain = new ProcessorChain({
    factories: [stampFactory('redaction', made), stampFactory('spanMetrics', made)],
    metrics: new ProcessorMetrics(registry),
    logger: pino({ level: 'silent' }),
  });
  return { registry, made, chain };
}

describe('ProcessorChain', () => {
  test('runs the enabled processors in the configured order', async () => {
    const { chain } = setup();
    await chain.prepare(
      configWith((c) => (c.pipeline.processors.order = ['spanMetrics', 'redaction'])),
    )();
    assert.deepEqual(chain.names, ['spanMetrics', 'redaction']);
    const [span] = chain.process(makeTestSpans(1)).spans;
    assert.match(span.name, />m>redaction$/);
  });

  test('a disabled or unlisted processor does not run', async () => {
    const { chain } = setup();
    await chain.prepare(configWith((c) => (c.pipeline.processors.redaction.enabled = false)))();
    assert.deepEqual(chain.names, ['spanMetrics']);
    await chain.prepare(configWith((c) => (c.pipeline.processors.order = ['redaction'])))();
    assert.deepEqual(chain.names, ['redaction']);
    await chain.prepare(configWith((c) => (c.pipeline.processors.order = [])))();
    const spans = makeTestSpans(2);
    assert.equal(chain.process(spans).spans, spans, 'an empty chain passes the batch as is');
  });

  test('refuses unknown and repeated processor names, naming the key', () => {
    const { chain } = setup();
    assert.throws(
      () =>
        chain.prepare(configWith((c) => (c.pipeline.processors.order = ['redaction', 'sampling']))),
      (err: Error) =>
        err instanceof ConfigError &&
        /pipeline\.processors\.order\[1\]/.test(err.message) &&
        /unknown processor "sampling"; known processors: redaction, spanMetrics/.test(err.message),
    );
    assert.throws(
      () =>
        chain.prepare(
          configWith((c) => (c.pipeline.processors.order = ['redaction', 'redaction'])),
        ),
      /order\[1\].*listed twice/,
    );
  });

  test('counts spans in, out, changed and dropped per processor', async () => {
    const { chain, registry } = setup();
    await chain.prepare(configWith((c) => (c.pipeline.processors.spanMetrics.exemplars = false)))();
    const out = chain.process(makeTestSpans(5)).spans;
    assert.equal(out.length, 3);
    const value = (name: string, labels: Record<string, string>) =>
      metricValue(registry, name, labels);
    assert.equal(await value('skein_processor_spans_in_total', { processor: 'redaction' }), 5);
    assert.equal(await value('skein_processor_spans_out_total', { processor: 'redaction' }), 5);
    assert.equal(await value('skein_processor_spans_changed_total', { processor: 'redaction' }), 5);
    assert.equal(await value('skein_processor_spans_in_total', { processor: 'spanMetrics' }), 5);
    assert.equal(await value('skein_processor_spans_out_total', { processor: 'spanMetrics' }), 3);
    assert.equal(
      await value('skein_processor_spans_dropped_total', {
        processor: 'spanMetrics',
        reason: 'odd',
      }),
      2,
    );
    assert.ok((await value('skein_processor_seconds_total', { processor: 'redaction' })) > 0);
  });

  test('unchanged: true only for a batch no processor reported a change in (or threw on)', async () => {
    const { chain, made } = setup();
    await chain.prepare(configWith())();
    for (const p of made) p.touch = false;
    assert.equal(chain.process(makeTestSpans(2)).unchanged, true);
    made[1].touch = true;
    assert.equal(chain.process(makeTestSpans(2)).unchanged, false);
    made[1].touch = false;
    assert.equal(chain.process(makeTestSpans(2)).unchanged, true, 'counted per batch');
    made[0].fail = true;
    assert.equal(
      chain.process(makeTestSpans(2)).unchanged,
      false,
      'a throw may have changed spans',
    );
  });

  test('a processor that throws passes the batch on unchanged and is counted', async () => {
    const { chain, made, registry } = setup();
    await chain.prepare(configWith())();
    made[0].fail = true;
    const spans = makeTestSpans(3);
    const out = chain.process(spans).spans;
    assert.equal(out.length, 3);
    assert.ok(out.every((s) => s.name.endsWith('>m') && !s.name.includes('>redaction')));
    assert.equal(
      await metricValue(registry, 'skein_processor_errors_total', { processor: 'redaction' }),
      1,
    );
  });

  test('a refused configuration changes nothing; an accepted one updates processors in place', async () => {
    const { chain, made } = setup();
    await chain.prepare(configWith((c) => (c.pipeline.processors.redaction.hashKey = 'v1')))();
    assert.throws(
      () => chain.prepare(configWith((c) => (c.pipeline.processors.redaction.hashKey = 'invalid'))),
      {
        name: 'SKEIN_CONFIG_INVALID',
      },
    );
    assert.match(chain.process(makeTestSpans(1)).spans[0].name, />v1>m$/);

    const apply = chain.prepare(
      configWith((c) => (c.pipeline.processors.redaction.hashKey = 'v2')),
    );
    assert.match(
      chain.process(makeTestSpans(1)).spans[0].name,
      />v1>m$/,
      'nothing changes before the swap',
    );
    await apply();
    assert.match(chain.process(makeTestSpans(1)).spans[0].name, />v2>m$/);
    assert.equal(made.length, 2, 'the same processors were updated, not recreated');

    await chain.prepare(configWith((c) => (c.pipeline.processors.spanMetrics.enabled = false)))();
    assert.equal(made[1].stopped, 1, 'a processor turned off is stopped');
    assert.deepEqual(chain.names, ['redaction']);
    await chain.stop();
    assert.equal(made[0].stopped, 1);
    assert.deepEqual(chain.names, []);
  });
});

/** A holding trace-level processor: keeps a trace when one of its spans is named "keep". */
class KeepNamed implements TraceProcessor<null> {
  readonly name = 'tailSampling' as const;
  readonly level = 'trace' as const;
  readonly holdsSpans = true;
  observed = 0;
  lates: boolean[] = [];
  bind(): void {}
  observe(spans: readonly Span[]): void {
    this.observed += spans.length;
  }
  assembled(trace: AssembledTrace, counters: ProcessorCounters): boolean {
    const keep = (trace.held ?? []).some((s) => s.name.startsWith('keep'));
    if (!keep) counters.dropped('policy', trace.held?.length ?? 0);
    return keep;
  }
  late(_span: Span, kept: boolean): void {
    this.lates.push(kept);
  }
  update(): void {}
  async stop(): Promise<void> {}
}

describe('ProcessorChain with a trace-level processor that holds spans', () => {
  function holding() {
    let clock = 0;
    const registry = new Registry();
    const made: StampProcessor[] = [];
    const keeper = new KeepNamed();
    const chain = new ProcessorChain({
      factories: [
        stampFactory('redaction', made),
        { name: 'tailSampling', compile: () => null, create: () => keeper },
        stampFactory('spanMetrics', made),
      ],
      metrics: new ProcessorMetrics(registry),
      logger: pino({ level: 'silent' }),
      now: () => clock,
    });
    const enqueued: Span[][] = [];
    let dropped = 0;
    chain.sink = { enqueue: (s) => enqueued.push(s), dropped: (n) => (dropped += n) };
    return {
      chain,
      keeper,
      registry,
      enqueued,
      dropped: () => dropped,
      advance: (ms: number) => {
        clock += ms;
        chain.buffer?.tick();
      },
    };
  }

  test('spans wait for their trace; kept ones run the processors after it and go to the sink', async () => {
    const { chain, keeper, enqueued, dropped, advance, registry } = holding();
    await chain.prepare(
      configWith((c) => {
        c.pipeline.processors.order = ['redaction', 'tailSampling', 'spanMetrics'];
        c.pipeline.processors.tailSampling.enabled = true;
        c.pipeline.traceBuffer.idleSeconds = 1;
      }),
    )();
    assert.deepEqual(chain.names, ['redaction', 'tailSampling', 'spanMetrics']);
    const kept = makeTestSpans(2);
    kept[0].name = 'keep';
    const droppedTrace = makeTestSpans(3);
    const result = chain.process([...kept, ...droppedTrace], 500);
    assert.deepEqual(result, { spans: [], held: 5 }, 'nothing goes on before the decision');
    assert.equal(keeper.observed, 5);
    assert.ok(kept.every((s) => s.name.includes('>redaction') && !s.name.includes('>m')));
    advance(1000);
    assert.equal(enqueued.length, 1);
    assert.deepEqual(enqueued[0], kept);
    assert.ok(
      kept.every((s) => s.name.endsWith('>redaction>m')),
      'span processors after it ran',
    );
    assert.equal(dropped(), 3);
    assert.equal(chain.buffer?.heldBytes, 0);
    assert.equal(
      await metricValue(registry, 'skein_processor_spans_dropped_total', {
        processor: 'tailSampling',
        reason: 'policy',
      }),
      3,
    );
    // Late spans follow their trace's decision.
    const lateKept = { ...kept[1], spanId: 'ffffffffffffff01' };
    const lateDropped = { ...droppedTrace[0], spanId: 'ffffffffffffff02' };
    assert.deepEqual(chain.process([lateKept, lateDropped], 0), { spans: [], held: 0 });
    assert.deepEqual(keeper.lates, [true, false]);
    assert.deepEqual(enqueued[1], [lateKept]);
    assert.equal(dropped(), 4);
  });

  test('two tenants sending the same trace id: two traces, each decided and released with its own spans', async () => {
    const { chain, enqueued, dropped, advance } = holding();
    await chain.prepare(
      configWith((c) => {
        c.pipeline.processors.order = ['tailSampling'];
        c.pipeline.processors.tailSampling.enabled = true;
        c.pipeline.traceBuffer.idleSeconds = 1;
      }),
    )();
    const plain = makeTestSpans(2);
    plain[0].name = 'keep';
    // acme sends the same ids and names, minus the span that makes a trace kept.
    const resource = { ...plain[0].resource, tenant: 'acme' };
    const acme = plain.map((s) => ({ ...s, resource, name: 'other' }));
    assert.deepEqual(chain.process([plain[0], acme[0], acme[1], plain[1]], 0), {
      spans: [],
      held: 4,
    });
    assert.equal(chain.buffer?.traces, 2);
    advance(1000);
    assert.deepEqual(enqueued, [plain]);
    assert.equal(dropped(), 2);
  });

  test('drain decides every held trace at once (shutdown)', async () => {
    const { chain, enqueued, dropped } = holding();
    await chain.prepare(
      configWith((c) => {
        c.pipeline.processors.order = ['tailSampling'];
        c.pipeline.processors.tailSampling.enabled = true;
      }),
    )();
    const kept = makeTestSpans(1);
    kept[0].name = 'keep-me';
    chain.process([...kept, ...makeTestSpans(2)], 0);
    chain.drain();
    assert.deepEqual(enqueued, [kept]);
    assert.equal(dropped(), 2);
  });
});
