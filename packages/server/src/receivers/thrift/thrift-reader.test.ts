import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError } from '../../errors.ts';
import { ThriftBinaryReader } from './thrift-binary-reader.ts';
import { ThriftCompactReader } from './thrift-compact-reader.ts';
import type { ThriftReader } from './thrift-reader.ts';
import { MAX_THRIFT_DEPTH, ThriftMessageType, ThriftType as T } from './thrift-type.ts';
import { apacheEncode, apacheEncodeMessage } from './test-support/apache-thrift-encoder.ts';
import { encodeThrift, encodeThriftMessage } from './test-support/thrift-writer.ts';
import type { ThriftField, ThriftProtocol, ThriftValue } from './test-support/thrift-writer.ts';

function reader(protocol: ThriftProtocol, bytes: Uint8Array): ThriftReader {
  return protocol === 'binary'
    ? new ThriftBinaryReader(bytes, 'test thrift')
    : new ThriftCompactReader(bytes, 'test thrift');
}

/** Reads any value back into the writer's tree shape (ints as bigint). */
function readValue(r: ThriftReader, type: number): ThriftValue {
  switch (type) {
    case T.Bool:
      return r.bool();
    case T.Byte:
      return BigInt(r.byte());
    case T.I16:
      return BigInt(r.i16());
    case T.I32:
      return BigInt(r.i32());
    case T.I64:
      r.i64();
      return BigInt(r.i64Value());
    case T.Double:
      return r.double();
    case T.String:
      return r.string();
    case T.Struct: {
      const fields: ThriftField[] = [];
      r.structBegin();
      let key: number;
      while ((key = r.field()) !== 0)
        fields.push([r.fieldId, key & 0xff, readValue(r, key & 0xff)]);
      r.structEnd();
      return { struct: fields };
    }
    case T.List: {
      const n = r.listBegin();
      const elemType = r.elemType;
      const list: ThriftValue[] = [];
      for (let i = 0; i < n; i++) list.push(readValue(r, elemType));
      return { list, elemType };
    }
    case T.Map: {
      const n = r.mapBegin();
      const { keyType, valueType } = r;
      const map: Array<[ThriftValue, ThriftValue]> = [];
      for (let i = 0; i < n; i++) map.push([readValue(r, keyType), readValue(r, valueType)]);
      return { map, keyType, valueType };
    }
    default:
      throw new Error(`type ${type}`);
  }
}

const everything: ThriftValue = {
  struct: [
    [1, T.Bool, true],
    [2, T.Bool, false],
    [3, T.Byte, -5n],
    [4, T.I16, -300n],
    [5, T.I32, 2147483647n],
    [6, T.I64, -9223372036854775808n],
    [7, T.I64, 9007199254740993n],
    [8, T.Double, -1.5e300],
    [9, T.String, 'héllo, wörld — a string longer than twelve bytes'],
    [30, T.String, ''],
    [-2, T.I32, 7n],
    [31, T.List, { list: [true, false, true], elemType: T.Bool }],
    [32, T.List, { list: Array.from({ length: 20 }, (_, i) => BigInt(i * 1000)), elemType: T.I64 }],
    [
      33,
      T.Map,
      {
        map: [
          ['a', 1n],
          ['b', -1n],
        ],
        keyType: T.String,
        valueType: T.I32,
      },
    ],
    [35, T.Struct, { struct: [[1, T.Struct, { struct: [[1, T.String, 'deep']] }]] }],
    [36, T.List, { list: [], elemType: T.Struct }],
  ],
};

describe('thrift readers', () => {
  for (const protocol of ['binary', 'compact'] as const) {
    test(`${protocol}: reads back every type the writer wrote`, () => {
      const bytes = encodeThrift(protocol, T.Struct, everything);
      const r = reader(protocol, bytes);
      assert.deepEqual(readValue(r, T.Struct), everything);
      assert.equal(r.pos, bytes.length);
    });

    test(`${protocol}: reads what Apache Thrift's own protocol writes, byte for byte like the test encoder`, () => {
      const apache = apacheEncode(protocol, T.Struct, everything);
      assert.deepEqual(readValue(reader(protocol, apache), T.Struct), everything);
      assert.deepEqual(encodeThrift(protocol, T.Struct, everything), apache);
      const args: ThriftField[] = [[1, T.List, { list: ['a', 'b'], elemType: T.String }]];
      const message = apacheEncodeMessage(
        protocol,
        'emitZipkinBatch',
        ThriftMessageType.Oneway,
        3,
        args,
      );
      assert.deepEqual(
        encodeThriftMessage(protocol, 'emitZipkinBatch', ThriftMessageType.Oneway, 3, args),
        message,
      );
      const r = reader(protocol, message);
      r.messageBegin();
      assert.deepEqual([r.messageName, r.messageType, r.seqId], ['emitZipkinBatch', 4, 3]);
      assert.deepEqual(readValue(r, T.Struct), { struct: args });
    });

    test(`${protocol}: skip() passes over fields of every type`, () => {
      const bytes = encodeThrift(protocol, T.Struct, {
        struct: [...(everything as { struct: ThriftField[] }).struct, [40, T.String, 'after']],
      });
      const r = reader(protocol, bytes);
      r.structBegin();
      let key: number;
      let after = '';
      while ((key = r.field()) !== 0) {
        if (key === ((40 << 8) | T.String)) after = r.string();
        else r.skip(key & 0xff);
      }
      r.structEnd();
      assert.equal(after, 'after');
      assert.equal(r.pos, bytes.length);
    });

    test(`${protocol}: message header of a oneway call`, () => {
      const bytes = encodeThriftMessage(protocol, 'emitBatch', ThriftMessageType.Oneway, 42, [
        [1, T.I32, 9],
      ]);
      const r = reader(protocol, bytes);
      r.messageBegin();
      assert.equal(r.messageName, 'emitBatch');
      assert.equal(r.messageType, ThriftMessageType.Oneway);
      assert.equal(r.seqId, 42);
      assert.deepEqual(readValue(r, T.Struct), { struct: [[1, T.I32, 9n]] });
    });

    test(`${protocol}: i64 as hex, number and exact value`, () => {
      const bytes = encodeThrift(protocol, T.Struct, {
        struct: [
          [1, T.I64, -1n],
          [2, T.I64, 0x0123456789abcdefn],
          [3, T.I64, 1_700_000_000_000_000n],
        ],
      });
      const r = reader(protocol, bytes);
      r.structBegin();
      r.field();
      r.i64();
      assert.equal(r.i64Hex(), 'ffffffffffffffff');
      assert.equal(r.i64Value(), -1);
      r.field();
      r.i64();
      assert.equal(r.i64Hex(), '0123456789abcdef');
      assert.equal(r.i64Value(), 0x0123456789abcdefn);
      r.field();
      r.i64();
      assert.equal(r.i64Number(), 1_700_000_000_000_000);
    });
  }

  test('binary: hand-made bytes (big-endian, i16 field ids, strict header)', () => {
    // struct { 1: i32 = 1, 2: string = "ab", 3: double = 1.0 }
    const bytes = Buffer.from([
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x61,
      0x62, 0x04, 0x00, 0x03, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x00,
    ]);
    assert.deepEqual(
      encodeThrift('binary', T.Struct, {
        struct: [
          [1, T.I32, 1],
          [2, T.String, 'ab'],
          [3, T.Double, 1],
        ],
      }),
      bytes,
    );
    const r = new ThriftBinaryReader(bytes, 'test');
    assert.deepEqual(readValue(r, T.Struct), {
      struct: [
        [1, T.I32, 1n],
        [2, T.String, 'ab'],
        [3, T.Double, 1],
      ],
    });
  });

  test('compact: hand-made bytes (deltas, long ids, zigzag, bool in the header, LE double)', () => {
    // struct { 1: i32 = -1 (delta 1, type 5, zigzag 1), 2: bool true (0x11),
    //          300: i64 = 150 (long form: type 6, zigzag id 600 = d8 04, zigzag 300 = ac 02),
    //          301: double 1.0 (delta 1, type 7, little-endian) }
    const bytes = Buffer.from([
      0x15, 0x01, 0x11, 0x06, 0xd8, 0x04, 0xac, 0x02, 0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00,
    ]);
    const r = new ThriftCompactReader(bytes, 'test');
    assert.deepEqual(readValue(r, T.Struct), {
      struct: [
        [1, T.I32, -1n],
        [2, T.Bool, true],
        [300, T.I64, 150n],
        [301, T.Double, 1],
      ],
    });
    // A list of 16 bytes needs the long count form: 0xf3, varint 16.
    const list = new ThriftCompactReader(Buffer.from([0xf3, 0x10, ...new Array(16).fill(7)]), 't');
    assert.equal(list.listBegin(), 16);
    assert.equal(list.elemType, T.Byte);
    // An empty map is one 0 byte, without key and value types.
    assert.equal(new ThriftCompactReader(Buffer.from([0x00]), 't').mapBegin(), 0);
  });

  for (const protocol of ['binary', 'compact'] as const) {
    test(`${protocol}: a 2 GB length in a small packet throws before allocating`, () => {
      const bigString =
        protocol === 'binary'
          ? Buffer.from([0x0b, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 0x61, 0x62])
          : Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0x07, 0x61, 0x62]);
      assert.throws(() => readValue(reader(protocol, bigString), T.Struct), InvalidPayloadError);
      const bigList =
        protocol === 'binary'
          ? Buffer.from([0x0f, 0x00, 0x01, 0x0c, 0x7f, 0xff, 0xff, 0xff, 0x00])
          : Buffer.from([0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00]);
      assert.throws(() => readValue(reader(protocol, bigList), T.Struct), /longer than the/);
      const bigMap =
        protocol === 'binary'
          ? Buffer.from([0x0d, 0x00, 0x01, 0x0b, 0x0b, 0x7f, 0xff, 0xff, 0xff, 0x00])
          : Buffer.from([0x1b, 0xff, 0xff, 0xff, 0xff, 0x07, 0x88, 0x00]);
      assert.throws(() => readValue(reader(protocol, bigMap), T.Struct), /longer than the/);
    });

    test(`${protocol}: nesting deeper than the limit throws InvalidPayloadError`, () => {
      let value: ThriftValue = { struct: [] };
      for (let i = 0; i < MAX_THRIFT_DEPTH + 1; i++) value = { struct: [[1, T.Struct, value]] };
      const bytes = encodeThrift(protocol, T.Struct, value);
      const r = reader(protocol, bytes);
      assert.throws(() => r.skip(T.Struct), /nested deeper than 64/);
      // At the limit it reads.
      value = { struct: [] };
      for (let i = 0; i < MAX_THRIFT_DEPTH - 1; i++) value = { struct: [[1, T.Struct, value]] };
      const ok = reader(protocol, encodeThrift(protocol, T.Struct, value));
      ok.skip(T.Struct);
      assert.equal(ok.pos, ok.end);
    });

    test(`${protocol}: truncation anywhere throws InvalidPayloadError`, () => {
      const bytes = encodeThrift(protocol, T.Struct, everything);
      for (let cut = 0; cut < bytes.length; cut++) {
        const r = reader(protocol, bytes.subarray(0, cut));
        assert.throws(
          () => r.skip(T.Struct),
          (err) => err instanceof InvalidPayloadError,
          `cut at ${cut}`,
        );
      }
    });

    test(`${protocol}: unknown type ids throw with the position`, () => {
      const bytes = protocol === 'binary' ? Buffer.from([0x07, 0x00, 0x01]) : Buffer.from([0x1e]);
      assert.throws(
        () => reader(protocol, bytes).skip(T.Struct),
        /test thrift payload: message field \d+ at byte 1: invalid field type/,
      );
    });
  }
});
