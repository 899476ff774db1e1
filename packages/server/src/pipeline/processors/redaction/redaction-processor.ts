import {
  ValueType,
  UNKNOWN_SERVICE,
  type AnyValue,
  type Attribute,
  type Resource,
  type Scope,
  type Span,
} from '../../../model/span.ts';
import type { ProcessorCounters, SpanProcessor } from '../../processor.ts';
import { KeyKind, withKey, type RedactionSettings } from './redaction-settings.ts';
import { templateIdSegments } from './span-name-ids.ts';
import { DIGIT_RUN, textFeatures } from './text-features.ts';
import { NAME_SLOTS, nameSlot as sharedNameSlot } from '../../name-slot.ts';

// A module-local binding: under tsx an imported function is reached through a getter
// and not inlined on the hot path.
const nameSlot = sharedNameSlot;

// Module-local copies of imported bindings used per span (under tsx each access to an
// imported binding is a getter call).
const { String: STRING, Int: INT, Array: ARRAY, KvList: KVLIST } = ValueType;
const PLAIN = KeyKind.Plain;
const template = templateIdSegments;
const keyed = withKey;

/** The span attribute that says how many fields redaction changed. */
export const REDACTED_ATTRIBUTE = 'skein.redacted';

/** Span attribute positions whose key decisions are remembered. */
const POSITIONS = 64;
/** Clean string values remembered per position (a power of two). */
const SLOTS = 8;
/**
 * A position stops looking values up until the next reset when, after this many
 * lookups, fewer than one in {@link MIN_HIT_SHARE} found its value (ids, paths, times:
 * values that never repeat).
 */
const LOOKUPS_TO_JUDGE = 64;
const MIN_HIT_SHARE = 8;
/** Clean span names remembered, by {@link nameSlot} (a power of two). */
/**
 * How long a remembered clean value is trusted, ms. Rules are fixed between updates,
 * but a detector may depend on the date (a Chinese ID whose birth date was still in
 * the future), so nothing is remembered for long.
 */
const REMEMBER_MS = 1000;

/** Int values this large may be card or phone numbers written as numbers. */
const MIN_NUMBER_TO_SCAN = 1e7;

/**
 * Redaction: rules over every attribute (span, resource, scope, event, link, nested in
 * arrays and kvlists), event names, the span name and the status message.
 *
 * A span whose fields changed gets `skein.redacted` = the number of fields changed,
 * its own plus those of its resource and scope; `counters.changed` counts such spans.
 * Resource and scope objects are shared by the spans of a request: each object is
 * redacted once (the first time a span of it comes by), then remembered in a WeakMap
 * with its change count, so a shared object is never redacted twice (hashing a hash
 * would change it) and costs one map lookup per run of spans that share it.
 */
export class RedactionProcessor implements SpanProcessor<RedactionSettings> {
  readonly level = 'span' as const;
  readonly name = 'redaction' as const;
  #settings: RedactionSettings;
  /** Resource / scope → fields changed when it was redacted. */
  #shared = new WeakMap<Resource | Scope, number>();

  constructor(settings: RedactionSettings) {
    this.#settings = settings;
  }

  update(settings: RedactionSettings): void {
    this.#settings = settings;
    this.#positionKeys.fill('');
    this.#clean.fill(null);
    this.#cleanNames.fill(null);
    this.#cleanTexts.fill(null);
    this.#lookups.fill(0);
    this.#hits.fill(0);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  process(spans: Span[], counters: ProcessorCounters): Span[] {
    if (!this.#settings.active) return spans;
    const now = Date.now();
    if (now - this.#cleanSince >= REMEMBER_MS) {
      this.#clean.fill(null);
      this.#cleanNames.fill(null);
      this.#cleanTexts.fill(null);
      this.#lookups.fill(0);
      this.#hits.fill(0);
      this.#cleanSince = now;
    }
    let changedSpans = 0;
    let lastResource: Resource | null = null;
    let resourceChanges = 0;
    let lastScope: Scope | null = null;
    let scopeChanges = 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      if (span.resource !== lastResource) {
        lastResource = span.resource;
        resourceChanges = this.#sharedObject(lastResource, true);
      }
      if (span.scope !== lastScope) {
        lastScope = span.scope;
        scopeChanges = this.#sharedObject(lastScope, false);
      }
      const changes = this.redactSpan(span) + resourceChanges + scopeChanges;
      if (changes > 0) {
        setRedactedCount(span, changes);
        changedSpans++;
      }
    }
    if (changedSpans > 0) counters.changed(changedSpans);
    return spans;
  }

  /**
   * Redacts the span's own fields (not its resource and scope) in place; returns how
   * many changed. Exposed for `skein redact-check`, which reports per field.
   */
  redactSpan(span: Span): number {
    const settings = this.#settings;
    let changes = this.#spanAttributes(span.attributes);
    const original = span.name;
    const nameRules = settings.spanNames || original.length >= settings.minTextLength;
    if (nameRules) {
      const slot = nameSlot(original);
      if (this.#cleanNames[slot] !== original) {
        let name = original;
        if (settings.spanNames) name = template(name);
        name = this.#text(name);
        if (name !== original) {
          span.name = name;
          changes++;
        } else this.#cleanNames[slot] = original;
      }
    }
    if (span.statusMessage !== '') {
      const message = this.#plainText(span.statusMessage);
      if (message !== span.statusMessage) {
        span.statusMessage = message;
        changes++;
      }
    }
    const events = span.events;
    for (let e = 0; e < events.length; e++) {
      const event = events[e];
      if (event.name !== '') {
        const eventName = this.#plainText(event.name);
        if (eventName !== event.name) {
          event.name = eventName;
          changes++;
        }
      }
      changes += this.#attributes(event.attributes, '');
    }
    const links = span.links;
    for (let l = 0; l < links.length; l++) changes += this.#attributes(links[l].attributes, '');
    return changes;
  }

  /** Redacts a resource or scope the first time it is seen; returns its change count. */
  #sharedObject(object: Resource | Scope, isResource: boolean): number {
    const known = this.#shared.get(object);
    if (known !== undefined) return known;
    const changes = this.#attributes(object.attributes, '');
    if (changes > 0 && isResource) {
      const resource = object as Resource;
      resource.serviceName = serviceNameOf(resource.attributes);
    }
    this.#shared.set(object, changes);
    return changes;
  }

  /** A name or message under the value rules; a `drop` match removes the matched text only. */
  #text(value: string): string {
    const settings = this.#settings;
    if (settings.valueRules.length === 0) return value;
    return settings.redactText(value, PLAIN) ?? dropMatches(settings, value);
  }

  /** `#text`, for texts that repeat (event names, status messages): remembered when clean. */
  #plainText(value: string): string {
    if (value.length < this.#settings.minTextLength) return value;
    const slot = nameSlot(value);
    if (this.#cleanTexts[slot] === value) return value;
    const text = this.#text(value);
    if (text === value) this.#cleanTexts[slot] = value;
    return text;
  }

  /**
   * Redacts a list of attributes in place (dropped ones removed, changed ones replaced by
   * new objects); returns how many changed. `prefix` is the dotted path of a kvlist.
   */
  /**
   * Keys at each position of the last span's attributes and their decisions. Spans of
   * one instrumentation repeat their keys in the same order, so comparing with the key
   * at the same position (equal strings compare as bytes) mostly replaces a map lookup,
   * which must hash every freshly decoded key.
   */
  readonly #positionKeys: string[] = new Array<string>(POSITIONS).fill('');
  readonly #positionDecisions: number[] = new Array<number>(POSITIONS).fill(0);
  /**
   * The last {@link SLOTS} string values at each position that the rules left
   * unchanged (under the key at that position). Values repeat span after span
   * (methods, routes, peers, db systems, user agents): an equal value is unchanged
   * again, without scanning it. Only values that went through every rule unchanged
   * are remembered, a position forgets its values when its key changes, and
   * everything is forgotten on update and every {@link REMEMBER_MS}.
   */
  readonly #clean: (string | null)[] = new Array<string | null>(POSITIONS * SLOTS).fill(null);
  /** Per position, the slot the next remembered value goes to (round robin). */
  readonly #cleanNext = new Uint8Array(POSITIONS);
  /**
   * Span names the rules (and span name templating) left unchanged, by
   * {@link nameSlot}, forgotten like `#clean`. Span names are few (routes,
   * operations); a name is found again by reading six characters and comparing one
   * string, where a set would hash every freshly decoded name.
   */
  readonly #cleanNames: (string | null)[] = new Array<string | null>(NAME_SLOTS).fill(null);
  /**
   * The same for other texts the plain value rules left unchanged: event names,
   * status messages, and string attributes outside the span's own (events, links,
   * resources, scopes) under no key rule. Kept apart from span names, which may also
   * be templated.
   */
  readonly #cleanTexts: (string | null)[] = new Array<string | null>(NAME_SLOTS).fill(null);
  /** When `#clean` was last emptied, ms. */
  #cleanSince = 0;

  /** Lookups and hits per position since the last reset. */
  readonly #lookups = new Uint32Array(POSITIONS);
  readonly #hits = new Uint32Array(POSITIONS);

  /** Whether `value` is remembered clean at `position` (false while the position is not looking). */
  #remembered(position: number, value: string): boolean {
    const lookups = this.#lookups[position];
    const hits = this.#hits[position];
    if (lookups >= LOOKUPS_TO_JUDGE && hits * MIN_HIT_SHARE < lookups) return false;
    this.#lookups[position] = lookups + 1;
    const clean = this.#clean;
    const end = position * SLOTS + SLOTS;
    for (let at = end - SLOTS; at < end; at++) {
      if (clean[at] === value) {
        this.#hits[position] = hits + 1;
        return true;
      }
    }
    return false;
  }

  #remember(position: number, value: string): void {
    const lookups = this.#lookups[position];
    if (lookups >= LOOKUPS_TO_JUDGE && this.#hits[position] * MIN_HIT_SHARE < lookups) return;
    const next = this.#cleanNext[position];
    this.#clean[position * SLOTS + next] = value;
    this.#cleanNext[position] = (next + 1) & (SLOTS - 1);
  }

  /** `#attributes` for a span's own attributes, with decisions remembered by position. */
  #spanAttributes(attributes: Attribute[]): number {
    if (attributes.length > POSITIONS) return this.#attributes(attributes, '');
    const settings = this.#settings;
    const keys = this.#positionKeys;
    const decisions = this.#positionDecisions;
    const minLength = settings.minTextLength;
    let changes = 0;
    let kept = 0;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i];
      const key = attribute.key;
      let decision: number;
      if (keys[i] === key) decision = decisions[i];
      else {
        decision = settings.decide(key);
        keys[i] = key;
        decisions[i] = decision;
        this.#clean.fill(null, i * SLOTS, i * SLOTS + SLOTS);
        this.#lookups[i] = 0;
        this.#hits[i] = 0;
      }
      const isString = attribute.type === STRING && decision < 0;
      // Plain text too short for any value rule, or remembered clean: unchanged.
      if (
        isString &&
        ((decision === PLAIN && (attribute.value as string).length < minLength) ||
          this.#remembered(i, attribute.value as string))
      ) {
        if (kept !== i) attributes[kept] = attribute;
        kept++;
        continue;
      }
      const result = this.#attribute(attribute, decision, key);
      if (isString && result === attribute) this.#remember(i, attribute.value as string);
      if (result !== attribute) changes += this.#lastChanges;
      if (result === null) continue;
      if (result !== attribute || kept !== i) attributes[kept] = result;
      kept++;
    }
    if (kept !== attributes.length) attributes.length = kept;
    return changes;
  }

  /** Changes the last `#attribute` call made (1, or the nested count of a kvlist). */
  #lastChanges = 0;

  /** One attribute under its key decision: itself when unchanged, a new one, or null (dropped). */
  #attribute(attribute: Attribute, decision: number, path: string): Attribute | null {
    const settings = this.#settings;
    if (decision >= 0) {
      this.#lastChanges = 1;
      const acted = settings.actOnValue(attribute, settings.keyRules[decision]);
      return acted === null ? null : keyed(attribute.key, acted);
    }
    const value = this.#value(attribute, decision, path);
    if (value === attribute) return attribute;
    // Set after #value: a kvlist inside it went through #attribute as well.
    this.#lastChanges = value !== null && value.type === KVLIST ? this.#nestedChanges : 1;
    return value === null ? null : keyed(attribute.key, value);
  }

  #attributes(attributes: Attribute[], prefix: string): number {
    const settings = this.#settings;
    let changes = 0;
    let kept = 0;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i];
      const path = prefix === '' ? attribute.key : `${prefix}.${attribute.key}`;
      const decision = settings.decide(path);
      // Plain text seen clean before (exception types and messages repeat): unchanged.
      if (decision === PLAIN && attribute.type === STRING) {
        const text = attribute.value;
        if (text.length < settings.minTextLength || this.#cleanTexts[nameSlot(text)] === text) {
          if (kept !== i) attributes[kept] = attribute;
          kept++;
          continue;
        }
      }
      const result = this.#attribute(attribute, decision, path);
      if (result === attribute && decision === PLAIN && attribute.type === STRING) {
        this.#cleanTexts[nameSlot(attribute.value)] = attribute.value;
      }
      if (result !== attribute) changes += this.#lastChanges;
      if (result === null) continue;
      if (result !== attribute || kept !== i) attributes[kept] = result;
      kept++;
    }
    if (kept !== attributes.length) attributes.length = kept;
    return changes;
  }

  /** Changes counted inside the last kvlist `#value` rewrote. */
  #nestedChanges = 0;

  /**
   * A value under the text rules: `value` itself when unchanged, a new value when
   * changed, null when a `drop` rule matched.
   */
  #value(value: AnyValue, kind: number, path: string): AnyValue | null {
    const settings = this.#settings;
    switch (value.type) {
      case STRING: {
        const text = settings.redactText(value.value, kind);
        if (text === value.value) return value;
        return text === null ? null : { type: STRING, value: text };
      }
      case INT: {
        const n = value.value;
        if (settings.valueRules.length === 0) return value;
        if (typeof n === 'number' ? Math.abs(n) < MIN_NUMBER_TO_SCAN : false) return value;
        const digits = n.toString();
        const text = settings.redactText(digits, PLAIN);
        if (text === digits) return value;
        return text === null ? null : { type: STRING, value: text };
      }
      case ARRAY: {
        const items = value.value;
        let copy: AnyValue[] | null = null;
        for (let i = 0; i < items.length; i++) {
          const item = this.#value(items[i], kind, path);
          if (item === null) return null;
          if (item !== items[i]) {
            copy ??= items.slice();
            copy[i] = item;
          }
        }
        return copy === null ? value : { type: ARRAY, value: copy };
      }
      case KVLIST: {
        const copy = value.value.slice();
        const changes = this.#attributes(copy, path);
        this.#nestedChanges = changes;
        return changes === 0 ? value : { type: KVLIST, value: copy };
      }
      default:
        return value;
    }
  }
}

/** A name or message a `drop` value rule matched: drop the matched parts, keep the rest. */
function dropMatches(settings: RedactionSettings, value: string): string {
  let text = value;
  for (const rule of settings.valueRules) {
    if (rule.action !== 'drop') continue;
    for (const matcher of rule.matchers) {
      const d = matcher.detector;
      if (d !== null) {
        if (text.length < d.minLength) continue;
        const features = textFeatures(text);
        if ((features & DIGIT_RUN) < d.minDigits || (features & d.needs) !== d.needs) continue;
        if (!d.mayMatch(text)) continue;
      }
      matcher.pattern.lastIndex = 0;
      text = text.replace(matcher.pattern, (found) =>
        matcher.detector === null || matcher.detector.isMatch(found) ? '' : found,
      );
    }
  }
  return settings.redactText(text, PLAIN) ?? text;
}

function serviceNameOf(attributes: Attribute[]): string {
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i];
    if (a.key === 'service.name' && a.type === STRING) return a.value;
  }
  return UNKNOWN_SERVICE;
}

/** Sets `skein.redacted`, replacing one the span may already carry (a re-ingested trace). */
function setRedactedCount(span: Span, changes: number): void {
  const attributes = span.attributes;
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i].key === REDACTED_ATTRIBUTE) {
      attributes[i] = { key: REDACTED_ATTRIBUTE, type: INT, value: changes };
      return;
    }
  }
  attributes.push({ key: REDACTED_ATTRIBUTE, type: INT, value: changes });
}
