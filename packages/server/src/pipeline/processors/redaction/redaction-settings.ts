import { createHmac, type KeyObject } from 'node:crypto';
import { ValueType, type AnyValue, type Attribute } from '../../../model/span.ts';
import type { Detector } from './detectors.ts';
import { stripSqlLiterals } from './sql-literals.ts';
import { DIGIT_RUN, textFeatures } from './text-features.ts';
import { maskUrlQuery } from './url-query.ts';

export type RedactionAction = 'drop' | 'hash' | 'mask' | 'replace';

/** A `keys` rule, compiled. */
export interface KeyRule {
  /** Position in `rules` (for messages). */
  readonly index: number;
  readonly action: RedactionAction;
  /** `with`, for `replace`. */
  readonly replacement: string;
}

/** One entry of a `values` rule: a built-in detector or a user regex (global). */
export interface ValueMatcher {
  readonly detector: Detector | null;
  readonly pattern: RegExp;
  /**
   * Text every match of a user regex contains (`requiredLiteral`), or null: a value
   * without it is not scanned.
   */
  readonly literal: string | null;
}

/** A `values` rule, compiled. */
export interface ValueRule {
  readonly index: number;
  readonly action: RedactionAction;
  readonly replacement: string;
  readonly matchers: readonly ValueMatcher[];
}

/** What `decide` says about an attribute key that no `keys` rule matches. */
export const KeyKind = {
  /** `db.statement` / `db.query.text` with `sqlLiterals` on. */
  Sql: -1,
  /** A URL attribute with `urlQuery` names configured. */
  Url: -2,
  /** `url.query`: the whole value is a query string. */
  UrlQuery: -3,
  /** Only the value rules apply. */
  Plain: -4,
} as const;

// Module-local copies of imported bindings used per value: under tsx (tests, benches)
// each access to an imported binding is a getter call.
const featuresOf = textFeatures;
const strip = stripSqlLiterals;
const maskUrl = maskUrlQuery;
const { String: STRING, Int: INT, Double: DOUBLE, Bool: BOOL, Bytes: BYTES } = ValueType;
const { Array: ARRAY, KvList: KVLIST, Empty: EMPTY } = ValueType;

const SQL_KEYS = new Set(['db.statement', 'db.query.text']);
const URL_KEYS = new Set(['url.full', 'http.url', 'http.target', 'url.original']);

/** Decisions cached per key; keys repeat endlessly, but a flood of random keys must not grow memory. */
const MAX_CACHED_DECISIONS = 4096;
/** Hashes remembered at most, and for how long (ms): the inputs are secrets, kept briefly. */
const MAX_REMEMBERED_HASHES = 1024;
const REMEMBER_HASHES_MS = 1000;

/** What a hashed value starts with. */
export const HASH_PREFIX = 'hmac:';
/** What `mask` leaves of a value shorter than 8 characters (keeping 4 would show too much). */
export const MASK = '****';

/** The parts of the compiled settings `compileRedaction` fills in. */
export interface RedactionSettingsInit {
  enabled: boolean;
  keyRules: KeyRule[];
  /** Lower-case exact keys → index into keyRules (the first rule naming the key). */
  exactKeys: Map<string, number>;
  /** Glob keys in rule order: a case-insensitive anchored regex → index into keyRules. */
  globKeys: { pattern: RegExp; rule: number }[];
  valueRules: ValueRule[];
  sqlLiterals: boolean;
  /** Lower-case query parameter names. */
  urlQuery: Set<string>;
  spanNames: boolean;
  hashKey: KeyObject | null;
}

/**
 * Compiled redaction settings (`compileRedaction` makes them): the rules as
 * matchers, and the text operations every action needs. Shared by the processor
 * (ingest) and `searchValueFor` (query), so both apply exactly the same rules.
 *
 * Immutable except for internal caches: key decisions, and the hashes of the last
 * second (an HMAC costs microseconds, and a hashed value such as a user id repeats on
 * the spans of a trace). Not for concurrent use from several threads (none exists in
 * Skein).
 */
export class RedactionSettings {
  readonly enabled: boolean;
  /** False when enabled but there is nothing to do, or disabled: the processor returns at once. */
  readonly active: boolean;
  readonly keyRules: readonly KeyRule[];
  readonly valueRules: readonly ValueRule[];
  readonly sqlLiterals: boolean;
  readonly urlQuery: ReadonlySet<string>;
  readonly spanNames: boolean;
  readonly #exactKeys: Map<string, number>;
  readonly #globKeys: { pattern: RegExp; rule: number }[];
  readonly #hashKey: KeyObject | null;
  readonly #decisions = new Map<string, number>();
  /**
   * Shortest text any value matcher can match: shorter values skip the value rules
   * (Infinity without value rules).
   */
  readonly minTextLength: number;
  /** Set by `redactText` when it hashed something (for `searchValue`). */
  #hashed = false;
  /** Text → its hash, emptied every {@link REMEMBER_HASHES_MS} and when full. */
  readonly #hashes = new Map<string, string>();
  #hashesSince = 0;

  constructor(init: RedactionSettingsInit) {
    this.enabled = init.enabled;
    this.keyRules = init.keyRules;
    this.valueRules = init.valueRules;
    this.sqlLiterals = init.sqlLiterals;
    this.urlQuery = init.urlQuery;
    this.spanNames = init.spanNames;
    this.#exactKeys = init.exactKeys;
    this.#globKeys = init.globKeys;
    this.#hashKey = init.hashKey;
    let minTextLength = Infinity;
    for (const rule of init.valueRules) {
      for (const matcher of rule.matchers) {
        // A match of a user regex holds its required literal, if it has one.
        const shortest = matcher.detector?.minLength ?? matcher.literal?.length ?? 1;
        minTextLength = Math.min(minTextLength, shortest);
      }
    }
    this.minTextLength = minTextLength;
    this.active =
      init.enabled &&
      (init.keyRules.length > 0 ||
        init.valueRules.length > 0 ||
        init.sqlLiterals ||
        init.urlQuery.size > 0 ||
        init.spanNames);
  }

  /**
   * What happens to the attribute `key` (a dotted path for keys inside a kvlist):
   * an index into `keyRules` (≥ 0) when a `keys` rule matches (the first one does),
   * otherwise a `KeyKind`.
   */
  decide(key: string): number {
    const cached = this.#decisions.get(key);
    if (cached !== undefined) return cached;
    const decision = this.#decideUncached(key);
    if (this.#decisions.size >= MAX_CACHED_DECISIONS) this.#decisions.clear();
    this.#decisions.set(key, decision);
    return decision;
  }

  #decideUncached(key: string): number {
    const lower = key.toLowerCase();
    let rule = this.#exactKeys.get(lower) ?? -1;
    for (const glob of this.#globKeys) {
      if (rule >= 0 && glob.rule >= rule) break;
      if (glob.pattern.test(lower)) {
        rule = glob.rule;
        break;
      }
    }
    if (rule >= 0) return rule;
    if (this.sqlLiterals && SQL_KEYS.has(key)) return KeyKind.Sql;
    if (this.urlQuery.size > 0) {
      if (URL_KEYS.has(key)) return KeyKind.Url;
      if (key === 'url.query') return KeyKind.UrlQuery;
    }
    return KeyKind.Plain;
  }

  /**
   * A string value after the rules that look at text: the SQL or URL treatment its
   * key asks for (`kind`), then each `values` rule in order. Returns `value` itself
   * when nothing changed, or null when a `drop` rule matched (the caller removes the
   * attribute).
   */
  redactText(value: string, kind: number): string | null {
    this.#hashed = false;
    let text = value;
    if (kind === KeyKind.Sql) text = strip(text);
    else if (kind === KeyKind.Url) text = maskUrl(text, this.urlQuery, false);
    else if (kind === KeyKind.UrlQuery) text = maskUrl(text, this.urlQuery, true);
    if (text.length < this.minTextLength) return text;
    const rules = this.valueRules;
    let features = -1; // counted once, when a detector first needs them
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r];
      for (let m = 0; m < rule.matchers.length; m++) {
        const matcher = rule.matchers[m];
        const detector = matcher.detector;
        if (detector !== null) {
          if (text.length < detector.minLength) continue;
          if (detector.minDigits > 0 || detector.needs !== 0) {
            if (features < 0) features = featuresOf(text);
            if ((features & DIGIT_RUN) < detector.minDigits) continue;
            if ((features & detector.needs) !== detector.needs) continue;
          }
          if (!detector.mayMatch(text)) continue;
        } else if (matcher.literal !== null && text.indexOf(matcher.literal) < 0) continue;
        const next = this.#replaceMatches(text, matcher, rule);
        if (next === null) return null;
        if (next !== text) {
          text = next;
          features = -1;
        }
      }
    }
    return text;
  }

  #replaceMatches(text: string, matcher: ValueMatcher, rule: ValueRule): string | null {
    const pattern = matcher.pattern;
    pattern.lastIndex = 0;
    let out = '';
    let copied = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text)) !== null) {
      const found = match[0];
      if (found.length === 0) {
        pattern.lastIndex++;
        continue;
      }
      if (matcher.detector !== null && !matcher.detector.isMatch(found)) continue;
      if (rule.action === 'drop') return null;
      out += text.slice(copied, match.index) + this.act(found, rule.action, rule.replacement);
      copied = match.index + found.length;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  /** The text an action puts in place of `text` (not for `drop`). */
  act(text: string, action: RedactionAction, replacement: string): string {
    switch (action) {
      case 'hash':
        this.#hashed = true;
        return this.hash(text);
      case 'mask':
        return text.length >= 8 ? MASK + text.slice(text.length - 4) : MASK;
      case 'replace':
        return replacement;
      case 'drop':
        return '';
    }
  }

  /**
   * `hmac:` and the first 128 bits of HMAC-SHA256(hashKey, text) in base64url: the
   * same text always gives the same output, so hashed values can still be searched
   * (`searchValue`) and grouped, but not read back without the key.
   */
  hash(text: string): string {
    if (this.#hashKey === null) {
      // compileRedaction refuses hash rules without a key; reaching here is a bug.
      throw new Error('redaction: a hash rule ran without a hash key');
    }
    const now = Date.now();
    if (
      now - this.#hashesSince >= REMEMBER_HASHES_MS ||
      this.#hashes.size >= MAX_REMEMBERED_HASHES
    ) {
      this.#hashes.clear();
      this.#hashesSince = now;
    }
    const known = this.#hashes.get(text);
    if (known !== undefined) return known;
    const hashed =
      HASH_PREFIX +
      createHmac('sha256', this.#hashKey).update(text).digest('base64url').slice(0, 22);
    this.#hashes.set(text, hashed);
    return hashed;
  }

  /**
   * A value with a `keys` rule's action applied to the whole of it: scalars become the
   * string the action gives for their text form; arrays and kvlists are treated
   * element by element. Returns null for `drop`.
   */
  actOnValue(value: AnyValue, rule: KeyRule): AnyValue | null {
    if (rule.action === 'drop') return null;
    switch (value.type) {
      case STRING:
        return {
          type: STRING,
          value: this.act(value.value, rule.action, rule.replacement),
        };
      case INT:
      case DOUBLE:
      case BOOL:
        return {
          type: STRING,
          value: this.act(String(value.value), rule.action, rule.replacement),
        };
      case BYTES:
        return {
          type: STRING,
          value: this.act(
            Buffer.from(value.value).toString('base64'),
            rule.action,
            rule.replacement,
          ),
        };
      case ARRAY: {
        const items: AnyValue[] = new Array(value.value.length);
        for (let i = 0; i < items.length; i++) {
          items[i] = this.actOnValue(value.value[i], rule) ?? value.value[i];
        }
        return { type: ARRAY, value: items };
      }
      case KVLIST: {
        const kvs: Attribute[] = new Array(value.value.length);
        for (let i = 0; i < kvs.length; i++) {
          const kv = value.value[i];
          const acted = this.actOnValue(kv, rule) ?? kv;
          kvs[i] = withKey(kv.key, acted);
        }
        return { type: KVLIST, value: kvs };
      }
      case EMPTY:
        return value;
    }
  }

  /**
   * The value to search for when a query asks for `key=value`: what storage holds
   * when the rules hashed it (the whole value under a `hash` key rule, or the parts
   * a `hash` value rule matched), otherwise `value` unchanged.
   */
  searchValue(key: string, value: string): string {
    if (!this.enabled) return value;
    const decision = this.decide(key);
    if (decision >= 0) {
      const rule = this.keyRules[decision];
      return rule.action === 'hash' ? this.hash(value) : value;
    }
    const redacted = this.redactText(value, decision);
    return redacted !== null && this.#hashed ? redacted : value;
  }
}

/** An attribute object for `key` with the type and value of `value`. */
export function withKey(key: string, value: AnyValue): Attribute {
  return { key, type: value.type, value: value.value } as Attribute;
}
