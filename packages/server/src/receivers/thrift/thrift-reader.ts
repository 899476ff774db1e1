import type { SkeinError } from '../../errors.ts';
import { InvalidPayloadError } from '../../errors.ts';
import { MAX_THRIFT_DEPTH, ThriftType } from './thrift-type.ts';

const HEX = '0123456789abcdef';
/** Char codes of the two hex digits of each byte value. */
const HEX_HIGH = new Uint16Array(256);
const HEX_LOW = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  HEX_HIGH[b] = HEX.charCodeAt(b >>> 4);
  HEX_LOW[b] = HEX.charCodeAt(b & 15);
}

/** ASCII strings up to this many bytes are decoded by hand (see WireReader for the measurement). */
const SHORT_STRING_BYTES = 12;

/** Node's Buffer#utf8Slice, which @types/node does not declare. */
interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

/** 16 lowercase hex digits of the 64-bit value hi·2^32 + lo (a span id). */
export function hex64(hi: number, lo: number): string {
  const H = HEX_HIGH;
  const L = HEX_LOW;
  const h0 = hi >>> 24;
  const h1 = (hi >>> 16) & 0xff;
  const h2 = (hi >>> 8) & 0xff;
  const h3 = hi & 0xff;
  const l0 = lo >>> 24;
  const l1 = (lo >>> 16) & 0xff;
  const l2 = (lo >>> 8) & 0xff;
  const l3 = lo & 0xff;
  // prettier-ignore
  return String.fromCharCode(
    H[h0], L[h0], H[h1], L[h1], H[h2], L[h2], H[h3], L[h3],
    H[l0], L[l0], H[l1], L[l1], H[l2], L[l2], H[l3], L[l3],
  );
}

/**
 * 32 lowercase hex digits of a 128-bit id given as two i64 halves (a trace id),
 * built as one flat string rather than a concatenation.
 */
export function hex128(highHi: number, highLo: number, lowHi: number, lowLo: number): string {
  const H = HEX_HIGH;
  const L = HEX_LOW;
  const a = highHi;
  const b = highLo;
  const c = lowHi;
  const d = lowLo;
  // prettier-ignore
  return String.fromCharCode(
    H[a >>> 24], L[a >>> 24], H[(a >>> 16) & 0xff], L[(a >>> 16) & 0xff],
    H[(a >>> 8) & 0xff], L[(a >>> 8) & 0xff], H[a & 0xff], L[a & 0xff],
    H[b >>> 24], L[b >>> 24], H[(b >>> 16) & 0xff], L[(b >>> 16) & 0xff],
    H[(b >>> 8) & 0xff], L[(b >>> 8) & 0xff], H[b & 0xff], L[b & 0xff],
    H[c >>> 24], L[c >>> 24], H[(c >>> 16) & 0xff], L[(c >>> 16) & 0xff],
    H[(c >>> 8) & 0xff], L[(c >>> 8) & 0xff], H[c & 0xff], L[c & 0xff],
    H[d >>> 24], L[d >>> 24], H[(d >>> 16) & 0xff], L[(d >>> 16) & 0xff],
    H[(d >>> 8) & 0xff], L[(d >>> 8) & 0xff], H[d & 0xff], L[d & 0xff],
  );
}

/**
 * A bounds-checked cursor over one thrift-encoded buffer, for hand-written
 * decoders; `ThriftBinaryReader` and `ThriftCompactReader` implement the two
 * protocols.
 *
 * Contract:
 * - every read throws InvalidPayloadError rather than read past the end;
 * - nothing is allocated from a length or a count before it is checked against
 *   the bytes left (a list can hold no more elements than it has bytes for);
 * - structs and containers nest at most MAX_THRIFT_DEPTH deep, skipped ones too;
 * - `field()` returns 0 at the end of a struct, else `fieldId << 8 | type` with
 *   the type as a `ThriftType` id; a decoder reads the fields it knows and
 *   passes every other key's type to `skip`;
 * - 64-bit reads leave their halves in `lo` and `hi` (unsigned 32-bit).
 *
 * A decoder calls `structBegin()` / `structEnd()` around each struct it reads
 * (the compact protocol needs them for its field-id deltas).
 */
export abstract class ThriftReader {
  readonly buf: Uint8Array;
  readonly end: number;
  pos = 0;
  lo = 0;
  hi = 0;
  /** Id of the last field header read. */
  fieldId = 0;
  /** Element type of the last list or set header read. */
  elemType = 0;
  /** Key and value types of the last map header read. */
  keyType = 0;
  valueType = 0;
  /** From the last message header read. */
  messageName = '';
  messageType = 0;
  seqId = 0;
  /** The struct being decoded, for error messages; decoders set it. */
  struct = 'message';
  protected depth = 0;
  protected readonly view: DataView;
  readonly #format: string;
  readonly #text: Utf8SliceBuffer;

  /** `format` names the payload in error messages, e.g. "Jaeger thrift (compact)". */
  constructor(buf: Uint8Array, format: string) {
    this.buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.byteLength;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as Utf8SliceBuffer;
    this.#format = format;
  }

  /** The error to throw for malformed input at the current position. */
  fail(detail: string): SkeinError {
    return new InvalidPayloadError([
      this.#format,
      `${this.struct} field ${this.fieldId} at byte ${this.pos}: ${detail}`,
    ]);
  }

  /** Reads a message header into messageName, messageType and seqId. */
  abstract messageBegin(): void;
  /** Returns 0 at the struct's end, else `fieldId << 8 | type`. */
  abstract field(): number;
  abstract bool(): boolean;
  abstract byte(): number;
  abstract i16(): number;
  abstract i32(): number;
  /** Reads an i64 into lo/hi. */
  abstract i64(): void;
  abstract double(): number;
  /** Reads a list or set header: returns the element count, sets `elemType`. */
  abstract listBegin(): number;
  /** Reads a map header: returns the entry count, sets `keyType` and `valueType`. */
  abstract mapBegin(): number;
  /** Reads the length of a string or binary and checks it against the bytes left. */
  protected abstract binaryLength(): number;
  /** The fewest bytes one element of `type` takes in this protocol (for count checks). */
  protected abstract minBytes(type: number): number;

  structBegin(): void {
    this.enter();
  }

  structEnd(): void {
    this.depth--;
  }

  /** Throws unless `count` elements of `type` can fit in the bytes left. */
  protected checkCount(count: number, type: number, what: string): void {
    if (count < 0) throw this.fail(`negative ${what} size ${count}`);
    if (count * this.minBytes(type) > this.end - this.pos) {
      throw this.fail(
        `${what} of ${count} elements is longer than the ${this.end - this.pos} bytes left`,
      );
    }
  }

  protected enter(): void {
    if (++this.depth > MAX_THRIFT_DEPTH) {
      throw this.fail(`structs and containers nested deeper than ${MAX_THRIFT_DEPTH} levels`);
    }
  }

  /** Throws unless `n` more bytes are there. */
  protected need(n: number, what: string): void {
    if (this.end - this.pos < n) throw this.fail(`truncated ${what}`);
  }

  string(): string {
    const length = this.binaryLength();
    const start = this.pos;
    const stop = start + length;
    this.pos = stop;
    if (length <= SHORT_STRING_BYTES) {
      const buf = this.buf;
      let s = '';
      for (let i = start; i < stop; i++) {
        const c = buf[i];
        if (c >= 0x80) return this.#text.utf8Slice(start, stop);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.#text.utf8Slice(start, stop);
  }

  /** A copy of a binary value: the packet buffer is reused after decoding. */
  binary(): Uint8Array {
    const length = this.binaryLength();
    const copy = this.buf.slice(this.pos, this.pos + length);
    this.pos += length;
    return copy;
  }

  /** The last i64 as a number (exact within ±2^53, which µs timestamps are). */
  i64Number(): number {
    return (this.hi | 0) * 4294967296 + this.lo;
  }

  /** The last i64 exactly: a number when it is a safe integer, else a bigint. */
  i64Value(): number | bigint {
    const high = this.hi | 0;
    // |high| < 2^21 keeps the value within ±2^53, where the arithmetic is exact.
    if (high >= -0x200000 && high < 0x200000) {
      const n = high * 4294967296 + this.lo;
      if (Number.isSafeInteger(n)) return n;
    }
    return (BigInt(high) << 32n) | BigInt(this.lo);
  }

  /** The last i64 as 16 lowercase hex digits (an id), big-endian. */
  i64Hex(): string {
    return hex64(this.hi, this.lo);
  }

  /** Skips one value of `type` (an unknown field, or one read with another type). */
  skip(type: number): void {
    switch (type) {
      case ThriftType.Bool:
        this.bool();
        return;
      case ThriftType.Byte:
        this.byte();
        return;
      case ThriftType.Double:
        this.double();
        return;
      case ThriftType.I16:
        this.i16();
        return;
      case ThriftType.I32:
        this.i32();
        return;
      case ThriftType.I64:
        this.i64();
        return;
      case ThriftType.String: {
        const length = this.binaryLength();
        this.pos += length;
        return;
      }
      case ThriftType.Uuid:
        this.need(16, 'uuid');
        this.pos += 16;
        return;
      case ThriftType.Struct: {
        this.structBegin();
        let key: number;
        while ((key = this.field()) !== 0) this.skip(key & 0xff);
        this.structEnd();
        return;
      }
      case ThriftType.List:
      case ThriftType.Set: {
        this.enter();
        const count = this.listBegin();
        const elemType = this.elemType;
        for (let i = 0; i < count; i++) this.skip(elemType);
        this.depth--;
        return;
      }
      case ThriftType.Map: {
        this.enter();
        const count = this.mapBegin();
        const keyType = this.keyType;
        const valueType = this.valueType;
        for (let i = 0; i < count; i++) {
          this.skip(keyType);
          this.skip(valueType);
        }
        this.depth--;
        return;
      }
      default:
        throw this.fail(`unknown thrift type ${type}`);
    }
  }
}
