/**
 * SDK-side redaction settings: the same shape as the server's
 * `pipeline.processors.redaction` (docs/configuration.md#redaction), so one rules
 * file can be used on both sides. The kit implements `keys` and `values` rules with
 * the `drop`, `hash`, `mask` and `replace` actions, `sqlLiterals` and `urlQuery`;
 * `values` take regular expressions and the detectors `email` and `jwt`.
 */
export interface RedactionConfig {
  /** Default true. */
  enabled?: boolean;
  /** Key for `hash` (HMAC-SHA256); required when a rule hashes. */
  hashKey?: string;
  rules?: RedactionRule[];
  /** `db.statement` / `db.query.text`: literals become `?` (default true). */
  sqlLiterals?: boolean;
  /** Query parameters whose values become `***` in URL attributes. */
  urlQuery?: string[];
}

export type RedactionAction = 'drop' | 'hash' | 'mask' | 'replace';

/** One rule: `keys` (attribute keys, `*` globs, case-insensitive) or `values` (patterns). */
export interface RedactionRule {
  keys?: string[];
  values?: string[];
  action: RedactionAction;
  /** Replacement text for `replace`. */
  with?: string;
}

/** The kit's defaults: secrets in well-known keys dropped, SQL literals and URL secrets removed. */
export const DEFAULT_REDACTION: RedactionConfig = {
  rules: [
    {
      keys: ['*.password', 'http.request.header.authorization', 'http.request.header.cookie'],
      action: 'drop',
    },
  ],
  sqlLiterals: true,
  urlQuery: ['token', 'key', 'password', 'secret', 'access_token', 'api_key'],
};
