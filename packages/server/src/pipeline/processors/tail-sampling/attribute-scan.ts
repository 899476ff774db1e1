import type { Attribute, Resource, Span } from '../../../model/span.ts';
import type { PolicyDecision } from './policy.ts';

/** Tests one attribute value (the first attribute with the policy's key on a span or resource). */
export interface AttributeMatcher {
  matches(attribute: Attribute): boolean;
}

/**
 * Whether a resource or a span of the trace has `key` with a value `matcher` accepts
 * (the collector's "resource or record" attribute policies). Only the first attribute
 * named `key` in each list is looked at; a resource shared by consecutive spans is
 * looked at once. No allocation.
 */
export function traceHasAttribute(
  spans: readonly Span[],
  key: string,
  matcher: AttributeMatcher,
): boolean {
  let lastResource: Resource | undefined;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    if (span.resource !== lastResource) {
      lastResource = span.resource;
      if (listMatches(lastResource.attributes, key, matcher)) return true;
    }
    if (listMatches(span.attributes, key, matcher)) return true;
  }
  return false;
}

function listMatches(attributes: Attribute[], key: string, matcher: AttributeMatcher): boolean {
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i];
    if (attribute.key === key) return matcher.matches(attribute);
  }
  return false;
}

/**
 * An attribute policy's decision: `sampled` when a value matched, or with `invert`,
 * `invert_not_sampled` when one matched and `invert_sampled` when none did.
 */
export function attributeDecision(found: boolean, invert: boolean): PolicyDecision {
  if (invert) return found ? 'invert_not_sampled' : 'invert_sampled';
  return found ? 'sampled' : 'not_sampled';
}
