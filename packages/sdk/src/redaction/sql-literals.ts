/**
 * Replaces the literals of an SQL statement with `?`: quoted strings ('it''s',
 * E'\n', N'x'), dollar-quoted strings ($$x$$, $tag$x$tag$), numbers (42, -1.5e3,
 * 0x1F) and booleans stay structure-free. Identifiers ("Users", `users`), keywords,
 * placeholders ($1, ?, :name) and comments' text are kept except literals inside
 * comments, which are dropped with the comment. Never throws; unterminated quotes
 * mask to the end.
 */
export function stripSqlLiterals(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    // 'string' (with optional E/N/B/X prefix consumed as part of the word before it)
    if (c === 39 /* ' */) {
      i = skipQuoted(sql, i, 39);
      out = trimPrefix(out) + '?';
      continue;
    }
    if (c === 34 /* " */ || c === 96 /* ` */) {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === 36 /* $ */) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
        out += '?';
        continue;
      }
      // $1 placeholder: keep with its digits
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 46 /* . */ && isDigit(sql.charCodeAt(i + 1)))) {
      const prev = i > 0 ? sql.charCodeAt(i - 1) : 32;
      if (isWordChar(prev)) {
        // part of an identifier such as t1 or col_2
        out += sql[i];
        i++;
        continue;
      }
      const m = /^(0x[0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)/.exec(sql.slice(i, i + 80));
      const len = m ? m[0].length : 1;
      // a unary minus directly before a number is part of the literal
      if (out.endsWith('-') && !/[\w)\]]\s*-$/.test(out)) out = out.slice(0, -1);
      out += '?';
      i += len;
      continue;
    }
    out += sql[i];
    i++;
  }
  return out;
}

function skipQuoted(s: string, start: number, quote: number): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */ && quote === 39) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (s.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return s.length;
}

/** Drops a string-literal prefix (E, N, B, X, U&) glued to the quote. */
function trimPrefix(out: string): string {
  const m = /(?:^|[^\w])([EeNnBbXx]|[Uu]&)$/.exec(out);
  return m ? out.slice(0, out.length - m[1].length) : out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
