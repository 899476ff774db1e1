import { ValueType, type Attribute } from '../../../model/span.ts';
import { attributeDecision, traceHasAttribute, type AttributeMatcher } from './attribute-scan.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

const STRING = ValueType.String;

/**
 * Samples a trace when a span or resource has `key` with a string value among `values`
 * (exact), or matching one of `patterns` (regular expressions, unanchored as in the
 * collector: `^…$` to match whole values). Values of other types never match.
 */
export class StringAttributePolicy implements TailSamplingPolicy, AttributeMatcher {
  readonly name: string;
  readonly #key: string;
  readonly #values: ReadonlySet<string>;
  readonly #patterns: readonly RegExp[];
  readonly #invert: boolean;

  constructor(
    name: string,
    key: string,
    values: ReadonlySet<string>,
    patterns: readonly RegExp[],
    invert: boolean,
  ) {
    this.name = name;
    this.#key = key;
    this.#values = values;
    this.#patterns = patterns;
    this.#invert = invert;
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    return attributeDecision(traceHasAttribute(trace.spans, this.#key, this), this.#invert);
  }

  matches(attribute: Attribute): boolean {
    if (attribute.type !== STRING) return false;
    const value = attribute.value;
    if (this.#values.has(value)) return true;
    const patterns = this.#patterns;
    for (let i = 0; i < patterns.length; i++) if (patterns[i].test(value)) return true;
    return false;
  }
}
