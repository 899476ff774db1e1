import { ThriftReader } from './thrift-reader.ts';
import { MAX_THRIFT_DEPTH, ThriftType } from './thrift-type.ts';
import { readVarint64 } from '../varint.ts';

/*
 * TCompactProtocol:
 *   field header  delta:4 bits, type:4 bits; delta 0 means an id follows as a
 *                 zigzag varint; a 0 byte ends a struct. A bool field carries
 *                 its value in the type (1 true, 2 false) and has no body.
 *   i16/i32/i64   zigzag varints;  double  8 bytes IEEE 754, little-endian
 *   bool / byte   1 byte (bool elements of lists: 1 true, 2 false)
 *   binary        length:varint, bytes
 *   list / set    count:4 bits, elemType:4 bits (count 15: the count follows as a varint)
 *   map           count:varint, then (unless 0) keyType:4 bits, valueType:4 bits
 *   message       0x82, version 1 | type << 5, seqId:varint, name:binary
 *   compact type ids: 1/2 bool, 3 byte, 4 i16, 5 i32, 6 i64, 7 double,
 *                     8 binary, 9 list, 10 set, 11 map, 12 struct, 13 uuid
 */

// Module-local copies of imported constants used per field: under tsx (dev, tests,
// benches) every access to an imported binding is a getter call, measured at ~10%
// of decode time.
const BOOL = ThriftType.Bool;
const PROTOCOL_ID = 0x82;
const VERSION = 1;

/** Compact type id → ThriftType id (0 = invalid). */
const TTYPE = new Uint8Array(16);
TTYPE[1] = ThriftType.Bool;
TTYPE[2] = ThriftType.Bool;
TTYPE[3] = ThriftType.Byte;
TTYPE[4] = ThriftType.I16;
TTYPE[5] = ThriftType.I32;
TTYPE[6] = ThriftType.I64;
TTYPE[7] = ThriftType.Double;
TTYPE[8] = ThriftType.String;
TTYPE[9] = ThriftType.List;
TTYPE[10] = ThriftType.Set;
TTYPE[11] = ThriftType.Map;
TTYPE[12] = ThriftType.Struct;
TTYPE[13] = ThriftType.Uuid;

/** Fewest bytes one element of each ThriftType takes. */
const MIN_BYTES = new Uint8Array(17);
MIN_BYTES.fill(1);
MIN_BYTES[ThriftType.Double] = 8;
MIN_BYTES[ThriftType.Uuid] = 16;

/** No bool is waiting in `#pendingBool`. */
const NO_BOOL = -1;

/** Reads thrift's compact protocol (TCompactProtocol). */
export class ThriftCompactReader extends ThriftReader {
  /** The last field id of each struct being read, by depth (ids are deltas). */
  readonly #lastIds = new Int32Array(MAX_THRIFT_DEPTH + 2);
  #lastId = 0;
  /** The value of a bool field, carried by its header: 1, 0, or NO_BOOL. */
  #pendingBool = NO_BOOL;

  messageBegin(): void {
    this.need(2, 'message header');
    const protocolId = this.buf[this.pos++];
    if (protocolId !== PROTOCOL_ID) {
      throw this.fail(`protocol id 0x${protocolId.toString(16)} is not 0x82 (not thrift compact?)`);
    }
    const versionAndType = this.buf[this.pos++];
    if ((versionAndType & 0x1f) !== VERSION) {
      throw this.fail(`unsupported compact protocol version ${versionAndType & 0x1f}`);
    }
    this.messageType = versionAndType >>> 5;
    this.seqId = this.varint32() | 0;
    this.messageName = this.string();
  }

  override structBegin(): void {
    this.enter();
    this.#lastIds[this.depth] = this.#lastId;
    this.#lastId = 0;
  }

  override structEnd(): void {
    this.#lastId = this.#lastIds[this.depth];
    this.depth--;
  }

  field(): number {
    this.#pendingBool = NO_BOOL;
    this.need(1, 'field header');
    const header = this.buf[this.pos++];
    if (header === 0) return 0;
    const compactType = header & 0x0f;
    const type = TTYPE[compactType];
    if (type === 0) throw this.fail(`invalid field type ${compactType}`);
    const delta = header >>> 4;
    this.fieldId = delta === 0 ? this.zigzag32() : this.#lastId + delta;
    this.#lastId = this.fieldId;
    if (type === BOOL) this.#pendingBool = compactType === 1 ? 1 : 0;
    return (this.fieldId << 8) | type;
  }

  bool(): boolean {
    const pending = this.#pendingBool;
    if (pending !== NO_BOOL) {
      this.#pendingBool = NO_BOOL;
      return pending === 1;
    }
    this.need(1, 'bool');
    return this.buf[this.pos++] === 1;
  }

  byte(): number {
    this.need(1, 'byte');
    return (this.buf[this.pos++] << 24) >> 24;
  }

  i16(): number {
    return (this.zigzag32() << 16) >> 16;
  }

  i32(): number {
    return this.zigzag32();
  }

  i64(): void {
    this.varint64();
    const lo = this.lo;
    const hi = this.hi;
    const negate = -(lo & 1);
    this.lo = (((lo >>> 1) | (hi << 31)) ^ negate) >>> 0;
    this.hi = ((hi >>> 1) ^ negate) >>> 0;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  listBegin(): number {
    this.need(1, 'list header');
    const header = this.buf[this.pos++];
    let count = header >>> 4;
    if (count === 15) count = this.varint32();
    const type = TTYPE[header & 0x0f];
    if (count > 0 && type === 0) throw this.fail(`invalid list element type ${header & 0x0f}`);
    this.checkCount(count, type, 'list');
    this.elemType = type;
    return count;
  }

  mapBegin(): number {
    const count = this.varint32();
    if (count === 0) {
      this.keyType = 0;
      this.valueType = 0;
      return 0;
    }
    this.need(1, 'map header');
    const types = this.buf[this.pos++];
    const keyType = TTYPE[types >>> 4];
    const valueType = TTYPE[types & 0x0f];
    if (keyType === 0 || valueType === 0)
      throw this.fail(`invalid map types 0x${types.toString(16)}`);
    if (count * (MIN_BYTES[keyType] + MIN_BYTES[valueType]) > this.end - this.pos) {
      throw this.fail(
        `map of ${count} entries is longer than the ${this.end - this.pos} bytes left`,
      );
    }
    this.keyType = keyType;
    this.valueType = valueType;
    return count;
  }

  protected binaryLength(): number {
    const length = this.varint32();
    if (length > this.end - this.pos) {
      throw this.fail(
        `string length ${length} runs past the end (${this.end - this.pos} bytes left)`,
      );
    }
    return length;
  }

  protected minBytes(type: number): number {
    return MIN_BYTES[type];
  }

  /** An unsigned varint of at most 5 bytes that fits 31 bits (lengths and counts). */
  private varint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) throw this.fail('truncated varint');
      const b = buf[pos++];
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw this.fail('varint longer than 5 bytes');
  }

  /** A zigzag varint32 (i16, i32, field ids) as a signed number. */
  private zigzag32(): number {
    const n = this.varint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** An unsigned varint of up to 10 bytes into lo/hi. */
  private varint64(): void {
    readVarint64(this, this.end);
  }
}
