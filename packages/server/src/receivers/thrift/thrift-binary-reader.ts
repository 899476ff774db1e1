import { ThriftReader } from './thrift-reader.ts';
import { ThriftType } from './thrift-type.ts';

/*
 * TBinaryProtocol, big-endian throughout:
 *   field header  type:byte, id:i16 (a lone 0 byte ends a struct)
 *   bool / byte   1 byte;  i16 / i32 / i64  2 / 4 / 8 bytes;  double  8 bytes IEEE 754
 *   string        length:i32, bytes
 *   list / set    elemType:byte, count:i32, elements
 *   map           keyType:byte, valueType:byte, count:i32, entries
 *   message       strict: 0x8001_00tt:i32, name:string, seqId:i32
 *                 old:    name:string, type:byte, seqId:i32
 */

// Module-local copies of imported constants used per field: under tsx (dev, tests,
// benches) every access to an imported binding is a getter call, measured at ~10%
// of decode time.
const STOP = ThriftType.Stop;
const VERSION_MASK = 0xffff0000 | 0;
const VERSION_1 = 0x80010000 | 0;

/** Fewest bytes one element of each type takes; 0 marks an invalid type id. */
const MIN_BYTES = new Uint8Array(17);
MIN_BYTES[ThriftType.Bool] = 1;
MIN_BYTES[ThriftType.Byte] = 1;
MIN_BYTES[ThriftType.Double] = 8;
MIN_BYTES[ThriftType.I16] = 2;
MIN_BYTES[ThriftType.I32] = 4;
MIN_BYTES[ThriftType.I64] = 8;
MIN_BYTES[ThriftType.String] = 4;
MIN_BYTES[ThriftType.Struct] = 1;
MIN_BYTES[ThriftType.Map] = 6;
MIN_BYTES[ThriftType.Set] = 5;
MIN_BYTES[ThriftType.List] = 5;
MIN_BYTES[ThriftType.Uuid] = 16;

/** Reads thrift's binary protocol (TBinaryProtocol, strict or old message headers). */
export class ThriftBinaryReader extends ThriftReader {
  messageBegin(): void {
    const first = this.i32();
    if (first < 0) {
      if ((first & VERSION_MASK) !== VERSION_1) {
        throw this.fail(`bad message version 0x${(first >>> 0).toString(16)} (not thrift binary?)`);
      }
      this.messageType = first & 0xff;
      this.messageName = this.string();
    } else {
      // An old-style header starts with the name's length.
      this.pos -= 4;
      this.messageName = this.string();
      this.messageType = this.byte();
    }
    this.seqId = this.i32();
  }

  field(): number {
    this.need(1, 'field header');
    const type = this.buf[this.pos++];
    if (type === STOP) return 0;
    if (type > 16 || MIN_BYTES[type] === 0) throw this.fail(`invalid field type ${type}`);
    this.fieldId = this.i16();
    return (this.fieldId << 8) | type;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  byte(): number {
    this.need(1, 'byte');
    return (this.buf[this.pos++] << 24) >> 24;
  }

  i16(): number {
    this.need(2, 'i16');
    const v = this.view.getInt16(this.pos, false);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4, 'i32');
    const v = this.view.getInt32(this.pos, false);
    this.pos += 4;
    return v;
  }

  i64(): void {
    this.need(8, 'i64');
    this.hi = this.view.getUint32(this.pos, false);
    this.lo = this.view.getUint32(this.pos + 4, false);
    this.pos += 8;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  listBegin(): number {
    this.need(5, 'list header');
    const type = this.buf[this.pos++];
    const count = this.i32();
    if (count > 0 && (type > 16 || MIN_BYTES[type] === 0)) {
      throw this.fail(`invalid list element type ${type}`);
    }
    this.checkCount(count, type, 'list');
    this.elemType = type;
    return count;
  }

  mapBegin(): number {
    this.need(6, 'map header');
    const keyType = this.buf[this.pos++];
    const valueType = this.buf[this.pos++];
    const count = this.i32();
    if (count > 0) {
      if (keyType > 16 || MIN_BYTES[keyType] === 0)
        throw this.fail(`invalid map key type ${keyType}`);
      if (valueType > 16 || MIN_BYTES[valueType] === 0) {
        throw this.fail(`invalid map value type ${valueType}`);
      }
      if (count * (MIN_BYTES[keyType] + MIN_BYTES[valueType]) > this.end - this.pos) {
        throw this.fail(
          `map of ${count} entries is longer than the ${this.end - this.pos} bytes left`,
        );
      }
    } else if (count < 0) {
      throw this.fail(`negative map size ${count}`);
    }
    this.keyType = keyType;
    this.valueType = valueType;
    return count;
  }

  protected binaryLength(): number {
    const length = this.i32();
    if (length < 0) throw this.fail(`negative string length ${length}`);
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
}
