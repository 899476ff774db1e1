import { ConfigError } from '../errors.ts';
import type {
  OperationSamplingStrategy,
  PerOperationSampling,
  SamplingStrategyResponse,
} from './strategy-source.ts';

/** Jaeger's built-in default: probabilistic 0.001 (its file provider's DefaultSamplingProbability). */
export const BUILT_IN_PROBABILITY = 0.001;

/** How a document spells its multi-word keys: Jaeger's file (`snake`) or Skein's YAML (`camel`). */
export type KeyStyle = 'snake' | 'camel';

const SNAKE: Record<string, string> = {
  defaultStrategy: 'default_strategy',
  serviceStrategies: 'service_strategies',
  operationStrategies: 'operation_strategies',
  defaultLowerBoundTracesPerSecond: 'default_lower_bound_traces_per_second',
};

/** A key as the document spells it. */
function spelled(key: string, style: KeyStyle): string {
  return style === 'snake' ? (SNAKE[key] ?? key) : key;
}

/** The object with its keys renamed to camelCase; a key the document's style does not know is an error. */
function normalized(
  value: object,
  known: readonly string[],
  style: KeyStyle,
  path: string,
): Record<string, unknown> {
  const names = known.map((k) => spelled(k, style));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const i = names.indexOf(key);
    if (i < 0) {
      throw new ConfigError([
        `${path}.${key}`,
        `unknown key; known keys here: ${names.join(', ')}`,
      ]);
    }
    out[known[i]] = v;
  }
  return out;
}

/** What a strategies document compiles to: the responses served, ready to send. */
export interface CompiledStrategies {
  /** What a service without its own entry gets. */
  defaultStrategy: SamplingStrategyResponse;
  /** True when the document has a default strategy (false: Jaeger's built-in default). */
  hasDefault: boolean;
  /** Per service; each response is shared, never modified after compile. */
  services: Map<string, SamplingStrategyResponse>;
  /**
   * Things that are served differently from what the document says, or that SDKs
   * apply differently (logged at load, shown per service by the strategies API).
   * Keyed by service; `''` is the default strategy.
   */
  warnings: Map<string, string[]>;
}

const MAX_INT32 = 2 ** 31 - 1;
const STRATEGY_TYPES = ['probabilistic', 'ratelimiting'];

interface Parsed {
  response: SamplingStrategyResponse;
  /** Operation strategies as given (probabilistic ones only), in order. */
  operations: OperationSamplingStrategy[];
  lowerBound: number | undefined;
}

/**
 * Compiles a strategies document with the semantics of Jaeger's file provider
 * (`internal/sampling/samplingstrategy/file/provider.go`):
 *
 * - `probabilistic` serves `probabilisticSampling`, `ratelimiting` serves
 *   `rateLimitingSampling`; a strategy with operation strategies also serves
 *   `operationSampling` whose default probability is the strategy's own
 *   probability (0.001 for a rate-limiting one, as Jaeger).
 * - When the default strategy has operation strategies, every service inherits
 *   them: a service without its own gets the default's list (with its own
 *   probability as the default probability when it is probabilistic); a service
 *   with its own gets its list followed by the default's operations it does not
 *   name.
 * - `ratelimiting` operation strategies are skipped with a warning (the protocol
 *   only carries probabilities per operation).
 *
 * Differences from Jaeger, all in the direction of saying what is wrong instead of
 * serving something else silently: an unknown key or `type`, a probability outside
 * [0, 1], a fractional or negative traces-per-second, a duplicate service or
 * operation are errors; a service entry without `type` and `param` takes the
 * default strategy's (Jaeger serves its built-in 0.001 with a warning).
 *
 * @param doc the parsed JSON or YAML (`null` means no strategies: the built-in default).
 * @param where names the document in error messages (a file path, or `sampling.strategies`).
 * @throws ConfigError naming the entry, as the document spells it, and what it accepts.
 */
export function compileStrategies(
  doc: unknown,
  where: string,
  style: KeyStyle,
): CompiledStrategies {
  const warnings = new Map<string, string[]>();
  const warn = (service: string, text: string) => {
    const list = warnings.get(service) ?? [];
    list.push(text);
    warnings.set(service, list);
  };
  if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new ConfigError([
      where,
      `expected an object with ${spelled('defaultStrategy', style)} and ${spelled('serviceStrategies', style)}, got ${JSON.stringify(doc).slice(0, 40)}`,
    ]);
  }
  const top = normalized(doc ?? {}, ['defaultStrategy', 'serviceStrategies'], style, where);
  const defaultPath = `${where}: ${spelled('defaultStrategy', style)}`;
  const hasDefault = top.defaultStrategy !== undefined && top.defaultStrategy !== null;
  const parsedDefault: Parsed = hasDefault
    ? parseStrategy(top.defaultStrategy, defaultPath, style, undefined, (t) => warn('', t))
    : { response: probabilistic(BUILT_IN_PROBABILITY), operations: [], lowerBound: undefined };
  const defaultStrategy = withOperations(parsedDefault, parsedDefault.operations, 0);
  if (
    parsedDefault.response.strategyType === 'RATE_LIMITING' &&
    parsedDefault.operations.length > 0
  ) {
    warn('', IGNORED_RATE_LIMIT);
  }

  const services = new Map<string, SamplingStrategyResponse>();
  const list = top.serviceStrategies ?? [];
  const listPath = `${where}: ${spelled('serviceStrategies', style)}`;
  if (!Array.isArray(list)) {
    throw new ConfigError([listPath, 'expected a list of service strategies']);
  }
  list.forEach((entry: unknown, i) => {
    const path = `${listPath}[${i}]`;
    const service = (entry as { service?: unknown } | null)?.service;
    if (typeof service !== 'string' || service === '') {
      throw new ConfigError([`${path}.service`, 'the service name is required']);
    }
    if (services.has(service)) {
      throw new ConfigError([
        `${path}.service`,
        `"${service}" already has a strategy above; give each service one entry`,
      ]);
    }
    const parsed = parseStrategy(entry, path, style, parsedDefault, (t) => warn(service, t));
    const hasOwnOperations = parsed.operations.length > 0;
    let operations = parsed.operations;
    if (parsedDefault.operations.length > 0) {
      const named = new Set(operations.map((o) => o.operation));
      operations = operations.concat(
        parsedDefault.operations.filter((o) => !named.has(o.operation)),
      );
    }
    if (operations.length > 0 && parsed.response.strategyType === 'RATE_LIMITING') {
      warn(service, IGNORED_RATE_LIMIT);
    }
    // Jaeger: a service without operations of its own uses the default's list with its own
    // probability as the default probability when it is probabilistic, else the default's.
    const fallback =
      !hasOwnOperations && parsed.response.strategyType === 'RATE_LIMITING'
        ? defaultProbabilityOf(parsedDefault)
        : undefined;
    const lowerBound = parsed.lowerBound ?? parsedDefault.lowerBound ?? 0;
    services.set(service, withOperations(parsed, operations, lowerBound, fallback));
  });
  return { defaultStrategy, hasDefault, services, warnings };
}

const IGNORED_RATE_LIMIT =
  'ratelimiting with operation strategies: SDKs follow operationSampling when it is present, so ' +
  'Jaeger clients use the per-operation probabilities and ignore the rate limit ' +
  '(@opentelemetry/sampler-jaeger-remote does not apply rate limits at all)';

function probabilistic(samplingRate: number): SamplingStrategyResponse {
  return { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate } };
}

function defaultProbabilityOf(parsed: Parsed): number {
  return parsed.response.probabilisticSampling?.samplingRate ?? BUILT_IN_PROBABILITY;
}

/** The response with `operationSampling` added when there are operation strategies. */
function withOperations(
  parsed: Parsed,
  operations: OperationSamplingStrategy[],
  lowerBound: number,
  defaultProbability?: number,
): SamplingStrategyResponse {
  if (operations.length === 0) return parsed.response;
  const operationSampling: PerOperationSampling = {
    defaultSamplingProbability:
      defaultProbability ??
      parsed.response.probabilisticSampling?.samplingRate ??
      BUILT_IN_PROBABILITY,
    defaultLowerBoundTracesPerSecond: lowerBound,
    perOperationStrategies: operations,
    defaultUpperBoundTracesPerSecond: 0,
  };
  return { ...parsed.response, operationSampling };
}

const STRATEGY_KEYS = ['type', 'param', 'operationStrategies', 'defaultLowerBoundTracesPerSecond'];
const SERVICE_KEYS = ['service', ...STRATEGY_KEYS];

/**
 * One strategy entry. Service entries (`inheritFrom` set) also name their service
 * and take the default's type and param when they give neither.
 */
function parseStrategy(
  value: unknown,
  path: string,
  style: KeyStyle,
  inheritFrom: Parsed | undefined,
  warn: (text: string) => void,
): Parsed {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([path, 'expected an object with type, param']);
  }
  const entry = normalized(
    value,
    inheritFrom === undefined ? STRATEGY_KEYS : SERVICE_KEYS,
    style,
    path,
  );
  const response =
    entry.type === undefined && entry.param === undefined && inheritFrom !== undefined
      ? inheritFrom.response
      : parseTypeAndParam(entry.type, entry.param, path);
  const lowerBound = entry.defaultLowerBoundTracesPerSecond;
  if (
    lowerBound !== undefined &&
    (typeof lowerBound !== 'number' || !Number.isFinite(lowerBound) || lowerBound < 0)
  ) {
    throw new ConfigError([
      `${path}.${spelled('defaultLowerBoundTracesPerSecond', style)}`,
      `must be a number of traces per second, 0 or more, got ${JSON.stringify(lowerBound)}`,
    ]);
  }
  const operations: OperationSamplingStrategy[] = [];
  const listPath = `${path}.${spelled('operationStrategies', style)}`;
  const given = entry.operationStrategies ?? [];
  if (!Array.isArray(given)) {
    throw new ConfigError([listPath, 'expected a list of operation strategies']);
  }
  const seen = new Set<string>();
  given.forEach((value: unknown, i) => {
    const opPath = `${listPath}[${i}]`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError([opPath, 'expected an object with operation, type, param']);
    }
    const op = normalized(value, ['operation', 'type', 'param'], style, opPath);
    if (typeof op.operation !== 'string' || op.operation === '') {
      throw new ConfigError([`${opPath}.operation`, 'the operation (span name) is required']);
    }
    if (seen.has(op.operation)) {
      throw new ConfigError([
        `${opPath}.operation`,
        `"${op.operation}" already has a strategy above; give each operation one entry`,
      ]);
    }
    seen.add(op.operation);
    const parsed = parseTypeAndParam(op.type, op.param, opPath);
    if (parsed.probabilisticSampling === undefined) {
      warn(
        `operation "${op.operation}": ratelimiting is not served per operation (the protocol carries only ` +
          'probabilities per operation); it gets the default probability, as in Jaeger',
      );
      return;
    }
    operations.push({
      operation: op.operation,
      probabilisticSampling: parsed.probabilisticSampling,
    });
  });
  return { response, operations, lowerBound: lowerBound as number | undefined };
}

function parseTypeAndParam(type: unknown, param: unknown, path: string): SamplingStrategyResponse {
  if (typeof type !== 'string' || !STRATEGY_TYPES.includes(type)) {
    throw new ConfigError([
      `${path}.type`,
      `must be "probabilistic" or "ratelimiting", got ${JSON.stringify(type ?? null)}`,
    ]);
  }
  if (typeof param !== 'number' || !Number.isFinite(param)) {
    throw new ConfigError([
      `${path}.param`,
      `a number is required (${type === 'probabilistic' ? 'the probability, 0 to 1' : 'traces per second'}), got ${JSON.stringify(param ?? null)}`,
    ]);
  }
  if (type === 'probabilistic') {
    if (param < 0 || param > 1) {
      throw new ConfigError([
        `${path}.param`,
        `a probability must be from 0 to 1, got ${param}` +
          (param > 1 && param <= 100 ? ` (for ${param}% write ${param / 100})` : ''),
      ]);
    }
    return probabilistic(param);
  }
  if (!Number.isInteger(param) || param < 0 || param > MAX_INT32) {
    throw new ConfigError([
      `${path}.param`,
      `ratelimiting takes a whole number of traces per second, 0 or more (the protocol's field is an int32), got ${param}`,
    ]);
  }
  return { strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: param } };
}
