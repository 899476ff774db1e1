import { createHmac } from 'node:crypto';
import type { RedactionAction, RedactionConfig } from './redaction-config.ts';
import { stripSqlLiterals } from './sql-literals.ts';

const DETECTORS: Record<string, string> = {
  email: '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
  jwt: 'eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{10,}',
};
const SQL_KEYS = new Set(['db.statement', 'db.query.text']);
const URL_KEYS = new Set(['url.full', 'http.url', 'http.target', 'url.original', 'url.query']);

/** What to do with one attribute value; `undefined` from {@link RedactionRules.redact} means drop it. */
interface KeyRule {
  action: RedactionAction;
  replacement: string;
}

/**
 * Redaction rules compiled from a {@link RedactionConfig}. `redact(key, value)` returns
 * the value to keep (the same string when nothing matched) or undefined to drop the
 * attribute. Decisions per key are cached (bounded). Throws at construction on a bad
 * config, naming the rule.
 */
export class RedactionRules {
  readonly active: boolean;
  readonly #exact = new Map<string, KeyRule>();
  readonly #globs: { pattern: RegExp; rule: KeyRule }[] = [];
  readonly #values: { pattern: RegExp; rule: KeyRule }[] = [];
  readonly #sql: boolean;
  readonly #urlQuery: RegExp | null;
  readonly #hashKey: string | null;
  readonly #decisions = new Map<string, KeyRule | null>();

  constructor(config: RedactionConfig) {
    this.#sql = config.sqlLiterals ?? true;
    this.#hashKey = config.hashKey ?? null;
    const names = config.urlQuery ?? [];
    this.#urlQuery =
      names.length === 0
        ? null
        : new RegExp(`([?&;](?:${names.map(escapeRegExp).join('|')})=)[^&#;]*`, 'gi');
    (config.rules ?? []).forEach((r, index) => {
      const where = `redaction.rules[${index}]`;
      if (!['drop', 'hash', 'mask', 'replace'].includes(r.action))
        throw new Error(`${where}: action "${r.action}" is not drop, hash, mask or replace`);
      if (r.action === 'hash' && !this.#hashKey)
        throw new Error(`${where}: action hash needs redaction.hashKey`);
      if ((r.keys === undefined) === (r.values === undefined))
        throw new Error(`${where}: give either keys or values`);
      const rule: KeyRule = { action: r.action, replacement: r.with ?? '[redacted]' };
      for (const k of r.keys ?? []) {
        const key = k.toLowerCase();
        if (!key.includes('*')) {
          if (!this.#exact.has(key)) this.#exact.set(key, rule);
        } else
          this.#globs.push({
            pattern: new RegExp(`^${key.split('*').map(escapeRegExp).join('.*')}$`, 'i'),
            rule,
          });
      }
      for (const v of r.values ?? []) {
        let source = DETECTORS[v] ?? v;
        let flags = 'g';
        if (source.startsWith('(?i)')) {
          source = source.slice(4);
          flags = 'gi';
        }
        try {
          this.#values.push({ pattern: new RegExp(source, flags), rule });
        } catch (err) {
          throw new Error(`${where}: "${v}" is neither a detector (email, jwt) nor a valid regex`, {
            cause: err,
          });
        }
      }
    });
    this.active =
      config.enabled !== false &&
      (this.#sql ||
        this.#urlQuery !== null ||
        this.#exact.size + this.#globs.length + this.#values.length > 0);
  }

  /** Whether `key` is decided by a keys rule (cached). */
  #keyRule(key: string): KeyRule | null {
    let rule = this.#decisions.get(key);
    if (rule !== undefined) return rule;
    const lower = key.toLowerCase();
    rule = this.#exact.get(lower) ?? null;
    if (rule === null)
      for (const g of this.#globs)
        if (g.pattern.test(lower)) {
          rule = g.rule;
          break;
        }
    if (this.#decisions.size >= 4096) this.#decisions.clear();
    this.#decisions.set(key, rule);
    return rule;
  }

  /** The value to keep for attribute `key` (unchanged when nothing applies), or undefined to drop it. */
  redact(key: string, value: unknown): unknown {
    const rule = this.#keyRule(key);
    if (rule !== null) {
      if (Array.isArray(value))
        return rule.action === 'drop' ? undefined : value.map((v) => this.#apply(rule, String(v)));
      return rule.action === 'drop' ? undefined : this.#apply(rule, String(value));
    }
    if (typeof value !== 'string') {
      if (Array.isArray(value)) {
        let changed = false;
        const out = value.map((v) => {
          const r = typeof v === 'string' ? this.redactText(v) : v;
          if (r !== v) changed = true;
          return r;
        });
        return changed ? out : value;
      }
      return value;
    }
    let text = value;
    if (this.#sql && SQL_KEYS.has(key)) text = stripSqlLiterals(text);
    if (this.#urlQuery !== null && URL_KEYS.has(key)) text = text.replace(this.#urlQuery, '$1***');
    return this.redactText(text);
  }

  /** Applies the value rules to free text (names, messages); `null` means a drop rule matched. */
  redactText(text: string): string {
    let out = text;
    for (const v of this.#values) {
      v.pattern.lastIndex = 0;
      if (!v.pattern.test(out)) continue;
      v.pattern.lastIndex = 0;
      out = out.replace(v.pattern, (m) => (v.rule.action === 'drop' ? '' : this.#apply(v.rule, m)));
    }
    return out;
  }

  #apply(rule: KeyRule, text: string): string {
    switch (rule.action) {
      case 'mask':
        return text.length < 8 ? '****' : `****${text.slice(-4)}`;
      case 'replace':
        return rule.replacement;
      case 'hash':
        return `hmac:${createHmac('sha256', this.#hashKey ?? '')
          .update(text)
          .digest()
          .subarray(0, 16)
          .toString('base64url')}`;
      default:
        return '';
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
