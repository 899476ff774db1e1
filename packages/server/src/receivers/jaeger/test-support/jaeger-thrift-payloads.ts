import { ThriftMessageType, ThriftType as T } from '../../thrift/thrift-type.ts';
import { encodeThrift, encodeThriftMessage } from '../../thrift/test-support/thrift-writer.ts';
import type {
  ThriftField,
  ThriftProtocol,
  ThriftValue,
} from '../../thrift/test-support/thrift-writer.ts';

/*
 * jaeger.thrift Batches for tests, fuzz seeds and benchmarks, written with the
 * test thrift encoder in either protocol (jaeger-client only writes binary).
 */

export interface TestTag {
  key: string;
  /** TagType: 0 STRING, 1 DOUBLE, 2 BOOL, 3 LONG, 4 BINARY. */
  vType: number;
  vStr?: string;
  vDouble?: number;
  vBool?: boolean;
  vLong?: bigint;
  vBinary?: Uint8Array;
}

export interface TestSpanRef {
  refType: number;
  traceIdLow: bigint;
  traceIdHigh: bigint;
  spanId: bigint;
}

export interface TestSpan {
  traceIdLow: bigint;
  traceIdHigh: bigint;
  spanId: bigint;
  parentSpanId: bigint;
  operationName: string;
  references?: TestSpanRef[];
  flags: number;
  startTime: bigint;
  duration: bigint;
  tags?: TestTag[];
  logs?: Array<{ timestamp: bigint; fields: TestTag[] }>;
}

export interface TestBatch {
  process: { serviceName: string; tags?: TestTag[] };
  spans: TestSpan[];
  seqNo?: bigint;
}

export const str = (key: string, vStr: string): TestTag => ({ key, vType: 0, vStr });
export const dbl = (key: string, vDouble: number): TestTag => ({ key, vType: 1, vDouble });
export const bool = (key: string, vBool: boolean): TestTag => ({ key, vType: 2, vBool });
export const long = (key: string, vLong: bigint): TestTag => ({ key, vType: 3, vLong });
export const bin = (key: string, vBinary: Uint8Array): TestTag => ({ key, vType: 4, vBinary });

function tagValue(t: TestTag): ThriftValue {
  const fields: ThriftField[] = [
    [1, T.String, t.key],
    [2, T.I32, t.vType],
  ];
  if (t.vStr !== undefined) fields.push([3, T.String, t.vStr]);
  if (t.vDouble !== undefined) fields.push([4, T.Double, t.vDouble]);
  if (t.vBool !== undefined) fields.push([5, T.Bool, t.vBool]);
  if (t.vLong !== undefined) fields.push([6, T.I64, t.vLong]);
  if (t.vBinary !== undefined) fields.push([7, T.String, t.vBinary]);
  return { struct: fields };
}

const tagList = (tags: TestTag[]): ThriftValue => ({
  list: tags.map(tagValue),
  elemType: T.Struct,
});

function spanValue(s: TestSpan): ThriftValue {
  const fields: ThriftField[] = [
    [1, T.I64, s.traceIdLow],
    [2, T.I64, s.traceIdHigh],
    [3, T.I64, s.spanId],
    [4, T.I64, s.parentSpanId],
    [5, T.String, s.operationName],
  ];
  if (s.references !== undefined) {
    const refs = s.references.map((r): ThriftValue => ({
      struct: [
        [1, T.I32, r.refType],
        [2, T.I64, r.traceIdLow],
        [3, T.I64, r.traceIdHigh],
        [4, T.I64, r.spanId],
      ],
    }));
    fields.push([6, T.List, { list: refs, elemType: T.Struct }]);
  }
  fields.push([7, T.I32, s.flags], [8, T.I64, s.startTime], [9, T.I64, s.duration]);
  if (s.tags !== undefined) fields.push([10, T.List, tagList(s.tags)]);
  if (s.logs !== undefined) {
    const logs = s.logs.map((l): ThriftValue => ({
      struct: [
        [1, T.I64, l.timestamp],
        [2, T.List, tagList(l.fields)],
      ],
    }));
    fields.push([11, T.List, { list: logs, elemType: T.Struct }]);
  }
  return { struct: fields };
}

/** The Batch as a thrift value tree. */
export function batchValue(batch: TestBatch): ThriftValue {
  const process: ThriftField[] = [[1, T.String, batch.process.serviceName]];
  if (batch.process.tags !== undefined) process.push([2, T.List, tagList(batch.process.tags)]);
  const fields: ThriftField[] = [
    [1, T.Struct, { struct: process }],
    [2, T.List, { list: batch.spans.map(spanValue), elemType: T.Struct }],
  ];
  if (batch.seqNo !== undefined) fields.push([3, T.I64, batch.seqNo]);
  return { struct: fields };
}

/** A bare Batch (the collector's HTTP body, binary protocol). */
export function encodeBatch(protocol: ThriftProtocol, batch: TestBatch): Buffer {
  return encodeThrift(protocol, T.Struct, batchValue(batch));
}

/** An agent UDP packet: a oneway `emitBatch(1: batch)` message. */
export function encodeEmitBatch(protocol: ThriftProtocol, batch: TestBatch, seqId = 1): Buffer {
  return encodeThriftMessage(protocol, 'emitBatch', ThriftMessageType.Oneway, seqId, [
    [1, T.Struct, batchValue(batch)],
  ]);
}

/**
 * A two-span trace using every feature of the mapping: 128-bit ids, a parent
 * given by parentSpanId, a FOLLOWS_FROM reference, tags of every type, the tags
 * that become fields (kind, error, status, scope, trace state), logs with and
 * without an `event` field, and process tags.
 */
export function sampleBatch(start = 1_700_000_000_000_000n): TestBatch {
  const traceIdHigh = 0x0af7651916cd43ddn;
  const traceIdLow = -0x7b6b5d4c3b2a1901n;
  return {
    process: {
      serviceName: 'checkout',
      tags: [str('hostname', 'host-1'), str('jaeger.version', 'Node-3.19.0'), long('pid', 4242n)],
    },
    seqNo: 7n,
    spans: [
      {
        traceIdLow,
        traceIdHigh,
        spanId: 0x1111111111111111n,
        parentSpanId: 0n,
        operationName: 'GET /cart',
        flags: 1,
        startTime: start,
        duration: 1500n,
        tags: [
          str('span.kind', 'server'),
          str('http.method', 'GET'),
          dbl('ratio', 0.25),
          bool('cache.hit', false),
          long('http.status_code', 200n),
          long('big', 9007199254740993n),
          bin('blob', new Uint8Array([0, 1, 2, 255])),
          str('otel.scope.name', 'cart-lib'),
          str('otel.scope.version', '1.2.3'),
          str('w3c.tracestate', 'vendor=abc'),
        ],
        logs: [
          { timestamp: start + 10n, fields: [str('event', 'cache miss'), str('key', 'cart:1')] },
          { timestamp: start + 20n, fields: [str('message', 'no event field'), long('n', 3n)] },
        ],
      },
      {
        traceIdLow,
        traceIdHigh,
        spanId: 0x2222222222222222n,
        parentSpanId: 0x1111111111111111n,
        operationName: 'SELECT cart',
        references: [
          { refType: 0, traceIdLow, traceIdHigh, spanId: 0x1111111111111111n },
          { refType: 1, traceIdLow: 5n, traceIdHigh: 0n, spanId: 0x3333333333333333n },
        ],
        flags: 1,
        startTime: start + 100n,
        duration: 800n,
        tags: [
          str('span.kind', 'client'),
          bool('error', true),
          str('otel.status_description', 'connection reset'),
          str('db.system', 'postgresql'),
        ],
      },
    ],
  };
}
