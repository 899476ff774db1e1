/**
 * `db.statement` / `db.query.text` with every string and number literal replaced by
 * `?` (`WHERE email = 'a@b.c' AND id IN (1, 2)` → `WHERE email = ? AND id IN (?, ?)`).
 *
 * A single left-to-right scan that knows SQL's lexical shapes, so nothing else moves:
 * - `'...'` strings, with `''` and backslash escapes, and their `N'`/`E'`/`X'`/`B'`
 *   prefixes; Postgres dollar-quoted `$$...$$` / `$tag$...$tag$` strings;
 * - numbers (`42`, `-1.5e3`'s digits, `.5`, `0x1F`) unless they continue a name or a
 *   placeholder (`table2`, `t1.col`, `$1`, `:1`, `@p1`, `?1`);
 * - kept as they are: `"quoted identifiers"`, `` `backticks` ``, `[brackets]`,
 *   placeholders and comments (`-- ...`, `/* ... *\/`; sqlcommenter tags live there).
 * An unterminated string is replaced to the end: better one `?` too many than a leak.
 * Returns `sql` itself when there was nothing to replace.
 */
export function stripSqlLiterals(sql: string): string {
  let out = '';
  let copied = 0; // sql[copied..i) not yet appended to out
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    // Comments: skip over them unchanged.
    if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    // Quoted identifiers: skip (a doubled quote inside is part of the name).
    if (c === 0x22 /* " */ || c === 0x60 /* ` */ || c === 0x5b /* [ */) {
      const close = c === 0x5b ? 0x5d : c;
      i = skipQuoted(sql, i + 1, close, false);
      continue;
    }
    if (c === 0x27 /* ' */) {
      // A one-letter prefix (N'..', E'..', X'..', B'..') belongs to the literal.
      let start = i;
      if (i > 0 && isPrefixLetter(sql.charCodeAt(i - 1)) && !isNameChar(sql.charCodeAt(i - 2))) {
        start = i - 1;
      }
      const end = skipQuoted(sql, i + 1, 0x27, true);
      out += sql.slice(copied, start) + '?';
      copied = end;
      i = end;
      continue;
    }
    if (c === 0x24 /* $ */) {
      const tagEnd = dollarTagEnd(sql, i);
      if (tagEnd > 0 && !isNameChar(sql.charCodeAt(i - 1))) {
        const tag = sql.slice(i, tagEnd);
        const close = sql.indexOf(tag, tagEnd);
        const end = close < 0 ? n : close + tag.length;
        out += sql.slice(copied, i) + '?';
        copied = end;
        i = end;
        continue;
      }
    }
    if (isDigit(c) || (c === 0x2e /* . */ && isDigit(sql.charCodeAt(i + 1)))) {
      const before = i > 0 ? sql.charCodeAt(i - 1) : -1;
      if (isNameChar(before) || isPlaceholderSigil(before) || (c !== 0x2e && before === 0x2e)) {
        // Part of a name, a placeholder or a qualified name (t1.col2): skip the whole word.
        while (i < n && isNameChar(sql.charCodeAt(i))) i++;
        continue;
      }
      const end = numberEnd(sql, i);
      out += sql.slice(copied, i) + '?';
      copied = end;
      i = end;
      continue;
    }
    if (isNameChar(c)) {
      while (i < n && isNameChar(sql.charCodeAt(i))) i++;
      continue;
    }
    i++;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

/** Index just past the closing quote; a doubled quote (and, in strings, a backslash) escapes. */
function skipQuoted(sql: string, from: number, quote: number, backslash: boolean): number {
  let i = from;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (backslash && c === 0x5c /* \ */) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** For `$$` or `$tag$` at `i`, the index after the opening tag; 0 when it is not one (`$1`). */
function dollarTagEnd(sql: string, i: number): number {
  let j = i + 1;
  if (isDigit(sql.charCodeAt(j))) return 0;
  while (j < sql.length && isNameChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x24) j++;
  return sql.charCodeAt(j) === 0x24 ? j + 1 : 0;
}

/** End of a number literal starting at `i`: hex, or digits with fraction and exponent. */
function numberEnd(sql: string, i: number): number {
  let j = i;
  if (sql.charCodeAt(j) === 0x30 && (sql.charCodeAt(j + 1) | 0x20) === 0x78 /* x */) {
    j += 2;
    while (isHexDigit(sql.charCodeAt(j))) j++;
    return j;
  }
  while (isDigit(sql.charCodeAt(j))) j++;
  if (sql.charCodeAt(j) === 0x2e) {
    j++;
    while (isDigit(sql.charCodeAt(j))) j++;
  }
  if ((sql.charCodeAt(j) | 0x20) === 0x65 /* e */) {
    let k = j + 1;
    if (sql.charCodeAt(k) === 0x2b || sql.charCodeAt(k) === 0x2d) k++;
    if (isDigit(sql.charCodeAt(k))) {
      j = k;
      while (isDigit(sql.charCodeAt(j))) j++;
    }
  }
  return j;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** Letters, digits, `_`, `$` and anything beyond ASCII continue a name. */
function isNameChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c > 0x7f
  );
}

/** `:1`, `@p1`, `?1`, `$1` placeholders: the digits after these are not literals. */
function isPlaceholderSigil(c: number): boolean {
  return c === 0x3a || c === 0x40 || c === 0x3f || c === 0x24;
}

function isPrefixLetter(c: number): boolean {
  const l = c | 0x20;
  return l === 0x6e /* n */ || l === 0x65 /* e */ || l === 0x78 /* x */ || l === 0x62; /* b */
}
