import type { Span } from '../../model/span.ts';

/** A 64-bit fingerprint as two unsigned 32-bit halves; never both 0 (0/0 marks an empty slot). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

// Two independent 32-bit lanes make the 64 bits: MurmurHash3's round over 32-bit
// words (two UTF-16 code units each) and xxHash32's. Each lane is one function
// with only local state (V8 keeps it in registers). Not cryptographic: an exporter
// that wants two different spans merged could craft them, but it could as well
// send one span.

/** One lane of MurmurHash3's round over the string's code units two at a time, then its length. */
function murmurText(h: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = Math.imul(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  let k = Math.imul(i < n ? s.charCodeAt(i) | (n << 16) : n, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

/** The same walk with xxHash32's round. */
function xxText(h: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    h = (h + Math.imul(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16), 0x85ebca77)) | 0;
    h = Math.imul((h << 13) | (h >>> 19), 0x9e3779b1);
  }
  h = (h + Math.imul(i < n ? s.charCodeAt(i) | (n << 16) : n, 0x85ebca77)) | 0;
  return Math.imul((h << 13) | (h >>> 19), 0x9e3779b1);
}

function murmurWord(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

function xxWord(h: number, w: number): number {
  h = (h + Math.imul(w, 0x85ebca77)) | 0;
  return Math.imul((h << 13) | (h >>> 19), 0x9e3779b1);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The fingerprint of what makes a span the same span when it is sent again: the
 * resource's tenant, trace id, span id, parent span id, name, kind, the resource's
 * service, start time, duration and status code. The tenant is in it so two tenants
 * sending the same ids (a shared demo, copied fixtures) each keep their span. Zipkin's shared client/server spans (one span id, a
 * CLIENT in one service and a SERVER in another) differ in kind and service, so they
 * get different fingerprints.
 *
 * Allocation-free (hot path): the result is written into `out`, which the caller reuses.
 */
export function fingerprintSpan(span: Span, out: Fingerprint): Fingerprint {
  const start = span.startTime;
  const duration = span.duration;
  // Times are exact integers below 2^53: low word, then the high word.
  const startHi = Math.floor(start / 4294967296) | 0;
  const durationHi = Math.floor(duration / 4294967296) | 0;
  const small = span.kind | (span.statusCode << 8);
  let a = murmurText(0x2545f491, span.resource.tenant);
  a = murmurText(a, span.traceId);
  a = murmurText(a, span.spanId);
  a = murmurText(a, span.parentSpanId);
  a = murmurText(a, span.name);
  a = murmurText(a, span.resource.serviceName);
  a = murmurWord(a, start >>> 0);
  a = murmurWord(a, startHi);
  a = murmurWord(a, duration >>> 0);
  a = murmurWord(a, durationHi);
  a = murmurWord(a, small);
  let b = xxText(0x61c88647, span.resource.tenant);
  b = xxText(b, span.traceId);
  b = xxText(b, span.spanId);
  b = xxText(b, span.parentSpanId);
  b = xxText(b, span.name);
  b = xxText(b, span.resource.serviceName);
  b = xxWord(b, start >>> 0);
  b = xxWord(b, startHi);
  b = xxWord(b, duration >>> 0);
  b = xxWord(b, durationHi);
  b = xxWord(b, small);
  const hi = fmix(a ^ Math.imul(b, 0x27d4eb2f));
  const lo = fmix(b ^ Math.imul(a, 0x165667b1));
  out.hi = hi;
  out.lo = hi === 0 && lo === 0 ? 1 : lo;
  return out;
}
