/** What a masked query-string value or URL password becomes. */
export const URL_MASK = '***';

/**
 * A URL (or a bare query string, `wholeIsQuery`) with the values of the named
 * query parameters replaced by `***`, and the password of `user:password@` too.
 * Names match case-insensitively after percent-decoding (`names` holds them in lower
 * case); everything else stays byte for byte. Returns `url` itself when unchanged.
 */
export function maskUrlQuery(
  url: string,
  names: ReadonlySet<string>,
  wholeIsQuery: boolean,
): string {
  let out = url;
  if (!wholeIsQuery) out = maskUserinfoPassword(out);
  let start: number;
  if (wholeIsQuery) start = out.charCodeAt(0) === 0x3f /* ? */ ? 1 : 0;
  else {
    const q = out.indexOf('?');
    if (q < 0) return out;
    start = q + 1;
  }
  if (names.size === 0) return out;
  const hash = out.indexOf('#', start);
  const end = hash < 0 ? out.length : hash;
  let result = '';
  let copied = 0;
  let i = start;
  while (i <= end) {
    let amp = out.indexOf('&', i);
    if (amp < 0 || amp > end) amp = end;
    const eq = out.indexOf('=', i);
    if (eq >= 0 && eq < amp && eq + 1 < amp && names.has(paramName(out.slice(i, eq)))) {
      result += out.slice(copied, eq + 1) + URL_MASK;
      copied = amp;
    }
    i = amp + 1;
  }
  return copied === 0 ? out : result + out.slice(copied);
}

function paramName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw.toLowerCase();
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** `scheme://user:password@host` → `scheme://user:***@host` (OpenTelemetry's url.full rule). */
function maskUserinfoPassword(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const authorityStart = scheme + 3;
  let authorityEnd = url.length;
  for (let i = authorityStart; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) {
      authorityEnd = i;
      break;
    }
  }
  const at = url.lastIndexOf('@', authorityEnd - 1);
  if (at < authorityStart) return url;
  const colon = url.indexOf(':', authorityStart);
  if (colon < 0 || colon > at || colon + 1 === at) return url;
  if (url.slice(colon + 1, at) === URL_MASK) return url;
  return url.slice(0, colon + 1) + URL_MASK + url.slice(at);
}
