import duckdb from '@duckdb/node-bindings';

/*
 * Fills a VARCHAR vector in bulk: two calls into DuckDB per column and chunk instead of
 * one per string. A call through the C API costs ~220 ns per string (N-API entry, the
 * string's UTF-8 length, copy and a temporary std::string), and a span has ~18 strings
 * (service, name, tenant, attribute types, extra and one term per attribute), which
 * made these calls the largest part of filling a chunk. Here the column's strings are
 * encoded to UTF-8 in one pass (`TextEncoder.encodeInto` of their concatenation) and
 * written as DuckDB's `duckdb_string_t` values (the C API's published layout, duckdb.h):
 *
 *   inlined (length ≤ 12): { uint32 length; char inlined[12] }, unused bytes zero
 *   pointer (length > 12): { uint32 length; char prefix[4]; char *ptr }
 *
 * copied into the vector with one `copy_data_to_vector`. The bytes a pointer points at
 * must live as long as the vector: they are handed to DuckDB first as ONE string (the
 * whole column's UTF-8, assigned to row 0 with `vector_assign_string_element_len`),
 * which DuckDB copies into the vector's own string heap; its address is read back from
 * row 0 and every long string points into it. Row 0 is then overwritten like any other.
 * `bench/string-vector.ts` measures it against one call per string (85 vs 220 ns per
 * 45-character string).
 *
 * Strings are stored exactly as `vector_assign_string_element` stores them: lone
 * surrogates become U+FFFD (both encode with the WHATWG UTF-8 encoder's rules), NUL
 * and any other character are kept.
 */

const encoder = new TextEncoder();
/** Scratch space for a column's UTF-8, reused (a store's writes run one at a time on its thread). */
let scratch = new Uint8Array(1 << 16);

const INLINE_MAX = 12;
/** How a column's strings get their UTF-8 lengths (see fillStringVector). */
const ASCII = 0;
const COUNTED = 1;
const EACH = 2;
const STRING_T = 16;

/**
 * Writes `strings` (null for a NULL row) into rows 0..strings.length-1 of `vector`, a
 * flat VARCHAR vector with room for them (a data chunk's column, or a list's child
 * vector after `list_vector_reserve`). Sets the vector's validity only if a row is NULL.
 */
export function fillStringVector(vector: duckdb.Vector, strings: readonly (string | null)[]): void {
  const n = strings.length;
  if (n === 0) return;
  const joined = strings.join('');
  if (scratch.length < joined.length * 3) scratch = new Uint8Array(joined.length * 3 + (1 << 16));
  const buf = scratch;
  const structs = new ArrayBuffer(n * STRING_T);
  const view = new DataView(structs);
  const bytes = new Uint8Array(structs);
  const written = encoder.encodeInto(joined, buf).written;
  // ASCII: each string's byte length is its length. Otherwise count each string's UTF-8
  // bytes, unless a string ends in a lone high surrogate: the joined text would pair it
  // with the next string's low surrogate, so each string is then encoded on its own.
  const mode = written === joined.length ? ASCII : pairsAcross(strings) ? EACH : COUNTED;
  let off = 0;
  let nulls = 0;
  let longs = 0;
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    if (s === null) {
      nulls++;
      continue;
    }
    const len =
      mode === ASCII
        ? s.length
        : mode === COUNTED
          ? Buffer.byteLength(s, 'utf8')
          : encoder.encodeInto(s, buf.subarray(off)).written;
    const p = i * STRING_T;
    view.setUint32(p, len, true);
    if (len <= INLINE_MAX) {
      for (let k = 0; k < len; k++) bytes[p + 4 + k] = buf[off + k];
    } else {
      bytes[p + 4] = buf[off];
      bytes[p + 5] = buf[off + 1];
      bytes[p + 6] = buf[off + 2];
      bytes[p + 7] = buf[off + 3];
      view.setUint32(p + 8, off, true); // the offset until the heap's address is known
      longs++;
    }
    off += len;
  }
  if (longs > 0) pointIntoHeap(vector, buf.subarray(0, off), view, n);
  duckdb.copy_data_to_vector(vector, 0, structs, 0, structs.byteLength);
  if (nulls > 0) setNulls(vector, strings);
}

/** True if a string ends in a high surrogate (which the joined text could pair with the next string). */
function pairsAcross(strings: readonly (string | null)[]): boolean {
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    if (s === null || s.length === 0) continue;
    const c = s.charCodeAt(s.length - 1);
    if (c >= 0xd800 && c <= 0xdbff) return true;
  }
  return false;
}

/** Copies `utf8` into the vector's string heap and turns each long string's offset into its address. */
function pointIntoHeap(vector: duckdb.Vector, utf8: Uint8Array, view: DataView, n: number): void {
  duckdb.vector_assign_string_element_len(vector, 0, utf8);
  const row0 = duckdb.vector_get_data(vector, STRING_T);
  const r0 = new DataView(row0.buffer, row0.byteOffset, STRING_T);
  if (r0.getUint32(0, true) !== utf8.length) {
    throw new Error(`DuckDB stored a ${utf8.length}-byte string as ${r0.getUint32(0, true)} bytes`);
  }
  const lo = r0.getUint32(8, true);
  const hi = r0.getUint32(12, true);
  for (let i = 0; i < n; i++) {
    const p = i * STRING_T;
    if (view.getUint32(p, true) <= INLINE_MAX) continue;
    const at = lo + view.getUint32(p + 8, true);
    view.setUint32(p + 8, at >>> 0, true);
    view.setUint32(p + 12, hi + (at > 0xffffffff ? 1 : 0), true);
  }
}

/** Validity: uint64 words, bit r set = row r is not NULL (little-endian: byte r >> 3, bit r & 7). */
function setNulls(vector: duckdb.Vector, strings: readonly (string | null)[]): void {
  const valid = new Uint8Array(Math.ceil(strings.length / 64) * 8).fill(0xff);
  for (let r = 0; r < strings.length; r++) {
    if (strings[r] === null) valid[r >> 3] &= ~(1 << (r & 7));
  }
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, valid.buffer, 0, valid.byteLength);
}
