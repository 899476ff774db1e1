import { defaultConfig } from '../config/config.ts';
import type { SpanLimitsConfig } from '../config/config.ts';
import type { AnyValue, Attribute, Resource, Scope, Span } from '../model/span.ts';
import { ValueType } from '../model/span.ts';

/** Why a span was cut (`skein_spans_truncated_total{reason}` and the `skein.truncated` value). */
export const TruncationReason = {
  Attributes: 'attributes',
  Events: 'events',
  Links: 'links',
  EventAttributes: 'event_attributes',
  LinkAttributes: 'link_attributes',
  ValueLength: 'value_length',
  SpanSize: 'span_size',
} as const;
export type TruncationReason = (typeof TruncationReason)[keyof typeof TruncationReason];

/** In bit order: bit i of a span's mask is REASONS[i]. */
const REASONS: readonly TruncationReason[] = [
  'attributes',
  'events',
  'links',
  'event_attributes',
  'link_attributes',
  'value_length',
  'span_size',
];
const ATTRIBUTES = 1;
const EVENTS = 2;
const LINKS = 4;
const EVENT_ATTRIBUTES = 8;
const LINK_ATTRIBUTES = 16;
const VALUE_LENGTH = 32;
const SPAN_SIZE = 64;

/**
 * The attribute a cut span (or resource, or scope) carries: the reasons, comma
 * separated in a fixed order (`attributes,value_length`).
 */
export const TRUNCATED_ATTRIBUTE = 'skein.truncated';

/** Size guesses (bytes) for what the estimate does not measure as text. */
const SPAN_OVERHEAD = 96;
const ITEM_OVERHEAD = 16;
const SCALAR_SIZE = 8;

/** Where `SpanLimits` reports what it cut; called once per reason per batch. */
export interface TruncationCounter {
  /** `spans` spans of the batch were cut for `reason` (a span cut twice counts in both). */
  truncated(reason: TruncationReason, spans: number): void;
}

// Module-local copies of imported constants read per value (imported bindings are getters under tsx).
const { String: STRING, Bytes: BYTES, Array: ARRAY, KvList: KVLIST } = ValueType;

/**
 * Applies `limits.span` to decoded spans, in place, the same way for every
 * protocol (the OpenTelemetry SDK's span limits, applied at the collector).
 *
 * Contract:
 * - Over-limit data is truncated, never rejected: the first items are kept
 *   (attributes, events, links, each event's and link's attributes), the number
 *   cut is added to the span's (event's, link's) dropped count, strings longer
 *   than `maxAttributeValueLength` (attribute values, strings inside arrays and
 *   kvlists, span and event names, the status message) keep their first
 *   characters and bytes values their first bytes. Then, while the span's
 *   estimated size exceeds `maxSpanBytes`, events are cut from the end, then
 *   links, then attributes.
 * - A span that lost anything gets `skein.truncated` (the reasons) as its last
 *   attribute, outside the count limit (a trailing `skein.truncated` already
 *   there is set aside while limiting, then kept when nothing more was cut). A
 *   resource or scope over the attribute or value limits is cut once and gets
 *   the same attribute (not counted per span).
 * - Deterministic: the same batch and limits give the same result. Applying twice
 *   changes nothing more.
 * - Allocation-light: spans within the limits cost a few comparisons and a size
 *   sum; only cut values are copied (so a cut string does not keep the original,
 *   possibly megabytes, alive).
 *
 * Decoders also read the `max*` fields to stop materialising items early: they
 * keep at most `max + 1` of a list and add the rest to its dropped count, so a
 * million attributes never become a million objects and `apply` still sees the
 * list is over its limit (and counts the one extra).
 */
export class SpanLimits {
  readonly maxAttributesPerSpan: number;
  readonly maxAttributeValueLength: number;
  readonly maxEventsPerSpan: number;
  readonly maxLinksPerSpan: number;
  readonly maxAttributesPerEvent: number;
  readonly maxAttributesPerLink: number;
  readonly maxSpanBytes: number;
  readonly #counter: TruncationCounter | undefined;
  /** Spans cut per reason in the current batch, by bit index. */
  readonly #tally = new Uint32Array(REASONS.length);
  /** `skein.truncated` values by reason mask, made on first use. */
  readonly #markers: (string | undefined)[] = new Array<string | undefined>(1 << REASONS.length);
  #lastResource: Resource | undefined;
  #lastScope: Scope | undefined;

  constructor(config: SpanLimitsConfig, counter?: TruncationCounter) {
    this.maxAttributesPerSpan = config.maxAttributesPerSpan;
    this.maxAttributeValueLength = config.maxAttributeValueLength;
    this.maxEventsPerSpan = config.maxEventsPerSpan;
    this.maxLinksPerSpan = config.maxLinksPerSpan;
    this.maxAttributesPerEvent = config.maxAttributesPerEvent;
    this.maxAttributesPerLink = config.maxAttributesPerLink;
    this.maxSpanBytes = config.maxSpanBytes;
    this.#counter = counter;
  }

  /** Cuts every span of `spans` to the limits; returns how many spans were cut. */
  apply(spans: Span[]): number {
    let cut = 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      if (span.resource !== this.#lastResource) {
        this.#lastResource = span.resource;
        this.#limitShared(span.resource);
      }
      if (span.scope !== this.#lastScope) {
        this.#lastScope = span.scope;
        this.#limitShared(span.scope);
      }
      // A marker from an earlier pass (or sent by the client) stays out of the limits.
      const previous = takeMarker(span.attributes, this.maxAttributeValueLength);
      const mask = this.#limitSpan(span);
      if (mask === 0) {
        if (previous !== undefined) span.attributes.push(previous);
        continue;
      }
      cut++;
      for (let bit = 0; bit < REASONS.length; bit++)
        if ((mask & (1 << bit)) !== 0) this.#tally[bit]++;
      span.attributes.push({ key: TRUNCATED_ATTRIBUTE, type: STRING, value: this.#marker(mask) });
    }
    // Hold no batch's objects between calls.
    this.#lastResource = undefined;
    this.#lastScope = undefined;
    if (cut > 0) this.#report();
    return cut;
  }

  #report(): void {
    const tally = this.#tally;
    for (let bit = 0; bit < REASONS.length; bit++) {
      if (tally[bit] === 0) continue;
      this.#counter?.truncated(REASONS[bit], tally[bit]);
      tally[bit] = 0;
    }
  }

  #marker(mask: number): string {
    let marker = this.#markers[mask];
    if (marker === undefined) {
      marker = REASONS.filter((_, bit) => (mask & (1 << bit)) !== 0).join(',');
      this.#markers[mask] = marker;
    }
    return marker;
  }

  /** Returns the reasons (bits) the span was cut for; 0 when it fits. */
  #limitSpan(span: Span): number {
    let mask = 0;
    const valueMax = this.maxAttributeValueLength;
    const attributes = span.attributes;
    let excess = attributes.length - this.maxAttributesPerSpan;
    if (excess > 0) {
      attributes.length = this.maxAttributesPerSpan;
      span.droppedAttributesCount += excess;
      mask |= ATTRIBUTES;
    }
    const events = span.events;
    excess = events.length - this.maxEventsPerSpan;
    if (excess > 0) {
      events.length = this.maxEventsPerSpan;
      span.droppedEventsCount += excess;
      mask |= EVENTS;
    }
    const links = span.links;
    excess = links.length - this.maxLinksPerSpan;
    if (excess > 0) {
      links.length = this.maxLinksPerSpan;
      span.droppedLinksCount += excess;
      mask |= LINKS;
    }
    valueCut = false;
    let size = SPAN_OVERHEAD + scanAttributes(attributes, valueMax);
    if (span.name.length > valueMax) {
      span.name = cutString(span.name, valueMax);
      mask |= VALUE_LENGTH;
    }
    if (span.statusMessage.length > valueMax) {
      span.statusMessage = cutString(span.statusMessage, valueMax);
      mask |= VALUE_LENGTH;
    }
    size += span.name.length + span.statusMessage.length + span.traceState.length;
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      excess = event.attributes.length - this.maxAttributesPerEvent;
      if (excess > 0) {
        event.attributes.length = this.maxAttributesPerEvent;
        event.droppedAttributesCount += excess;
        mask |= EVENT_ATTRIBUTES;
      }
      if (event.name.length > valueMax) {
        event.name = cutString(event.name, valueMax);
        mask |= VALUE_LENGTH;
      }
      size += ITEM_OVERHEAD + event.name.length + scanAttributes(event.attributes, valueMax);
    }
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      excess = link.attributes.length - this.maxAttributesPerLink;
      if (excess > 0) {
        link.attributes.length = this.maxAttributesPerLink;
        link.droppedAttributesCount += excess;
        mask |= LINK_ATTRIBUTES;
      }
      size += ITEM_OVERHEAD + 48 + link.traceState.length;
      size += scanAttributes(link.attributes, valueMax);
    }
    if (valueCut) mask |= VALUE_LENGTH;
    if (size > this.maxSpanBytes) {
      this.#limitSize(span, size);
      mask |= SPAN_SIZE;
    }
    return mask;
  }

  /** Cuts events, then links, then attributes from the end until the span fits. */
  #limitSize(span: Span, size: number): void {
    const max = this.maxSpanBytes;
    const { events, links, attributes } = span;
    while (size > max && events.length > 0) {
      const event = events.pop() as (typeof events)[number];
      size -= ITEM_OVERHEAD + event.name.length + attributesSize(event.attributes);
      span.droppedEventsCount++;
    }
    while (size > max && links.length > 0) {
      const link = links.pop() as (typeof links)[number];
      size -= ITEM_OVERHEAD + 48 + link.traceState.length + attributesSize(link.attributes);
      span.droppedLinksCount++;
    }
    while (size > max && attributes.length > 0) {
      const attribute = attributes.pop() as Attribute;
      size -= ITEM_OVERHEAD + attribute.key.length + valueSize(attribute);
      span.droppedAttributesCount++;
    }
  }

  /**
   * A resource's or scope's attributes (count and value limits) and its names
   * (service name; scope name and version: value limit), marked once when cut.
   */
  #limitShared(owner: Resource | Scope): void {
    const attributes = owner.attributes;
    const previous = takeMarker(attributes, this.maxAttributeValueLength);
    let mask = 0;
    const excess = attributes.length - this.maxAttributesPerSpan;
    if (excess > 0) {
      attributes.length = this.maxAttributesPerSpan;
      owner.droppedAttributesCount += excess;
      mask |= ATTRIBUTES;
    }
    const max = this.maxAttributeValueLength;
    if (limitValues(attributes, max)) mask |= VALUE_LENGTH;
    if ('serviceName' in owner) {
      if (owner.serviceName.length > max) {
        owner.serviceName = cutString(owner.serviceName, max);
        mask |= VALUE_LENGTH;
      }
    } else if (owner.name.length > max || owner.version.length > max) {
      if (owner.name.length > max) owner.name = cutString(owner.name, max);
      if (owner.version.length > max) owner.version = cutString(owner.version, max);
      mask |= VALUE_LENGTH;
    }
    if (mask !== 0) {
      attributes.push({ key: TRUNCATED_ATTRIBUTE, type: STRING, value: this.#marker(mask) });
    } else if (previous !== undefined) {
      attributes.push(previous);
    }
  }
}

/** Limits that cut nothing a decoder test would notice: the shipped defaults. */
export const DEFAULT_SPAN_LIMITS = new SpanLimits(defaultConfig.limits.span);

/** The longest marker Skein writes: every reason. */
const MAX_MARKER_LENGTH = REASONS.join(',').length;

/**
 * Removes and returns a trailing `skein.truncated` attribute, its value cut to
 * `max` (or to the longest marker Skein writes, so its own survive whole).
 */
function takeMarker(attributes: Attribute[], max: number): Attribute | undefined {
  const last = attributes.length - 1;
  if (last < 0 || attributes[last].key !== TRUNCATED_ATTRIBUTE) return undefined;
  const marker = attributes.pop() as Attribute;
  limitValue(marker, Math.max(max, MAX_MARKER_LENGTH));
  return marker;
}

/** Set by `scanAttributes` when it cut a value; reset by its caller (one pass per span). */
let valueCut = false;

/**
 * One pass over attributes: cuts over-long strings and bytes in place (setting
 * `valueCut`) and returns their estimated size after the cut.
 */
function scanAttributes(attributes: Attribute[], max: number): number {
  let size = 0;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i];
    size += ITEM_OVERHEAD + attribute.key.length + scanValue(attribute, max);
  }
  return size;
}

function scanValue(value: AnyValue, max: number): number {
  switch (value.type) {
    case STRING: {
      const length = value.value.length;
      if (length <= max) return length;
      value.value = cutString(value.value, max);
      valueCut = true;
      return value.value.length;
    }
    case BYTES: {
      const length = value.value.byteLength;
      if (length <= max) return length;
      value.value = value.value.slice(0, max);
      valueCut = true;
      return max;
    }
    case ARRAY: {
      let size = 0;
      const items = value.value;
      for (let i = 0; i < items.length; i++) size += SCALAR_SIZE + scanValue(items[i], max);
      return size;
    }
    case KVLIST:
      return scanAttributes(value.value, max);
    default:
      return SCALAR_SIZE;
  }
}

/** Cuts over-long strings and bytes in place; true when any was cut. */
function limitValues(attributes: Attribute[], max: number): boolean {
  let cut = false;
  for (let i = 0; i < attributes.length; i++) {
    if (limitValue(attributes[i], max)) cut = true;
  }
  return cut;
}

function limitValue(value: AnyValue, max: number): boolean {
  switch (value.type) {
    case STRING:
      if (value.value.length <= max) return false;
      value.value = cutString(value.value, max);
      return true;
    case BYTES:
      if (value.value.byteLength <= max) return false;
      // slice copies: a subarray would keep the whole request buffer alive.
      value.value = value.value.slice(0, max);
      return true;
    case ARRAY: {
      let cut = false;
      const items = value.value;
      for (let i = 0; i < items.length; i++) if (limitValue(items[i], max)) cut = true;
      return cut;
    }
    case KVLIST:
      return limitValues(value.value, max);
    default:
      return false;
  }
}

/**
 * The first `max` UTF-16 units of `s` (one fewer rather than half a surrogate
 * pair), as a fresh string: a plain slice may share the original's memory.
 */
export function cutString(s: string, max: number): string {
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return Buffer.from(s.slice(0, end), 'utf16le').toString('utf16le');
}

function attributesSize(attributes: Attribute[]): number {
  let size = 0;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i];
    size += ITEM_OVERHEAD + attribute.key.length + valueSize(attribute);
  }
  return size;
}

/** Estimated bytes of a value: text by its length, scalars as 8. */
function valueSize(value: AnyValue): number {
  switch (value.type) {
    case STRING:
      return value.value.length;
    case BYTES:
      return value.value.byteLength;
    case ARRAY: {
      let size = 0;
      const items = value.value;
      for (let i = 0; i < items.length; i++) size += SCALAR_SIZE + valueSize(items[i]);
      return size;
    }
    case KVLIST:
      return attributesSize(value.value);
    default:
      return SCALAR_SIZE;
  }
}
