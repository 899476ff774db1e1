import { ValueType, type Attribute } from '../../../model/span.ts';
import { attributeDecision, traceHasAttribute, type AttributeMatcher } from './attribute-scan.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

const BOOL = ValueType.Bool;

/** Samples a trace when a span or resource has `key` with the boolean `value`. */
export class BooleanAttributePolicy implements TailSamplingPolicy, AttributeMatcher {
  readonly name: string;
  readonly #key: string;
  readonly #value: boolean;
  readonly #invert: boolean;

  constructor(name: string, key: string, value: boolean, invert: boolean) {
    this.name = name;
    this.#key = key;
    this.#value = value;
    this.#invert = invert;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    return attributeDecision(traceHasAttribute(trace.spans, this.#key, this), this.#invert);
  }

  matches(attribute: Attribute): boolean {
    return attribute.type === BOOL && attribute.value === this.#value;
  }
}
