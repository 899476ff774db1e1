import type { SkeinError } from '../errors.ts';
import { InvalidPayloadError } from '../errors.ts';
import { readVarint64 } from './varint.ts';

/** Protobuf wire types (the low 3 bits of a field tag). */
export const WireType = {
  Varint: 0,
  I64: 1,
  Len: 2,
  StartGroup: 3,
  EndGroup: 4,
  I32: 5,
} as const;

const HEX = '0123456789abcdef';
/** Char codes of the two hex digits of each byte value: the 256-entry id lookup table. */
const HEX_HIGH = new Uint16Array(256);
const HEX_LOW = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  HEX_HIGH[b] = HEX.charCodeAt(b >>> 4);
  HEX_LOW[b] = HEX.charCodeAt(b & 15);
}

/**
 * Strings up to this many bytes are decoded by hand when they are ASCII. Measured
 * (bench/otlp-decode.ts): for attribute keys and short values a char-by-char
 * concatenation beats Buffer#utf8Slice and TextDecoder; past ~12 chars V8 starts
 * building rope strings, so longer ones go to utf8Slice.
 */
const SHORT_STRING_BYTES = 12;

/**
 * Node's Buffer has utf8Slice(start, end) (what toString('utf8', start, end) calls
 * after normalising its arguments); @types/node does not declare it.
 */
interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

/**
 * A cursor over one protobuf-encoded buffer, for hand-written decoders.
 *
 * Every read takes `end`, the end of the message being read, and throws
 * InvalidPayloadError rather than read past it: a length prefix larger than
 * what is left, a varint over 10 bytes or a truncated fixed-size field. Nothing
 * is allocated from a length before it is checked against `end`.
 *
 * 64-bit reads leave their halves in `lo` and `hi` (unsigned 32-bit) instead of
 * returning an object.
 */
export class WireReader {
  readonly buf: Uint8Array;
  /** The protocol being decoded, e.g. "OTLP/protobuf", for error messages. */
  readonly format: string;
  pos = 0;
  lo = 0;
  hi = 0;
  /** The message being decoded, for error messages; decoders save and restore it. */
  message = 'request';
  /** The last tag read, for error messages. */
  private tagValue = 0;
  private readonly text: Utf8SliceBuffer;
  private readonly view: DataView;

  constructor(buf: Uint8Array, format: string) {
    this.format = format;
    // A plain Uint8Array view: slice() then copies (Buffer#slice would not).
    this.buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as Utf8SliceBuffer;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The error to throw for malformed input at the current position. */
  fail(detail: string): SkeinError {
    const field = this.tagValue === 0 ? '' : ` field ${this.tagValue >>> 3}`;
    return new InvalidPayloadError([
      this.format,
      `${this.message}${field} at byte ${this.pos}: ${detail}`,
    ]);
  }

  /** Reads a field tag (field number << 3 | wire type). */
  tag(end: number): number {
    this.tagValue = 0;
    const tag = this.varint32(end);
    if (tag >>> 3 === 0) throw this.fail(`field number 0 in tag ${tag} (not a protobuf message?)`);
    this.tagValue = tag;
    return tag;
  }

  /** A varint's low 32 bits, unsigned (proto's uint32/enum/bool truncation). */
  varint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.fail('truncated varint');
      const b = buf[pos++];
      // Bits past 32 fall off the left, as uint32 truncation wants.
      if (i < 5) value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw this.fail('varint longer than 10 bytes');
  }

  /** A full 64-bit varint into lo/hi. */
  varint64(end: number): void {
    readVarint64(this, end);
  }

  fixed32(end: number): number {
    const pos = this.pos;
    if (end - pos < 4) throw this.fail('truncated fixed32');
    this.pos = pos + 4;
    const b = this.buf;
    return (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
  }

  /** A fixed64 into lo/hi. */
  fixed64(end: number): void {
    const pos = this.pos;
    if (end - pos < 8) throw this.fail('truncated fixed64');
    const b = this.buf;
    this.lo = (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
    this.hi = (b[pos + 4] | (b[pos + 5] << 8) | (b[pos + 6] << 16) | (b[pos + 7] << 24)) >>> 0;
    this.pos = pos + 8;
  }

  /**
   * A fixed64 count of nanoseconds as whole microseconds, exactly:
   * (hi·2^32 + lo) / 1000 = hi·4294967 + (hi·296 + lo) / 1000, where every term
   * stays far below 2^53.
   */
  fixed64Micros(end: number): number {
    this.fixed64(end);
    return this.hi * 4294967 + Math.floor((this.hi * 296 + this.lo) / 1000);
  }

  double(end: number): number {
    const pos = this.pos;
    if (end - pos < 8) throw this.fail('truncated double');
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  /** Reads a length prefix; returns where the delimited bytes end (they start at `pos`). */
  delimited(end: number): number {
    const pos = this.pos;
    let length: number;
    if (pos < end && this.buf[pos] < 0x80) {
      length = this.buf[pos];
      this.pos = pos + 1;
    } else {
      this.varint64(end);
      length = this.hi * 4294967296 + this.lo;
    }
    if (length > end - this.pos) {
      throw this.fail(
        `length ${length} runs past the end of its message (${end - this.pos} bytes left)`,
      );
    }
    return this.pos + length;
  }

  /** UTF-8 string field (the length prefix included). */
  string(end: number): string {
    const stop = this.delimited(end);
    const start = this.pos;
    this.pos = stop;
    if (stop - start <= SHORT_STRING_BYTES) {
      const buf = this.buf;
      let s = '';
      for (let i = start; i < stop; i++) {
        const c = buf[i];
        if (c >= 0x80) return this.text.utf8Slice(start, stop);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.text.utf8Slice(start, stop);
  }

  /** A copy of a bytes field: the request buffer is reused after decoding. */
  bytes(end: number): Uint8Array {
    const stop = this.delimited(end);
    const copy = this.buf.slice(this.pos, stop);
    this.pos = stop;
    return copy;
  }

  /** Lowercase hex of the 8 bytes at `pos` (a span id); does not move `pos`. */
  hex8(): string {
    const b = this.buf;
    const p = this.pos;
    const H = HEX_HIGH;
    const L = HEX_LOW;
    // prettier-ignore
    return String.fromCharCode(
      H[b[p]], L[b[p]], H[b[p + 1]], L[b[p + 1]], H[b[p + 2]], L[b[p + 2]], H[b[p + 3]], L[b[p + 3]],
      H[b[p + 4]], L[b[p + 4]], H[b[p + 5]], L[b[p + 5]], H[b[p + 6]], L[b[p + 6]], H[b[p + 7]], L[b[p + 7]],
    );
  }

  /** Lowercase hex of the 16 bytes at `pos` (a trace id); does not move `pos`. */
  hex16(): string {
    const b = this.buf;
    const p = this.pos;
    const H = HEX_HIGH;
    const L = HEX_LOW;
    // prettier-ignore
    return String.fromCharCode(
      H[b[p]], L[b[p]], H[b[p + 1]], L[b[p + 1]], H[b[p + 2]], L[b[p + 2]], H[b[p + 3]], L[b[p + 3]],
      H[b[p + 4]], L[b[p + 4]], H[b[p + 5]], L[b[p + 5]], H[b[p + 6]], L[b[p + 6]], H[b[p + 7]], L[b[p + 7]],
      H[b[p + 8]], L[b[p + 8]], H[b[p + 9]], L[b[p + 9]], H[b[p + 10]], L[b[p + 10]], H[b[p + 11]], L[b[p + 11]],
      H[b[p + 12]], L[b[p + 12]], H[b[p + 13]], L[b[p + 13]], H[b[p + 14]], L[b[p + 14]], H[b[p + 15]], L[b[p + 15]],
    );
  }

  /** Skips a field of the given wire type (an unknown or unused field). */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64(end);
        return;
      case WireType.I64:
        if (end - this.pos < 8) throw this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WireType.Len:
        this.pos = this.delimited(end);
        return;
      case WireType.I32:
        if (end - this.pos < 4) throw this.fail('truncated fixed32');
        this.pos += 4;
        return;
      case WireType.StartGroup:
      case WireType.EndGroup:
        throw this.fail(`group wire types (3, 4) are not used by ${this.format}`);
      default:
        throw this.fail(`invalid wire type ${wireType}`);
    }
  }
}
