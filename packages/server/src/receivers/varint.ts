import type { SkeinError } from '../errors.ts';

/** A byte reader that a 64-bit varint is read for: its cursor and its lo/hi result words. */
export interface Varint64Target {
  readonly buf: Uint8Array;
  pos: number;
  /** Low 32 bits of the last 64-bit value read, unsigned. */
  lo: number;
  /** High 32 bits of the last 64-bit value read, unsigned. */
  hi: number;
  fail(detail: string): SkeinError;
}

/**
 * Reads an unsigned base-128 varint of up to 10 bytes (protobuf and thrift compact use
 * the same encoding) at `r.pos`, stopping before `end`, into `r.lo` / `r.hi`, and
 * advances `r.pos`. Writes into the reader rather than returning a pair so the hot path
 * allocates nothing.
 * @throws the reader's `fail` error on a truncated or over-long varint.
 */
export function readVarint64(r: Varint64Target, end: number): void {
  const buf = r.buf;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw r.fail('truncated varint');
    const b = buf[pos++];
    const bits = b & 0x7f;
    if (i < 4) {
      lo |= bits << (7 * i);
    } else if (i === 4) {
      lo |= bits << 28;
      hi = bits >>> 4;
    } else {
      hi |= bits << (7 * i - 32);
    }
    if (b < 0x80) {
      r.pos = pos;
      r.lo = lo >>> 0;
      r.hi = hi >>> 0;
      return;
    }
  }
  throw r.fail('varint longer than 10 bytes');
}
