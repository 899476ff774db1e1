import { ValueType, type Attribute } from '../../../model/span.ts';
import { attributeDecision, traceHasAttribute, type AttributeMatcher } from './attribute-scan.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

const INT = ValueType.Int;
const DOUBLE = ValueType.Double;

/**
 * Samples a trace when a span or resource has `key` with an int or double value in
 * [min, max] (both inclusive; an absent bound is ±Infinity).
 */
export class NumericAttributePolicy implements TailSamplingPolicy, AttributeMatcher {
  readonly name: string;
  readonly #key: string;
  readonly #min: number;
  readonly #max: number;
  readonly #invert: boolean;

  constructor(name: string, key: string, min: number, max: number, invert: boolean) {
    this.name = name;
    this.#key = key;
    this.#min = min;
    this.#max = max;
    this.#invert = invert;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    return attributeDecision(traceHasAttribute(trace.spans, this.#key, this), this.#invert);
  }

  matches(attribute: Attribute): boolean {
    let n: number;
    if (attribute.type === INT) n = Number(attribute.value);
    else if (attribute.type === DOUBLE) n = attribute.value;
    else return false;
    return n >= this.#min && n <= this.#max;
  }
}
