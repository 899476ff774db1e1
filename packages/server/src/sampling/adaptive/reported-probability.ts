import { ValueType } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';

/**
 * What a root span says about how it was sampled, read by `reportedProbability`:
 * a probability in (0, 1], or one of these codes (all ≤ 0).
 */
/** The span reports nothing usable (no sampler tags, no valid `th`). */
export const NOT_REPORTED = 0;
/**
 * Sampled by a Jaeger client's lower-bound rate limiter after the probabilistic draw
 * said no (`sampler.type=lowerbound`). Its trace is already accounted for by the
 * probabilistic roots (each stands for 1/p requests), so it adds a sampled trace and
 * no traffic.
 */
export const LOWER_BOUND = -1;
/**
 * Sampled by a sampler that does not follow served probabilities (`ratelimiting`,
 * `const`): the root counts as a sampled trace, but nothing can be said about the
 * traffic behind it, and the operation's probability is left alone (as Jaeger's
 * adaptive processor does when the observed probabilities are not the ones it served).
 */
export const UNADAPTABLE = -2;

/** 2^56: OpenTelemetry's threshold scale (56 bits of randomness). */
const THRESHOLD_SCALE = 2 ** 56;
/** Hex digits of a full-precision `th` (56 bits). */
const THRESHOLD_DIGITS = 14;

/**
 * The probability a root span was sampled with, from what the SDK put on it:
 *
 * 1. Jaeger clients' `sampler.type` / `sampler.param` tags (set on the span that made
 *    the decision): `probabilistic` → the param (a number, or a numeric string) if in
 *    (0, 1]; `lowerbound` → `LOWER_BOUND`; `ratelimiting` and `const` → `UNADAPTABLE`;
 *    an unknown type or a bad param → `NOT_REPORTED`.
 * 2. Otherwise the OpenTelemetry `th` sub-key of the `ot` member of the W3C tracestate
 *    (consistent probability sampling): 1 to 14 hex digits, the rejection threshold
 *    T with trailing zeros dropped, so T = value × 16^(14 − digits) and the sampling
 *    probability is 1 − T / 2^56 (`th:0` is 100%, `th:8` is 50%, `th:c` is 25%).
 *
 * `readTraceState` false skips step 2: the tracestate travels with the whole trace, so
 * only a span without a parent is where its `th` was decided; sampler tags are only
 * ever put on the deciding span.
 *
 * Allocation-free on spans without these (the common case): one pass over the
 * attributes and a scan of the tracestate string.
 */
export function reportedProbability(span: Span, readTraceState: boolean): number {
  const attributes = span.attributes;
  let type = '';
  let paramIndex = -1;
  for (let i = 0; i < attributes.length; i++) {
    const key = attributes[i].key;
    // 'sampler.type' is 12 characters, 'sampler.param' 13: most keys fail this at once.
    if (key.length < 12 || key.length > 13 || key.charCodeAt(0) !== 115 /* s */) continue;
    if (key === 'sampler.param') paramIndex = i;
    else if (key === 'sampler.type') {
      const a = attributes[i];
      if (a.type === ValueType.String) type = a.value;
    }
  }
  if (type !== '')
    return fromSamplerTags(type, paramIndex < 0 ? undefined : attributes[paramIndex]);
  const state = span.traceState;
  return !readTraceState || state === '' ? NOT_REPORTED : thresholdProbability(state);
}

function fromSamplerTags(type: string, param: Span['attributes'][number] | undefined): number {
  switch (type) {
    case 'probabilistic': {
      if (param === undefined) return NOT_REPORTED;
      let p = Number.NaN;
      if (param.type === ValueType.Double) p = param.value;
      else if (param.type === ValueType.Int) p = Number(param.value);
      else if (param.type === ValueType.String) p = Number(param.value);
      return p > 0 && p <= 1 ? p : NOT_REPORTED;
    }
    case 'lowerbound':
      return LOWER_BOUND;
    case 'ratelimiting':
    case 'const':
      return UNADAPTABLE;
    default:
      return NOT_REPORTED;
  }
}

/**
 * The sampling probability in a W3C tracestate's `ot=...;th:HEX;...` member, or
 * `NOT_REPORTED` when there is none or it is malformed (empty, more than 14 digits,
 * not hex).
 */
export function thresholdProbability(traceState: string): number {
  const ot = otMemberStart(traceState);
  if (ot < 0) return NOT_REPORTED;
  // Sub-keys are `key:value` separated by ';', up to the next ',' (or the end).
  let i = ot;
  const n = traceState.length;
  while (i < n) {
    const c = traceState.charCodeAt(i);
    if (c === 44 /* , */) break;
    if (
      c === 116 /* t */ &&
      traceState.charCodeAt(i + 1) === 104 /* h */ &&
      traceState.charCodeAt(i + 2) === 58 /* : */ &&
      (i === ot || traceState.charCodeAt(i - 1) === 59) /* ; */
    ) {
      return thresholdValue(traceState, i + 3);
    }
    i++;
  }
  return NOT_REPORTED;
}

/** Index just after `ot=` of the list member whose key is `ot`, or -1. */
function otMemberStart(s: string): number {
  let from = 0;
  for (;;) {
    const at = s.indexOf('ot=', from);
    if (at < 0) return -1;
    // The key must start the member: at the start, or after ',' and optional spaces/tabs.
    let j = at - 1;
    while (j >= 0 && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j--;
    if (j < 0 || s.charCodeAt(j) === 44) return at + 3;
    from = at + 3;
  }
}

function thresholdValue(s: string, start: number): number {
  let threshold = 0;
  let digits = 0;
  let i = start;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 97 && c <= 102) v = c - 87;
    else if (c >= 65 && c <= 70) v = c - 55;
    else break;
    if (++digits > THRESHOLD_DIGITS) return NOT_REPORTED;
    // 14 hex digits are 56 bits: above 2^53, so accumulate in floating point (the
    // probability needs ~15 significant digits at most, which a double has).
    threshold = threshold * 16 + v;
  }
  if (digits === 0) return NOT_REPORTED;
  if (i < s.length) {
    const end = s.charCodeAt(i);
    // Only the end of the sub-key (';'), of the member (',' or spaces) or the string.
    if (end !== 59 && end !== 44 && end !== 32 && end !== 9) return NOT_REPORTED;
  }
  threshold *= 16 ** (THRESHOLD_DIGITS - digits);
  const p = 1 - threshold / THRESHOLD_SCALE;
  return p > 0 ? p : NOT_REPORTED;
}
