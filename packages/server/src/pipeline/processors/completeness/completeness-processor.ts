import type { Logger } from 'pino';
import { DEFAULT_TENANT, SpanKind, type Resource, type Span } from '../../../model/span.ts';
import type { CompletenessWriter } from '../../../storage/completeness-writer.ts';
import type { ProcessorCounters, TraceProcessor } from '../../processor.ts';
import { nameHash } from '../../span-digest.ts';
import type { AssembledTrace, TraceBuffer } from '../../trace-buffer.ts';
import type { CalleeDirectory } from './callee-directory.ts';
import type { TraceBreak } from '../../../storage/completeness-reader.ts';
import { classifyTrace, indexSpans } from './classify-trace.ts';
import { CompletenessAggregates, minuteOf } from './completeness-aggregates.ts';
import type { CompletenessMetrics } from './completeness-metrics.ts';
import type { CompletenessSettings } from './completeness-settings.ts';
import type { RootCandidate } from './split-finder.ts';
import { TenantCompleteness } from './tenant-completeness.ts';

export interface CompletenessProcessorDeps {
  logger: Logger;
  metrics: CompletenessMetrics;
  /** Where per-minute aggregates go; without one only `/metrics` has the numbers. */
  writer?: CompletenessWriter;
  /** Wall clock, ms (tests pass their own). */
  now?: () => number;
  /** Called once stopped. */
  onStop?: () => void;
}

/** What a fragment's trace is told about the caller trace that lost it. */
interface FragmentNote {
  caller: string;
  callerTraceId: string;
}

/** Aggregate rows kept while the store refuses writes; beyond it the oldest are dropped (counted in the log). */
const MAX_PENDING_ROWS = 200_000;

/**
 * Trace completeness (issue #10), a trace-level processor that never holds spans:
 * the chain records every span in the shared trace buffer (as a compact digest; the
 * span itself flows on unchanged); this judges each trace once it is assembled
 * (`classifyTrace`), pairs unanswered calls with the callee's half in another trace
 * (`SplitFinder`), and counts per-minute aggregates that are flushed to the store
 * every `flushIntervalMs` and on stop.
 *
 * A trace counted complete that later turns out to be the callee half of a split is
 * taken back with negative deltas (the store sums them).
 *
 * Per tenant (`Resource.tenant`): a trace is judged within its tenant, against what
 * was learned from that tenant's traces only ({@link TenantCompleteness}); splits pair
 * only within a tenant; every aggregate row carries the tenant.
 */
export class CompletenessProcessor implements TraceProcessor<CompletenessSettings> {
  readonly name = 'completeness' as const;
  readonly level = 'trace' as const;
  readonly holdsSpans = false;
  readonly #deps: CompletenessProcessorDeps;
  readonly #now: () => number;
  #buffer: TraceBuffer | undefined;
  readonly #aggregates: CompletenessAggregates;
  /** What was learned, per tenant ({@link DEFAULT_TENANT}'s made up front). */
  readonly #tenants = new Map<string, TenantCompleteness>();
  /** The tenant state `observe` used last (the next batch is likely the same tenant's). */
  #lastTenant: TenantCompleteness;
  #settings: CompletenessSettings;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(settings: CompletenessSettings, deps: CompletenessProcessorDeps) {
    this.#settings = settings;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#aggregates = new CompletenessAggregates(settings.examplesPerCause);
    this.#lastTenant = this.#tenant(DEFAULT_TENANT);
    this.#timer = setInterval(() => void this.flush(), settings.flushIntervalMs);
    this.#timer.unref();
  }

  bind(buffer: TraceBuffer): void {
    this.#buffer = buffer;
  }

  /** What has been learned about who calls whom in {@link DEFAULT_TENANT}'s traces. */
  get directory(): CalleeDirectory {
    return this.#tenant(DEFAULT_TENANT).directory;
  }

  /** What has been learned about who calls whom in `tenant`'s traces (undefined: none seen). */
  directoryOf(tenant: string): CalleeDirectory | undefined {
    return this.#tenants.get(tenant)?.directory;
  }

  /** Tenants whose traces were seen (each has its own directory and split candidates). */
  get tenants(): number {
    return this.#tenants.size;
  }

  observe(spans: readonly Span[]): void {
    if (spans.length === 0) return;
    const now = this.#now();
    let resource: Resource | undefined;
    let state = this.#lastTenant;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      if (span.resource !== resource) {
        resource = span.resource;
        if (resource.tenant !== state.tenant) state = this.#tenant(resource.tenant);
        state.lastSeen = now;
      }
      if (span.parentSpanId === '') {
        const service = span.resource.serviceName;
        const c = state.splits.register(span.traceId, span, service, nameHash(span.name));
        if (c !== undefined) state.pending.set(span.traceId, c);
      }
      const kind = span.kind;
      if (kind === SpanKind.Server || kind === SpanKind.Consumer) {
        state.directory.markInstrumented(span.resource.serviceName);
        if (kind === SpanKind.Consumer && span.links.length > 0) {
          for (const link of span.links) state.remember(link.spanId);
        }
      }
    }
    this.#lastTenant = state;
  }

  assembled(trace: AssembledTrace, counters: ProcessorCounters): undefined {
    void counters;
    this.#judge(trace);
    return undefined;
  }

  late(span: Span, kept: boolean, counters: ProcessorCounters): void {
    void kept;
    void counters;
    // A late root was registered by `observe` (which runs first), but its trace was
    // already judged: it is nobody's pending root.
    if (span.parentSpanId === '') this.#tenant(span.resource.tenant).pending.delete(span.traceId);
    this.#late(span);
  }

  /** Root candidates whose trace is still being assembled (bounded by the buffer's traces). */
  get pendingRoots(): number {
    let n = 0;
    for (const state of this.#tenants.values()) n += state.pending.size;
    return n;
  }

  update(settings: CompletenessSettings): void {
    this.#settings = settings;
    for (const state of this.#tenants.values()) state.splits.skewMs = settings.skewMs;
    this.#aggregates.examplesPerCause = settings.examplesPerCause;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.flush(), settings.flushIntervalMs);
    this.#timer.unref();
  }

  /** Writes what was counted (the chain released every buffered trace before). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    this.#deps.onStop?.();
  }

  /** Writes the aggregates counted since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const now = this.#now();
    // A root of a service nobody calls (an entry point) is never the other half of a
    // split, but right after a start it may be judged before the first call to its
    // service is: it is kept until its callers had an idle time to be judged too.
    const settled = now - this.#settings.idleMs;
    const quietSince = now - retainUs(this.#settings) / 1000;
    for (const state of this.#tenants.values()) {
      const directory = state.directory;
      state.splits.prune(
        now * 1000,
        (c) =>
          c.counted !== undefined && c.counted.judgedAt < settled && !directory.isCallee(c.service),
      );
      // A tenant that went quiet, with nothing left to pair or judge, is forgotten.
      if (
        state.tenant !== DEFAULT_TENANT &&
        state.lastSeen < quietSince &&
        state.pending.size === 0 &&
        state.splits.services === 0
      ) {
        this.#tenants.delete(state.tenant);
        if (this.#lastTenant === state) this.#lastTenant = this.#tenant(DEFAULT_TENANT);
      }
    }
    const writer = this.#deps.writer;
    if (writer === undefined || this.#aggregates.size === 0) return;
    const delta = this.#aggregates.take();
    try {
      await writer.writeCompleteness(delta);
      if (this.#failing) this.#deps.logger.warn('completeness aggregates are written again');
      this.#failing = false;
    } catch (err) {
      this.#deps.metrics.flushFailures.inc();
      if (!this.#failing)
        this.#deps.logger.error(
          { err },
          'writing completeness aggregates failed; keeping them for the next flush',
        );
      this.#failing = true;
      if (this.#aggregates.size < MAX_PENDING_ROWS) this.#aggregates.restore(delta);
    }
  }

  /** The state of `tenant`, made on its first span. */
  #tenant(tenant: string): TenantCompleteness {
    let state = this.#tenants.get(tenant);
    if (state === undefined) {
      state = new TenantCompleteness(tenant, {
        skewMs: this.#settings.skewMs,
        retainUs: retainUs(this.#settings),
      });
      this.#tenants.set(tenant, state);
    }
    return state;
  }

  #judge(trace: AssembledTrace): void {
    const { metrics } = this.#deps;
    const tenant = trace.tenant;
    const state = this.#tenant(tenant);
    const directory = state.directory;
    const { byId } = indexSpans(trace.spans);
    directory.learn(trace.spans, byId);
    const verdict = classifyTrace(trace.traceId, trace.spans, directory, byId, state.linked);
    for (const b of verdict.breaks) {
      if (b.cause !== 'unanswered_call') continue;
      const call = byId.get(b.spanId);
      if (call === undefined) continue;
      const offset = directory.offsetUs(b.service, b.peer);
      const other = state.splits.pair(trace.traceId, call, b.peer, offset);
      if (other === undefined) continue;
      b.cause = call.kind === SpanKind.Producer ? 'async_break' : 'split_trace';
      b.otherTraceId = other.traceId;
      this.#fragment(tenant, other, { caller: b.service, callerTraceId: trace.traceId });
    }
    const note = trace.notes?.get('fragment') as FragmentNote | undefined;
    if (note !== undefined) {
      verdict.breaks.push({
        cause: 'fragment',
        spanId: '',
        service: verdict.rootService,
        peer: note.caller,
        otherTraceId: note.callerTraceId,
      });
      verdict.complete = false;
    }

    const minute = minuteOf(verdict.startTime);
    const agg = this.#aggregates;
    const complete = verdict.complete;
    agg.root(tenant, minute, verdict.rootService, 1, complete ? 1 : 0);
    for (const [service, n] of verdict.spansByService)
      agg.service(tenant, minute, service, n, complete ? n : 0);
    for (const call of verdict.calls)
      agg.edge(tenant, minute, call.caller, call.callee, 1, call.answered ? 1 : 0);
    for (const b of verdict.breaks) this.#countBreak(tenant, minute, trace.traceId, b);
    metrics.traceAssembled(tenant, verdict.rootService, complete);

    const candidate = state.pending.get(trace.traceId);
    if (candidate !== undefined) {
      state.pending.delete(trace.traceId);
      candidate.counted = {
        judgedAt: this.#now(),
        minute,
        rootService: verdict.rootService,
        complete,
        spansByService: complete ? verdict.spansByService : new Map(),
      };
    }
  }

  #countBreak(tenant: string, minute: number, traceId: string, b: TraceBreak): void {
    const example = b.otherTraceId === undefined ? traceId : `${traceId}>${b.otherTraceId}`;
    this.#aggregates.breakOf(tenant, minute, b.cause, b.service, b.peer, 1, example);
    this.#deps.metrics.traceBreak(tenant, b.service, b.peer, b.cause);
  }

  /** Marks the callee half of a split: noted while buffered, or taken back if already counted. */
  #fragment(tenant: string, half: RootCandidate, note: FragmentNote): void {
    const counted = half.counted;
    if (counted === undefined) {
      this.#buffer?.note(tenant, half.traceId, 'fragment', note);
      return;
    }
    const agg = this.#aggregates;
    if (counted.complete) {
      agg.root(tenant, counted.minute, counted.rootService, 0, -1);
      for (const [service, n] of counted.spansByService)
        agg.service(tenant, counted.minute, service, 0, -n);
      counted.complete = false;
    }
    this.#countBreak(tenant, counted.minute, half.traceId, {
      cause: 'fragment',
      spanId: '',
      service: half.service,
      peer: note.caller,
      otherTraceId: note.callerTraceId,
    });
  }

  #late(span: Span): void {
    const service = span.resource.serviceName;
    this.#countBreak(span.resource.tenant, minuteOf(span.startTime), span.traceId, {
      cause: 'late_span',
      spanId: span.spanId,
      service,
      peer: '',
    });
  }
}

/** How long root candidates stay pairable: twice the idle time plus a minute of call time. */
function retainUs(settings: CompletenessSettings): number {
  return (2 * settings.idleMs + 60_000) * 1000;
}
