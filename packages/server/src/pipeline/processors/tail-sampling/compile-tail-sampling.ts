import type { TailSamplingConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';
import { StatusCode } from '../../../model/span.ts';
import { AlwaysSamplePolicy } from './always-sample-policy.ts';
import { AndPolicy } from './and-policy.ts';
import { BooleanAttributePolicy } from './boolean-attribute-policy.ts';
import { CompositePolicy, type CompositeShare } from './composite-policy.ts';
import { DropPolicy } from './drop-policy.ts';
import { LatencyPolicy } from './latency-policy.ts';
import { NumericAttributePolicy } from './numeric-attribute-policy.ts';
import type { TailSamplingPolicy } from './policy.ts';
import { ProbabilisticPolicy } from './probabilistic-policy.ts';
import { RateLimitingPolicy } from './rate-limiting-policy.ts';
import { SpanCountPolicy } from './span-count-policy.ts';
import { StringAttributePolicy } from './string-attribute-policy.ts';
import { StatusCodePolicy } from './status-code-policy.ts';

const PATH = 'pipeline.processors.tailSampling';

/** Each policy type and the fields it takes besides `name` and `type`. */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  always: [],
  latency: ['thresholdMs', 'upperThresholdMs'],
  statusCode: ['statusCodes'],
  stringAttribute: ['key', 'values', 'regex', 'invert'],
  numericAttribute: ['key', 'minValue', 'maxValue', 'invert'],
  booleanAttribute: ['key', 'value', 'invert'],
  probabilistic: ['samplingPercentage', 'hashSalt'],
  rateLimiting: ['spansPerSecond'],
  spanCount: ['minSpans', 'maxSpans'],
  and: ['policies'],
  drop: ['policies'],
  composite: ['maxTotalSpansPerSecond', 'policyOrder', 'rateAllocation', 'policies'],
};
const TOP_LEVEL_TYPES = Object.keys(FIELDS);
/** `drop` and `composite` only make sense at the top level. */
const SUB_POLICY_TYPES = TOP_LEVEL_TYPES.filter((t) => t !== 'drop' && t !== 'composite');

const STATUS_CODES: Readonly<Record<string, StatusCode>> = {
  UNSET: StatusCode.Unset,
  OK: StatusCode.Ok,
  ERROR: StatusCode.Error,
};

interface Compiled {
  policy: TailSamplingPolicy;
  /** Can say `dropped` / `invert_not_sampled` (a drop, or an inverted attribute policy). */
  drops: boolean;
}

/**
 * Validates `pipeline.processors.tailSampling.policies` and compiles them: regexes
 * once, probabilistic thresholds and salts once, composite shares into spans per
 * second. Pure; the policies of a disabled section are validated too, so turning it on
 * cannot fail later. Each call returns new policies (rate-limiting budgets start afresh).
 *
 * The result is in evaluation order: policies that can drop (`drop`, attribute policies
 * with `invert: true`) first, the others after, each group in configured order. That
 * changes no decision (a drop wins wherever it is) but keeps rate-limiting budgets from
 * being spent on traces a later policy drops.
 * @throws ConfigError naming the key (`pipeline.processors.tailSampling.policies[2].thresholdMs`)
 *   and what it accepts.
 */
export function compileTailSamplingPolicies(config: TailSamplingConfig): TailSamplingPolicy[] {
  const compiled = compileList(config.policies, `${PATH}.policies`, TOP_LEVEL_TYPES);
  const order: TailSamplingPolicy[] = [];
  for (const c of compiled) if (c.drops) order.push(c.policy);
  for (const c of compiled) if (!c.drops) order.push(c.policy);
  return order;
}

function compileList(raw: unknown, at: string, types: readonly string[]): Compiled[] {
  if (!Array.isArray(raw)) {
    throw new ConfigError([at, `must be a list of policies, got ${JSON.stringify(raw)}`]);
  }
  const names = new Map<string, number>();
  return raw.map((item: unknown, index) => {
    const where = `${at}[${index}]`;
    const compiled = compilePolicy(item, where, types);
    const seen = names.get(compiled.policy.name);
    if (seen !== undefined) {
      throw new ConfigError([
        `${where}.name`,
        `"${compiled.policy.name}" is already the name of ${at}[${seen}]; names label the metrics, so each must be unique`,
      ]);
    }
    names.set(compiled.policy.name, index);
    return compiled;
  });
}

function compilePolicy(raw: unknown, at: string, types: readonly string[]): Compiled {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([
      at,
      'must be a mapping like {name: slow, type: latency, thresholdMs: 500}',
    ]);
  }
  const p = raw as Record<string, unknown>;
  const name = p.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigError([
      `${at}.name`,
      `must be a non-empty string, got ${JSON.stringify(name)}`,
    ]);
  }
  const type = p.type;
  if (typeof type !== 'string' || !types.includes(type)) {
    const hint =
      typeof type === 'string' && TOP_LEVEL_TYPES.includes(type)
        ? ` (${type} is only allowed at the top level of policies)`
        : '';
    throw new ConfigError([
      `${at}.type`,
      `must be one of ${types.join(', ')}, got ${JSON.stringify(type)}${hint}`,
    ]);
  }
  const fields = FIELDS[type];
  for (const field of Object.keys(p)) {
    if (field !== 'name' && field !== 'type' && !fields.includes(field)) {
      throw new ConfigError([
        `${at}.${field}`,
        fields.length === 0
          ? `unknown field; a ${type} policy has only name and type`
          : `unknown field; a ${type} policy has name, type, ${fields.join(', ')}`,
      ]);
    }
  }

  switch (type) {
    case 'always':
      return { policy: new AlwaysSamplePolicy(name), drops: false };
    case 'latency': {
      const threshold = integer(p.thresholdMs, `${at}.thresholdMs`, 0);
      const upper =
        p.upperThresholdMs === undefined
          ? 0
          : integer(p.upperThresholdMs, `${at}.upperThresholdMs`, 0);
      if (upper !== 0 && upper <= threshold) {
        throw new ConfigError([
          `${at}.upperThresholdMs`,
          `must be above thresholdMs (${threshold}), got ${upper}; leave it out (or 0) for no upper bound`,
        ]);
      }
      return { policy: new LatencyPolicy(name, threshold, upper), drops: false };
    }
    case 'statusCode': {
      const codes = stringList(p.statusCodes, `${at}.statusCodes`).map((code, i) => {
        const value = STATUS_CODES[code];
        if (value === undefined) {
          throw new ConfigError([
            `${at}.statusCodes[${i}]`,
            `must be ERROR, OK or UNSET, got ${JSON.stringify(code)}`,
          ]);
        }
        return value;
      });
      return { policy: new StatusCodePolicy(name, codes), drops: false };
    }
    case 'stringAttribute': {
      const key = attributeKey(p.key, `${at}.key`);
      const values = stringList(p.values, `${at}.values`);
      const regex = bool(p.regex, `${at}.regex`, false);
      const invert = bool(p.invert, `${at}.invert`, false);
      const exact = new Set<string>();
      const patterns: RegExp[] = [];
      values.forEach((value, i) => {
        if (!regex) {
          exact.add(value);
          return;
        }
        try {
          patterns.push(new RegExp(value));
        } catch (err) {
          throw new ConfigError(
            [`${at}.values[${i}]`, `not a valid regular expression: ${(err as Error).message}`],
            { cause: err },
          );
        }
      });
      return {
        policy: new StringAttributePolicy(name, key, exact, patterns, invert),
        drops: invert,
      };
    }
    case 'numericAttribute': {
      const key = attributeKey(p.key, `${at}.key`);
      if (p.minValue === undefined && p.maxValue === undefined) {
        throw new ConfigError([at, 'a numericAttribute policy needs minValue, maxValue or both']);
      }
      const min = p.minValue === undefined ? -Infinity : num(p.minValue, `${at}.minValue`);
      const max = p.maxValue === undefined ? Infinity : num(p.maxValue, `${at}.maxValue`);
      if (min > max) {
        throw new ConfigError([`${at}.maxValue`, `must be at least minValue (${min}), got ${max}`]);
      }
      const invert = bool(p.invert, `${at}.invert`, false);
      return { policy: new NumericAttributePolicy(name, key, min, max, invert), drops: invert };
    }
    case 'booleanAttribute': {
      const key = attributeKey(p.key, `${at}.key`);
      if (typeof p.value !== 'boolean') {
        throw new ConfigError([
          `${at}.value`,
          `must be true or false, got ${JSON.stringify(p.value)}`,
        ]);
      }
      const invert = bool(p.invert, `${at}.invert`, false);
      return { policy: new BooleanAttributePolicy(name, key, p.value, invert), drops: invert };
    }
    case 'probabilistic': {
      const percentage = num(p.samplingPercentage, `${at}.samplingPercentage`);
      if (percentage < 0 || percentage > 100) {
        throw new ConfigError([
          `${at}.samplingPercentage`,
          `must be a percentage from 0 to 100 (10 keeps one trace in ten), got ${percentage}`,
        ]);
      }
      const salt = p.hashSalt === undefined ? '' : p.hashSalt;
      if (typeof salt !== 'string') {
        throw new ConfigError([`${at}.hashSalt`, `must be a string, got ${JSON.stringify(salt)}`]);
      }
      return { policy: new ProbabilisticPolicy(name, percentage, salt), drops: false };
    }
    case 'rateLimiting': {
      const sps = integer(p.spansPerSecond, `${at}.spansPerSecond`, 1);
      return { policy: new RateLimitingPolicy(name, sps), drops: false };
    }
    case 'spanCount': {
      if (p.minSpans === undefined && p.maxSpans === undefined) {
        throw new ConfigError([at, 'a spanCount policy needs minSpans, maxSpans or both']);
      }
      const min = p.minSpans === undefined ? 0 : integer(p.minSpans, `${at}.minSpans`, 0);
      const max = p.maxSpans === undefined ? Infinity : integer(p.maxSpans, `${at}.maxSpans`, 1);
      if (min > max) {
        throw new ConfigError([`${at}.maxSpans`, `must be at least minSpans (${min}), got ${max}`]);
      }
      return { policy: new SpanCountPolicy(name, min, max), drops: false };
    }
    case 'and':
    case 'drop': {
      const subs = subPolicies(p.policies, `${at}.policies`);
      return type === 'and'
        ? { policy: new AndPolicy(name, subs), drops: false }
        : { policy: new DropPolicy(name, subs), drops: true };
    }
    default:
      return { policy: compileComposite(name, p, at), drops: false };
  }
}

function subPolicies(raw: unknown, at: string): TailSamplingPolicy[] {
  const list = compileList(raw, at, SUB_POLICY_TYPES);
  if (list.length === 0) throw new ConfigError([at, 'must list at least one policy']);
  return list.map((c) => c.policy);
}

function compileComposite(name: string, p: Record<string, unknown>, at: string): CompositePolicy {
  const maxTotal = integer(p.maxTotalSpansPerSecond, `${at}.maxTotalSpansPerSecond`, 1);
  const subs = subPolicies(p.policies, `${at}.policies`);
  const byName = new Map(subs.map((sub) => [sub.name, sub]));

  let ordered = subs;
  if (p.policyOrder !== undefined) {
    const order = stringList(p.policyOrder, `${at}.policyOrder`);
    const seen = new Set<string>();
    ordered = order.map((subName, i) => {
      const sub = byName.get(subName);
      if (sub === undefined || seen.has(subName)) {
        throw new ConfigError([
          `${at}.policyOrder[${i}]`,
          sub === undefined
            ? `"${subName}" is not one of this composite's policies (${[...byName.keys()].join(', ')})`
            : `"${subName}" is listed twice`,
        ]);
      }
      seen.add(subName);
      return sub;
    });
    const missing = subs.filter((sub) => !seen.has(sub.name)).map((sub) => sub.name);
    if (missing.length > 0) {
      throw new ConfigError([
        `${at}.policyOrder`,
        `must list every policy of the composite once; missing: ${missing.join(', ')}`,
      ]);
    }
  }

  const percents = new Map<string, number>();
  if (p.rateAllocation !== undefined) {
    if (!Array.isArray(p.rateAllocation)) {
      throw new ConfigError([
        `${at}.rateAllocation`,
        'must be a list like [{policy: errors, percent: 50}]',
      ]);
    }
    p.rateAllocation.forEach((raw: unknown, i) => {
      const where = `${at}.rateAllocation[${i}]`;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new ConfigError([where, 'must be a mapping like {policy: errors, percent: 50}']);
      }
      const entry = raw as Record<string, unknown>;
      for (const field of Object.keys(entry)) {
        if (field !== 'policy' && field !== 'percent') {
          throw new ConfigError([
            `${where}.${field}`,
            'unknown field; an allocation has policy and percent',
          ]);
        }
      }
      if (typeof entry.policy !== 'string' || !byName.has(entry.policy)) {
        throw new ConfigError([
          `${where}.policy`,
          `must name one of this composite's policies (${[...byName.keys()].join(', ')}), got ${JSON.stringify(entry.policy)}`,
        ]);
      }
      if (percents.has(entry.policy)) {
        throw new ConfigError([`${where}.policy`, `"${entry.policy}" already has an allocation`]);
      }
      const percent = num(entry.percent, `${where}.percent`);
      if (percent <= 0 || percent > 100) {
        throw new ConfigError([
          `${where}.percent`,
          `must be above 0 and at most 100, got ${percent}`,
        ]);
      }
      percents.set(entry.policy, percent);
    });
  }
  let allocated = 0;
  for (const percent of percents.values()) allocated += percent;
  if (allocated > 100) {
    throw new ConfigError([
      `${at}.rateAllocation`,
      `the percents add up to ${allocated}; they may add up to 100 at most`,
    ]);
  }
  const unallocated = subs.filter((sub) => !percents.has(sub.name));
  if (unallocated.length > 0) {
    const left = 100 - allocated;
    if (left <= 0) {
      throw new ConfigError([
        `${at}.rateAllocation`,
        `the percents add up to 100, which leaves nothing for ${unallocated.map((s) => s.name).join(', ')}; give them a share or remove them`,
      ]);
    }
    for (const sub of unallocated) percents.set(sub.name, left / unallocated.length);
  }

  const shares: CompositeShare[] = ordered.map((sub) => {
    const spansPerSecond = Math.floor(((percents.get(sub.name) ?? 0) / 100) * maxTotal);
    if (spansPerSecond < 1) {
      throw new ConfigError([
        `${at}.rateAllocation`,
        `"${sub.name}" gets ${percents.get(sub.name)}% of ${maxTotal} spans/s, less than one span per second; raise maxTotalSpansPerSecond or its percent`,
      ]);
    }
    return { policy: sub, spansPerSecond };
  });
  return new CompositePolicy(name, maxTotal, shares);
}

function attributeKey(value: unknown, at: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError([
      at,
      `must be an attribute name like http.route, got ${JSON.stringify(value)}`,
    ]);
  }
  return value;
}

function stringList(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError([
      at,
      `must be a non-empty list of strings, got ${JSON.stringify(value)}`,
    ]);
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') {
      throw new ConfigError([
        `${at}[${i}]`,
        `must be a non-empty string, got ${JSON.stringify(item)}`,
      ]);
    }
  });
  return value as string[];
}

function num(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError([at, `must be a number, got ${JSON.stringify(value)}`]);
  }
  return value;
}

function integer(value: unknown, at: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError([
      at,
      `must be ${min === 0 ? 'a whole number, 0 or more' : `a whole number, ${min} or more`}, got ${JSON.stringify(value)}`,
    ]);
  }
  return value;
}

function bool(value: unknown, at: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new ConfigError([at, `must be true or false, got ${JSON.stringify(value)}`]);
  }
  return value;
}
