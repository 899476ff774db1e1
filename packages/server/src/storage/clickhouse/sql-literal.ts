/**
 * The one way a value reaches ClickHouse SQL text. ClickHouse 18.16 (Debian's) has no
 * `{name:Type}` query parameters, so every value from a request or a span is written
 * as a literal by these functions (or sent as row data, see span-row.ts), never
 * spliced raw.
 *
 * String literals: single-quoted; backslash and quote are backslash-escaped, and so
 * are the control characters ClickHouse's lexer would otherwise take literally or
 * that could end a line in a log (NUL as `\0`, `\b \f \n \r \t`, other C0 and DEL as
 * `\xHH`). Everything else, UTF-8 included, goes through as is: inside a quoted
 * literal only `\` and `'` are special, so no text can close it early.
 */

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// eslint-disable-next-line no-control-regex
const SPECIAL = /[\\'\u0000-\u001f\u007f]/g;

function escapeChar(c: string): string {
  return ESCAPES[c] ?? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
}

/** A ClickHouse string literal holding exactly `value`. */
export function sqlString(value: string): string {
  if (typeof value !== 'string') throw new TypeError(`not a string: ${typeof value}`);
  return "'" + value.replace(SPECIAL, escapeChar) + "'";
}

/**
 * An integer literal. Throws on anything that is not a finite number or a bigint:
 * the caller rounds (times in µs are truncated, bounds rounded inwards) before.
 */
export function sqlInt(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`not a safe integer: ${String(value)}`);
  }
  return String(value);
}

/** `[...]` of string literals (an Array(String) constant). */
export function sqlStringArray(values: readonly string[]): string {
  return '[' + values.map(sqlString).join(', ') + ']';
}

/** `[...]` of integer literals. */
export function sqlIntArray(values: readonly (number | bigint)[]): string {
  return '[' + values.map(sqlInt).join(', ') + ']';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A database, table or cluster name from the configuration: only plain identifiers
 * are accepted (they are written unquoted, so nothing else may pass).
 */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new TypeError(
      `"${name}" is not a plain identifier (letters, digits and _, not starting with a digit)`,
    );
  }
  return name;
}
