import { createSecretKey } from 'node:crypto';
import type { RedactionConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';
import { DETECTORS } from './detectors.ts';
import { requiredLiteral } from './required-literal.ts';
import {
  RedactionSettings,
  type KeyRule,
  type RedactionAction,
  type ValueMatcher,
  type ValueRule,
} from './redaction-settings.ts';

const PATH = 'pipeline.processors.redaction';
const ACTIONS: readonly RedactionAction[] = ['drop', 'hash', 'mask', 'replace'];
const RULE_FIELDS = ['keys', 'values', 'action', 'with'];
/** Shorter keys make the hashes of guessable values (emails, ids) cheap to brute-force. */
const MIN_HASH_KEY_LENGTH = 16;
/** A bare word that is not a detector is almost always a misspelt detector name. */
const WORD = /^[a-z][a-z0-9_-]*$/i;

/**
 * Validates `pipeline.processors.redaction` and compiles it: key globs into anchored
 * case-insensitive regexes (exact keys into a map), detector names into detectors,
 * user patterns into global regexes, the hash key into a crypto key. Pure; the rules
 * of a disabled section are validated too, so turning it on cannot fail later.
 * @throws ConfigError naming the key (`pipeline.processors.redaction.rules[2].action`)
 *   and what it accepts.
 */
export function compileRedaction(config: RedactionConfig): RedactionSettings {
  if (!Array.isArray(config.rules))
    throw new ConfigError([`${PATH}.rules`, 'must be a list of rules']);
  const keyRules: KeyRule[] = [];
  const exactKeys = new Map<string, number>();
  const globKeys: { pattern: RegExp; rule: number }[] = [];
  const valueRules: ValueRule[] = [];
  let hashes = -1;

  config.rules.forEach((raw: unknown, index) => {
    const at = `${PATH}.rules[${index}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError([at, 'must be a mapping like {keys: ["*.password"], action: drop}']);
    }
    const rule = raw as Record<string, unknown>;
    for (const field of Object.keys(rule)) {
      if (!RULE_FIELDS.includes(field)) {
        throw new ConfigError([
          `${at}.${field}`,
          `unknown field; a rule has ${RULE_FIELDS.join(', ')}`,
        ]);
      }
    }
    const action = rule.action;
    if (typeof action !== 'string' || !ACTIONS.includes(action as RedactionAction)) {
      throw new ConfigError([
        `${at}.action`,
        `must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(action)}`,
      ]);
    }
    let replacement = '';
    if (action === 'replace') {
      if (typeof rule.with !== 'string') {
        throw new ConfigError([
          `${at}.with`,
          'action: replace needs the replacement text in "with"',
        ]);
      }
      replacement = rule.with;
    } else if (rule.with !== undefined) {
      throw new ConfigError([
        `${at}.with`,
        `is only used by action: replace (this rule's action is ${action})`,
      ]);
    }
    if (action === 'hash' && hashes < 0) hashes = index;
    const hasKeys = rule.keys !== undefined;
    const hasValues = rule.values !== undefined;
    if (hasKeys === hasValues) {
      throw new ConfigError([
        at,
        'needs either "keys" (attribute names) or "values" (detectors or regexes), not both or neither',
      ]);
    }
    if (hasKeys) {
      const keys = stringList(rule.keys, `${at}.keys`);
      const ruleIndex = keyRules.length;
      keyRules.push({ index, action: action as RedactionAction, replacement });
      for (const key of keys) {
        const lower = key.toLowerCase();
        if (!lower.includes('*')) {
          if (!exactKeys.has(lower)) exactKeys.set(lower, ruleIndex);
        } else {
          globKeys.push({ pattern: globToRegExp(lower), rule: ruleIndex });
        }
      }
    } else {
      const values = stringList(rule.values, `${at}.values`);
      const matchers = values.map((value, i) => valueMatcher(value, `${at}.values[${i}]`));
      valueRules.push({ index, action: action as RedactionAction, replacement, matchers });
    }
  });

  for (const [i, name] of config.urlQuery.entries()) {
    if (typeof name !== 'string' || name === '') {
      throw new ConfigError([`${PATH}.urlQuery[${i}]`, 'must be a query parameter name']);
    }
  }

  let hashKey = null;
  if (hashes >= 0) {
    if (typeof config.hashKey !== 'string' || config.hashKey.length < MIN_HASH_KEY_LENGTH) {
      throw new ConfigError([
        `${PATH}.hashKey`,
        `rules[${hashes}] uses action: hash, which needs a secret key of at least ${MIN_HASH_KEY_LENGTH} characters; ` +
          'set hashKey: ${env:SKEIN_REDACTION_HASH_KEY} and keep the key out of the file',
      ]);
    }
    hashKey = createSecretKey(Buffer.from(config.hashKey, 'utf8'));
  }

  return new RedactionSettings({
    enabled: config.enabled,
    keyRules,
    exactKeys,
    globKeys,
    valueRules,
    sqlLiterals: config.sqlLiterals,
    urlQuery: new Set(config.urlQuery.map((name) => name.toLowerCase())),
    spanNames: config.spanNames,
    hashKey,
  });
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

/** `*.password` → /^.*\.password$/i; only `*` is special. */
function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is');
}

/**
 * A detector name, or a regular expression (JavaScript syntax; a leading `(?i)` makes it
 * case-insensitive). A bare word that names no detector is refused: it is far more often
 * a misspelt detector (which would silently redact nothing) than a literal to match.
 */
function valueMatcher(value: string, at: string): ValueMatcher {
  const detector = DETECTORS.get(value);
  if (detector !== undefined) return { detector, pattern: detector.pattern, literal: null };
  const detectorList = [...DETECTORS.keys()].join(', ');
  if (WORD.test(value)) {
    throw new ConfigError([
      at,
      `"${value}" is not a detector (detectors: ${detectorList}); to match the literal text, write a regex such as "\\b${value}\\b"`,
    ]);
  }
  let source = value;
  let flags = 'g';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'gi';
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, flags);
  } catch (err) {
    throw new ConfigError(
      [
        at,
        `is neither a detector (${detectorList}) nor a valid regular expression: ${(err as Error).message}`,
      ],
      { cause: err },
    );
  }
  if (new RegExp(source, flags.replace('g', '')).test('')) {
    throw new ConfigError([
      at,
      `the regular expression ${JSON.stringify(value)} matches empty text`,
    ]);
  }
  return { detector: null, pattern, literal: requiredLiteral(source, flags) };
}
