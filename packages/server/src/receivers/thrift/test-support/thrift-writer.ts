import { ThriftType } from '../thrift-type.ts';

/*
 * A small thrift encoder for tests, fuzz seeds and benchmarks: values are
 * described as a tree (`ThriftValue`) and written in either protocol. It is kept
 * apart from the readers' code paths on purpose, and checked against hand-made
 * byte vectors and thriftrw (jaeger-client's encoder) in the tests.
 */

/** A field of a struct: id, type, value. */
export type ThriftField = [id: number, type: number, value: ThriftValue];

export type ThriftValue =
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | { struct: ThriftField[] }
  | { list: ThriftValue[]; elemType: number }
  | { set: ThriftValue[]; elemType: number }
  | { map: Array<[ThriftValue, ThriftValue]>; keyType: number; valueType: number };

export type ThriftProtocol = 'binary' | 'compact';

/** Compact type ids by ThriftType (bool fields carry 1/2 instead). */
const COMPACT_TYPE: Record<number, number> = {
  [ThriftType.Bool]: 1,
  [ThriftType.Byte]: 3,
  [ThriftType.I16]: 4,
  [ThriftType.I32]: 5,
  [ThriftType.I64]: 6,
  [ThriftType.Double]: 7,
  [ThriftType.String]: 8,
  [ThriftType.List]: 9,
  [ThriftType.Set]: 10,
  [ThriftType.Map]: 11,
  [ThriftType.Struct]: 12,
  [ThriftType.Uuid]: 13,
};

class ByteSink {
  private chunks: number[] = [];

  byte(b: number): void {
    this.chunks.push(b & 0xff);
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.chunks.push(x);
  }

  varint(n: bigint): void {
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  be(n: bigint, width: number): void {
    const v = BigInt.asUintN(width * 8, n);
    for (let i = width - 1; i >= 0; i--) this.byte(Number((v >> BigInt(i * 8)) & 0xffn));
  }

  double(d: number, littleEndian: boolean): void {
    const b = Buffer.alloc(8);
    if (littleEndian) b.writeDoubleLE(d);
    else b.writeDoubleBE(d);
    this.bytes(b);
  }

  done(): Buffer {
    return Buffer.from(this.chunks);
  }
}

function zigzag(n: bigint, bits: number): bigint {
  return BigInt.asUintN(bits, (n << 1n) ^ (n >> BigInt(bits - 1)));
}

function asBigInt(v: ThriftValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  throw new Error(`expected an integer, got ${typeof v}`);
}

function utf8(v: ThriftValue): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return v;
  throw new Error(`expected a string or bytes, got ${typeof v}`);
}

/** Encodes `value` of `type` (no message header) in the given protocol. */
export function encodeThrift(protocol: ThriftProtocol, type: number, value: ThriftValue): Buffer {
  const sink = new ByteSink();
  writeValue(sink, protocol, type, value);
  return sink.done();
}

/** Encodes a oneway/call message: header, then the arguments struct. */
export function encodeThriftMessage(
  protocol: ThriftProtocol,
  name: string,
  messageType: number,
  seqId: number,
  args: ThriftField[],
): Buffer {
  const sink = new ByteSink();
  if (protocol === 'binary') {
    sink.be(BigInt(0x80010000 | messageType), 4);
    const n = utf8(name);
    sink.be(BigInt(n.length), 4);
    sink.bytes(n);
    sink.be(BigInt(seqId), 4);
  } else {
    sink.byte(0x82);
    sink.byte(1 | (messageType << 5));
    sink.varint(BigInt(seqId >>> 0));
    const n = utf8(name);
    sink.varint(BigInt(n.length));
    sink.bytes(n);
  }
  writeValue(sink, protocol, ThriftType.Struct, { struct: args });
  return sink.done();
}

function writeValue(sink: ByteSink, protocol: ThriftProtocol, type: number, v: ThriftValue): void {
  const compact = protocol === 'compact';
  switch (type) {
    case ThriftType.Bool:
      sink.byte(compact ? (v ? 1 : 2) : v ? 1 : 0);
      return;
    case ThriftType.Byte:
      sink.byte(Number(v));
      return;
    case ThriftType.I16:
    case ThriftType.I32:
    case ThriftType.I64: {
      const bits = type === ThriftType.I16 ? 16 : type === ThriftType.I32 ? 32 : 64;
      if (compact) sink.varint(zigzag(asBigInt(v), bits));
      else sink.be(asBigInt(v), bits / 8);
      return;
    }
    case ThriftType.Double:
      sink.double(Number(v), compact);
      return;
    case ThriftType.String: {
      const bytes = utf8(v);
      if (compact) sink.varint(BigInt(bytes.length));
      else sink.be(BigInt(bytes.length), 4);
      sink.bytes(bytes);
      return;
    }
    case ThriftType.Uuid:
      sink.bytes(v as Uint8Array);
      return;
    case ThriftType.Struct: {
      const { struct } = v as { struct: ThriftField[] };
      let lastId = 0;
      for (const [id, fieldType, fieldValue] of struct) {
        if (compact) {
          const ct = fieldType === ThriftType.Bool ? (fieldValue ? 1 : 2) : COMPACT_TYPE[fieldType];
          const delta = id - lastId;
          if (delta > 0 && delta <= 15) sink.byte((delta << 4) | ct);
          else {
            sink.byte(ct);
            sink.varint(zigzag(BigInt(id), 16));
          }
          lastId = id;
          if (fieldType !== ThriftType.Bool) writeValue(sink, protocol, fieldType, fieldValue);
        } else {
          sink.byte(fieldType);
          sink.be(BigInt(id), 2);
          writeValue(sink, protocol, fieldType, fieldValue);
        }
      }
      sink.byte(0);
      return;
    }
    case ThriftType.List:
    case ThriftType.Set: {
      const c = v as { list?: ThriftValue[]; set?: ThriftValue[]; elemType: number };
      const items = c.list ?? c.set ?? [];
      if (compact) {
        const et = COMPACT_TYPE[c.elemType];
        if (items.length < 15) sink.byte((items.length << 4) | et);
        else {
          sink.byte(0xf0 | et);
          sink.varint(BigInt(items.length));
        }
      } else {
        sink.byte(c.elemType);
        sink.be(BigInt(items.length), 4);
      }
      for (const item of items) writeValue(sink, protocol, c.elemType, item);
      return;
    }
    case ThriftType.Map: {
      const m = v as { map: Array<[ThriftValue, ThriftValue]>; keyType: number; valueType: number };
      if (compact) {
        sink.varint(BigInt(m.map.length));
        if (m.map.length > 0) {
          sink.byte((COMPACT_TYPE[m.keyType] << 4) | COMPACT_TYPE[m.valueType]);
        }
      } else {
        sink.byte(m.keyType);
        sink.byte(m.valueType);
        sink.be(BigInt(m.map.length), 4);
      }
      for (const [k, val] of m.map) {
        writeValue(sink, protocol, m.keyType, k);
        writeValue(sink, protocol, m.valueType, val);
      }
      return;
    }
    default:
      throw new Error(`cannot encode thrift type ${type}`);
  }
}
