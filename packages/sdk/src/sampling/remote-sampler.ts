import {
  context,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';

/** Jaeger's sampling strategy JSON as Skein's :5778 serves it (docs/api.md). */
interface StrategyResponse {
  strategyType?: string;
  probabilisticSampling?: { samplingRate: number };
  rateLimitingSampling?: { maxTracesPerSecond: number };
  operationSampling?: {
    defaultSamplingProbability: number;
    perOperationStrategies?: {
      operation: string;
      probabilisticSampling: { samplingRate: number };
    }[];
  };
}

/** Root sampler for one strategy: per-operation ratios, a ratio, or a rate limit. */
class StrategySampler implements Sampler {
  readonly #byOperation = new Map<string, Sampler>();
  readonly #fallback: Sampler;
  readonly #maxPerSecond: number;
  #credits = 0;
  #last = 0;

  constructor(s: StrategyResponse) {
    this.#maxPerSecond = -1;
    if (s.operationSampling !== undefined) {
      this.#fallback = new TraceIdRatioBasedSampler(s.operationSampling.defaultSamplingProbability);
      for (const o of s.operationSampling.perOperationStrategies ?? [])
        this.#byOperation.set(
          o.operation,
          new TraceIdRatioBasedSampler(o.probabilisticSampling.samplingRate),
        );
    } else if (s.rateLimitingSampling !== undefined) {
      this.#fallback = new TraceIdRatioBasedSampler(0);
      this.#maxPerSecond = s.rateLimitingSampling.maxTracesPerSecond;
      this.#credits = this.#maxPerSecond;
    } else
      this.#fallback = new TraceIdRatioBasedSampler(s.probabilisticSampling?.samplingRate ?? 1);
  }

  shouldSample(
    ctx: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (this.#maxPerSecond >= 0) {
      const now = Date.now();
      this.#credits = Math.min(
        this.#maxPerSecond,
        this.#credits + ((now - this.#last) / 1000) * this.#maxPerSecond,
      );
      this.#last = now;
      if (this.#credits < 1) return { decision: SamplingDecision.NOT_RECORD };
      this.#credits -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    const sampler = this.#byOperation.get(name) ?? this.#fallback;
    return sampler.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return 'SkeinStrategySampler';
  }
}

/**
 * Jaeger remote sampling against Skein's :5778 (`GET /sampling?service=NAME`):
 * fetched once at start and every `pollMs` (an unref'd timer, stopped by
 * `shutdown`), with tracing of its own requests suppressed. Parent-based: the root
 * decision follows the strategy (probabilistic, per-operation, rate limiting), a
 * child follows its parent. Until the first answer, and whenever the endpoint
 * fails, the last strategy (at first `initialRatio`) stays in force.
 */
export class RemoteSampler implements Sampler {
  readonly #url: string;
  #delegate: Sampler;
  readonly #timer: NodeJS.Timeout;
  /** The last strategy received, for tests and diagnostics. */
  strategy: StrategyResponse | null = null;
  /** The first fetch (resolved either way). */
  readonly ready: Promise<void>;

  constructor(endpoint: string, service: string, initialRatio: number, pollMs: number) {
    this.#url = `${endpoint.replace(/\/+$/, '')}/sampling?service=${encodeURIComponent(service)}`;
    this.#delegate = parentBased(new TraceIdRatioBasedSampler(initialRatio));
    this.ready = this.refresh();
    this.#timer = setInterval(() => void this.refresh(), pollMs);
    this.#timer.unref();
  }

  /** Fetches the strategy now; keeps the current one on any failure. */
  async refresh(): Promise<void> {
    try {
      const res = await context.with(suppressTracing(context.active()), () =>
        fetch(this.#url, { signal: AbortSignal.timeout(5000) }),
      );
      if (!res.ok) return;
      const body = (await res.json()) as StrategyResponse;
      this.strategy = body;
      this.#delegate = parentBased(new StrategySampler(body));
    } catch {
      // Skein unreachable: keep sampling with the last strategy.
    }
  }

  shutdown(): void {
    clearInterval(this.#timer);
  }

  shouldSample(
    ctx: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    return this.#delegate.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `SkeinRemoteSampler{${this.#url}}`;
  }
}

function parentBased(root: Sampler): Sampler {
  return new ParentBasedSampler({ root });
}
