import thrift from 'thrift';
import type { TProtocol } from 'thrift';
import { ThriftType } from '../thrift-type.ts';
import type { ThriftField, ThriftProtocol, ThriftValue } from './thrift-writer.ts';

/*
 * The same value trees as thrift-writer.ts, written by Apache Thrift's own Node
 * protocols (TCompactProtocol / TBinaryProtocol): an independent reference for
 * the readers and for the test encoder.
 */

function write(p: TProtocol, type: number, v: ThriftValue): void {
  switch (type) {
    case ThriftType.Bool:
      return p.writeBool(v as boolean);
    case ThriftType.Byte:
      return p.writeByte(Number(v));
    case ThriftType.I16:
      return p.writeI16(Number(v));
    case ThriftType.I32:
      return p.writeI32(Number(v));
    case ThriftType.I64:
      return p.writeI64(thrift.fromBigInt(BigInt(v as bigint | number)));
    case ThriftType.Double:
      return p.writeDouble(v as number);
    case ThriftType.String:
      if (typeof v === 'string') return p.writeString(v);
      return p.writeBinary(Buffer.from(v as Uint8Array));
    case ThriftType.Struct: {
      p.writeStructBegin('');
      for (const [id, fieldType, value] of (v as { struct: ThriftField[] }).struct) {
        p.writeFieldBegin('', fieldType, id);
        write(p, fieldType, value);
        p.writeFieldEnd();
      }
      p.writeFieldStop();
      return p.writeStructEnd();
    }
    case ThriftType.List: {
      const { list, elemType } = v as { list: ThriftValue[]; elemType: number };
      p.writeListBegin(elemType, list.length);
      for (const item of list) write(p, elemType, item);
      return p.writeListEnd();
    }
    case ThriftType.Map: {
      const m = v as { map: Array<[ThriftValue, ThriftValue]>; keyType: number; valueType: number };
      p.writeMapBegin(m.keyType, m.valueType, m.map.length);
      for (const [key, value] of m.map) {
        write(p, m.keyType, key);
        write(p, m.valueType, value);
      }
      return p.writeMapEnd();
    }
    default:
      throw new Error(`reference encoder: type ${type} not supported`);
  }
}

function encode(protocol: ThriftProtocol, body: (p: TProtocol) => void): Buffer {
  let out: Buffer | undefined;
  const transport = new thrift.TBufferedTransport(undefined, (message) => {
    out = message;
  });
  const p =
    protocol === 'compact'
      ? new thrift.TCompactProtocol(transport)
      : new thrift.TBinaryProtocol(transport);
  body(p);
  transport.flush();
  if (out === undefined) throw new Error('reference encoder wrote nothing');
  return out;
}

/** `value` of `type` as Apache Thrift writes it. */
export function apacheEncode(protocol: ThriftProtocol, type: number, value: ThriftValue): Buffer {
  return encode(protocol, (p) => write(p, type, value));
}

/** A message (header + arguments struct) as Apache Thrift writes it. */
export function apacheEncodeMessage(
  protocol: ThriftProtocol,
  name: string,
  messageType: number,
  seqId: number,
  args: ThriftField[],
): Buffer {
  return encode(protocol, (p) => {
    p.writeMessageBegin(name, messageType, seqId);
    write(p, ThriftType.Struct, { struct: args });
    p.writeMessageEnd();
  });
}
