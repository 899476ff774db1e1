import { Counter, type Registry } from 'prom-client';
import type { Span } from '../../../model/span.ts';
import type { ProcessorCounters, TraceProcessor } from '../../processor.ts';
import type { AssembledTrace } from '../../trace-buffer.ts';
import { decide } from './decide.ts';
import type { HeldTrace, TailSamplingPolicy } from './policy.ts';

/** Tenants given their own `tenant` label value on the decision counter; later ones count as `(other)`. */
const MAX_TENANT_LABELS = 1000;

/** Compiled `pipeline.processors.tailSampling`. */
export interface TailSamplingSettings {
  policies: TailSamplingPolicy[];
}

/**
 * Tail sampling's own metrics: decisions by outcome, reason and policy (policy names
 * come from the config, so the label is bounded), and late spans by the decision
 * they followed. Spans dropped are also in `skein_processor_spans_dropped_total`.
 */
export class TailSamplingMetrics {
  readonly decisions: Counter<'decision' | 'reason' | 'policy' | 'tenant'>;
  readonly lateSpans: Counter<'decision'>;
  readonly #tenants = new Set<string>();

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'skein_tail_sampling_traces_total',
      help: 'Traces decided by tail sampling: decision (kept, dropped), reason (sampled, dropped, not_sampled, debug, no_policies), the deciding policy and the tenant (past 1000 tenants, "(other)").',
      labelNames: ['decision', 'reason', 'policy', 'tenant'],
      registers: [registry],
    });
    this.lateSpans = new Counter({
      name: 'skein_tail_sampling_late_spans_total',
      help: 'Spans that arrived after their trace was decided, by the decision they followed.',
      labelNames: ['decision'],
      registers: [registry],
    });
  }

  /** The `tenant` label value for `tenant` (bounded: past {@link MAX_TENANT_LABELS}, `(other)`). */
  tenantLabel(tenant: string): string {
    if (this.#tenants.has(tenant)) return tenant;
    if (this.#tenants.size >= MAX_TENANT_LABELS) return '(other)';
    this.#tenants.add(tenant);
    return tenant;
  }
}

/**
 * Tail sampling (issue #9): holds every span of a trace in the shared trace buffer
 * until the trace is assembled (idle for `pipeline.traceBuffer.idleSeconds`, or
 * released early when the buffer is full, or at shutdown), then keeps or drops the
 * whole trace with one decision (`decide`). Spans arriving later follow it (the
 * buffer remembers recent decisions). Decisions depend only on the trace's spans,
 * its id and the policies' rate budgets, so deployments that route by trace id agree.
 * A trace is one tenant's (the buffer keys traces by tenant and trace id): two tenants
 * sending the same trace id get a decision each, and rate budgets are per tenant.
 */
export class TailSamplingProcessor implements TraceProcessor<TailSamplingSettings> {
  readonly name = 'tailSampling' as const;
  readonly level = 'trace' as const;
  readonly holdsSpans = true;
  #policies: TailSamplingPolicy[];
  readonly #metrics: TailSamplingMetrics;
  readonly #now: () => number;
  /** Reused for every decision (policies read it synchronously and keep nothing). */
  readonly #trace: HeldTrace = { tenant: '', traceId: '', spans: [] };

  constructor(
    settings: TailSamplingSettings,
    deps: { metrics: TailSamplingMetrics; now?: () => number },
  ) {
    this.#policies = settings.policies;
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? Date.now;
  }

  bind(): void {}

  observe(): void {}

  assembled(trace: AssembledTrace, counters: ProcessorCounters): boolean {
    const held = trace.held ?? [];
    const view = this.#trace;
    view.tenant = trace.tenant;
    view.traceId = trace.traceId;
    view.spans = held;
    const decision = decide(this.#policies, view, this.#now());
    view.spans = [];
    this.#metrics.decisions.inc({
      decision: decision.keep ? 'kept' : 'dropped',
      reason: decision.reason,
      policy: decision.policy ?? '',
      tenant: this.#metrics.tenantLabel(trace.tenant),
    });
    if (!decision.keep) counters.dropped(decision.reason, held.length);
    return decision.keep;
  }

  late(_span: Span, kept: boolean, counters: ProcessorCounters): void {
    this.#metrics.lateSpans.inc({ decision: kept ? 'kept' : 'dropped' });
    if (!kept) counters.dropped('late_after_drop', 1);
  }

  update(settings: TailSamplingSettings): void {
    this.#policies = settings.policies;
  }

  async stop(): Promise<void> {}
}
