/**
 * The answer of `GET /api/sampling/strategies` (docs/api.md, "Sampling strategies") as the
 * Sampling page reads it, and what the page derives from it: the strategy in plain words,
 * the per-operation rows (what SDKs apply to each root operation, and the adaptive
 * calculator's observed, sampled and target rates), their orderings and the rate bar.
 *
 * Probabilities are fractions 0..1; rates are traces per second.
 */

/** Where a served strategy came from; unknown origins from a newer server are kept as text. */
export type StrategyOrigin = 'file' | 'adaptive' | 'default' | (string & {});

export interface OperationProbability {
  operation: string;
  probability: number;
}

/** `operationSampling` of a served strategy: what SDKs apply per root operation. */
export interface OperationSampling {
  /** For operations not listed. */
  defaultProbability: number;
  /** Each SDK instance keeps at least this many traces/s per operation (0: no floor). */
  lowerBound: number;
  /** 0: no ceiling. */
  upperBound: number;
  operations: OperationProbability[];
}

/** A strategy as SDKs receive it (Jaeger's JSON), flattened. */
export interface ServedStrategy {
  /** `PROBABILISTIC` or `RATE_LIMITING` (others kept as text). */
  type: string;
  /** `probabilisticSampling.samplingRate`, when present. */
  probability: number | null;
  /** `rateLimitingSampling.maxTracesPerSecond`, when present. */
  maxTracesPerSecond: number | null;
  operationSampling: OperationSampling | null;
}

/** The adaptive calculator's numbers for one root operation. */
export interface AdaptiveRate {
  operation: string;
  /** The probability it computed. */
  probability: number;
  /** Root traces/s, sampled or not (estimated); null before a first estimate. */
  tracesPerSecond: number | null;
  /** Sampled root traces/s that reached Skein. */
  sampledPerSecond: number;
  targetSamplesPerSecond: number;
  /** ms since the epoch. */
  updatedAt: number;
}

export interface StrategyExplanation {
  origin: StrategyOrigin;
  /** In words, naming the file or source. */
  reason: string;
  strategy: ServedStrategy;
  /** Where SDKs will do something other than what is written. */
  warnings: string[];
}

export interface ServiceStrategy extends StrategyExplanation {
  service: string;
  /** Present when the adaptive calculator reports rates (possibly empty). */
  adaptiveOperations: AdaptiveRate[] | null;
}

export interface SamplingStrategies {
  /** What a service nobody wrote or computed anything for gets. */
  default: StrategyExplanation;
  /** Whether the adaptive calculator is plugged in. */
  adaptive: boolean;
  services: ServiceStrategy[];
}

function fail(what: string): never {
  throw new Error(`the sampling answer ${what}; is this Skein's /api/sampling/strategies?`);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`has no object at ${what}`);
  return v as Record<string, unknown>;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`has no number at ${what}`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`has no text at ${what}`);
  return v;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`has no list at ${what}`);
  return v;
}

/** Reads a strategy in Jaeger's JSON (what `GET /sampling?service=` sends). */
export function parseServedStrategy(v: unknown, at: string): ServedStrategy {
  const o = obj(v, at);
  const p = o.probabilisticSampling;
  const r = o.rateLimitingSampling;
  const ops = o.operationSampling;
  let operationSampling: OperationSampling | null = null;
  if (ops !== undefined && ops !== null) {
    const s = obj(ops, `${at}.operationSampling`);
    const sat = `${at}.operationSampling`;
    operationSampling = {
      defaultProbability: num(s.defaultSamplingProbability, `${sat}.defaultSamplingProbability`),
      lowerBound:
        s.defaultLowerBoundTracesPerSecond === undefined
          ? 0
          : num(s.defaultLowerBoundTracesPerSecond, `${sat}.defaultLowerBoundTracesPerSecond`),
      upperBound:
        s.defaultUpperBoundTracesPerSecond === undefined
          ? 0
          : num(s.defaultUpperBoundTracesPerSecond, `${sat}.defaultUpperBoundTracesPerSecond`),
      operations: list(s.perOperationStrategies, `${sat}.perOperationStrategies`).map((e, i) => {
        const eat = `${sat}.perOperationStrategies[${i}]`;
        const op = obj(e, eat);
        return {
          operation: str(op.operation, `${eat}.operation`),
          probability: num(
            obj(op.probabilisticSampling, `${eat}.probabilisticSampling`).samplingRate,
            `${eat}.probabilisticSampling.samplingRate`,
          ),
        };
      }),
    };
  }
  return {
    type: str(o.strategyType, `${at}.strategyType`),
    probability:
      p === undefined || p === null
        ? null
        : num(
            obj(p, `${at}.probabilisticSampling`).samplingRate,
            `${at}.probabilisticSampling.samplingRate`,
          ),
    maxTracesPerSecond:
      r === undefined || r === null
        ? null
        : num(
            obj(r, `${at}.rateLimitingSampling`).maxTracesPerSecond,
            `${at}.rateLimitingSampling.maxTracesPerSecond`,
          ),
    operationSampling,
  };
}

function explanation(o: Record<string, unknown>, at: string): StrategyExplanation {
  return {
    origin: str(o.origin, `${at}.origin`),
    reason: str(o.reason, `${at}.reason`),
    strategy: parseServedStrategy(o.strategy, `${at}.strategy`),
    warnings: list(o.warnings, `${at}.warnings`).map((w, i) => str(w, `${at}.warnings[${i}]`)),
  };
}

function adaptiveRate(v: unknown, at: string): AdaptiveRate {
  const o = obj(v, at);
  const observed = num(o.tracesPerSecond, `${at}.tracesPerSecond`);
  return {
    operation: str(o.operation, `${at}.operation`),
    probability: num(o.probability, `${at}.probability`),
    // The calculator reports -1 before its first estimate.
    tracesPerSecond: observed < 0 ? null : observed,
    sampledPerSecond: num(o.sampledPerSecond, `${at}.sampledPerSecond`),
    targetSamplesPerSecond: num(o.targetSamplesPerSecond, `${at}.targetSamplesPerSecond`),
    updatedAt: num(o.updatedAt, `${at}.updatedAt`),
  };
}

/**
 * The data inside the `{data, errors}` envelope of `/api/sampling/strategies`. Throws an
 * Error naming the first field that is not what the API documents.
 */
export function parseSamplingStrategies(body: unknown): SamplingStrategies {
  const d = obj(obj(body, 'top level').data, 'data');
  return {
    default: explanation(obj(d.default, 'data.default'), 'data.default'),
    adaptive: d.adaptive === true,
    services: list(d.services, 'data.services').map((s, i) => {
      const at = `data.services[${i}]`;
      const o = obj(s, at);
      return {
        service: str(o.service, `${at}.service`),
        ...explanation(o, at),
        adaptiveOperations:
          o.adaptiveOperations === undefined || o.adaptiveOperations === null
            ? null
            : list(o.adaptiveOperations, `${at}.adaptiveOperations`).map((r, j) =>
                adaptiveRate(r, `${at}.adaptiveOperations[${j}]`),
              ),
      };
    }),
  };
}

/**
 * A probability as a percentage with up to three significant digits: `100%`, `10%`,
 * `0.1%`, `0.05%`, `33.3%`; `–` for none. Small probabilities are the common case in
 * sampling, so they are never rounded to `<0.1%`.
 */
export function formatProbability(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '–';
  if (p === 0) return '0%';
  return `${Number((p * 100).toPrecision(3))}%`;
}

/** Traces per second: `20`, `1.5`, `0.25`, `0.0042`; `–` for none. */
export function formatTracesPerSecond(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return a >= 0.1 ? String(Number(v.toFixed(digits))) : String(Number(v.toPrecision(2)));
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * What SDKs do with a strategy, in plain words: `probabilistic 10%`, `rate limiting, 20
 * traces/s`, `per operation: 2 operations, others 10%`, or for the adaptive calculator's
 * strategies `adaptive, 4 operations`. A strategy with operation sampling is described by
 * it, as SDKs then follow it (a rate limit served beside it is ignored; see the warnings).
 */
export function describeStrategy(s: ServedStrategy, origin: StrategyOrigin): string {
  const ops = s.operationSampling;
  if (ops !== null) {
    const n = plural(ops.operations.length, 'operation');
    if (origin === 'adaptive') return `adaptive, ${n}`;
    return `per operation: ${n}, others ${formatProbability(ops.defaultProbability)}`;
  }
  if (s.type === 'RATE_LIMITING' && s.maxTracesPerSecond !== null)
    return `rate limiting, ${formatTracesPerSecond(s.maxTracesPerSecond)} traces/s`;
  if (s.type === 'PROBABILISTIC' && s.probability !== null)
    return `probabilistic ${formatProbability(s.probability)}`;
  return s.type.toLowerCase().replace(/_/g, ' ');
}

/** The strategy in words with its origin: `probabilistic 10% (file)`. */
export function strategySummary(e: { strategy: ServedStrategy; origin: StrategyOrigin }): string {
  return `${describeStrategy(e.strategy, e.origin)} (${e.origin})`;
}

/**
 * The probability an SDK starts a trace with when it has no per-operation entry: the
 * operations' default, else the strategy's probability; null for a pure rate limit.
 */
export function baseProbability(s: ServedStrategy): number | null {
  return s.operationSampling?.defaultProbability ?? s.probability;
}

/** Where the probability served for an operation comes from. */
export type ServedFrom =
  /** its own entry in `operationSampling` */
  | 'operation'
  /** not listed: `operationSampling`'s default probability */
  | 'operations-default'
  /** no operation sampling: the service's probability */
  | 'service'
  /** no operation sampling: the service's rate limit (no probability) */
  | 'rate-limit';

/** One row of the per-operation table. */
export interface OperationRow {
  operation: string;
  /** The probability SDKs apply to a root span of this operation; null under a rate limit. */
  served: number | null;
  servedFrom: ServedFrom;
  /** The adaptive calculator's computed probability (differs from `served` when the operator pinned the service). */
  computed: number | null;
  /** Observed root traces/s, sampled or not. */
  observed: number | null;
  /** Sampled root traces/s that reached Skein. */
  sampled: number | null;
  target: number | null;
}

/**
 * The operations of a service: those its served strategy lists and those the adaptive
 * calculator reports, by name, each with the probability SDKs apply to it.
 */
export function operationRows(s: ServiceStrategy): OperationRow[] {
  const strategy = s.strategy;
  const ops = strategy.operationSampling;
  const rows = new Map<string, OperationRow>();
  const fallback = (operation: string): OperationRow => {
    if (ops !== null)
      return {
        operation,
        served: ops.defaultProbability,
        servedFrom: 'operations-default',
        computed: null,
        observed: null,
        sampled: null,
        target: null,
      };
    const limited = strategy.type === 'RATE_LIMITING';
    return {
      operation,
      served: limited ? null : strategy.probability,
      servedFrom: limited ? 'rate-limit' : 'service',
      computed: null,
      observed: null,
      sampled: null,
      target: null,
    };
  };
  for (const op of ops?.operations ?? []) {
    rows.set(op.operation, {
      ...fallback(op.operation),
      served: op.probability,
      servedFrom: 'operation',
    });
  }
  for (const r of s.adaptiveOperations ?? []) {
    const row = rows.get(r.operation) ?? fallback(r.operation);
    row.computed = r.probability;
    row.observed = r.tracesPerSecond;
    row.sampled = r.sampledPerSecond;
    row.target = r.targetSamplesPerSecond;
    rows.set(r.operation, row);
  }
  return [...rows.values()].sort((a, b) => compareText(a.operation, b.operation));
}

/** Columns of the per-operation table, each sortable. */
export const OPERATION_COLUMNS = [
  'operation',
  'served',
  'computed',
  'observed',
  'sampled',
  'target',
] as const;
export type SamplingColumn = (typeof OPERATION_COLUMNS)[number];

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts operation rows in place: by name, or by a number with rows lacking it last in
 * either direction; ties by name ascending, so the order is stable between refreshes.
 */
export function sortOperationRows(
  rows: OperationRow[],
  column: SamplingColumn,
  desc: boolean,
): OperationRow[] {
  if (column === 'operation')
    return rows.sort((a, b) =>
      desc ? compareText(b.operation, a.operation) : compareText(a.operation, b.operation),
    );
  return rows.sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (x === null || y === null) {
      if (x === y) return compareText(a.operation, b.operation);
      return x === null ? 1 : -1;
    }
    return (desc ? y - x : x - y) || compareText(a.operation, b.operation);
  });
}

/** Where the sampled bar ends and the target line stands, as fractions 0..1 of the bar. */
export interface RateBar {
  sampled: number;
  target: number | null;
}

/** The target line stands at 80% of the bar when sampled traces are at or under it. */
const BAR_HEADROOM = 1.25;

/**
 * The small bar of an operation: sampled traces per second against the target, on a scale
 * of the larger of the two plus a quarter, so a rate on target ends just short of the line
 * and one above it passes it. (Observed traffic, usually far larger, has its own column.)
 * Null when there is no sampled rate, or nothing above zero to draw.
 */
export function rateBar(row: OperationRow): RateBar | null {
  if (row.sampled === null || !Number.isFinite(row.sampled)) return null;
  const target = row.target !== null && Number.isFinite(row.target) ? row.target : null;
  const top = Math.max(row.sampled, target ?? 0);
  if (!(top > 0)) return null;
  const scale = top * BAR_HEADROOM;
  return {
    sampled: Math.max(0, row.sampled) / scale,
    target: target === null ? null : Math.max(0, target) / scale,
  };
}

/**
 * How the sampled rate stands against the target: `on` within ±`tolerance` (a fraction of
 * the target; 0.3 is Jaeger's default delta tolerance), else `below` or `above`; `all`
 * when it is below but every trace is already kept (the traffic is under the target);
 * null without both numbers, with a zero target, or before a first traffic estimate.
 */
export function targetStanding(
  row: OperationRow,
  tolerance = 0.3,
): 'on' | 'below' | 'above' | 'all' | null {
  if (row.sampled === null || row.target === null || row.target <= 0) return null;
  // Nothing to judge before the first traffic estimate.
  if (row.observed === null) return null;
  const ratio = row.sampled / row.target;
  if (ratio < 1 - tolerance) return (row.served ?? 0) >= 1 ? 'all' : 'below';
  if (ratio > 1 + tolerance) return 'above';
  return 'on';
}
