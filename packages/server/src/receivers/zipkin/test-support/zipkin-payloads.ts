import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { ZipkinSpan } from '../../../query/zipkin/zipkin-json.ts';
import { ThriftType } from '../../thrift/thrift-type.ts';
import { encodeThrift } from '../../thrift/test-support/thrift-writer.ts';
import type { ThriftField, ThriftValue } from '../../thrift/test-support/thrift-writer.ts';

/*
 * Zipkin payloads for tests, fuzz seeds and benchmarks: protobuf through the
 * reference encoder (protobufjs reading proto/zipkin/zipkin.proto), and v1 JSON and
 * thrift written here by hand after zipkincore.thrift.
 */

const ZIPKIN_PROTO = fileURLToPath(
  new URL('../../../../proto/zipkin/zipkin.proto', import.meta.url),
);
const PROTO_KINDS = { CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 } as const;

let listOfSpans: protobuf.Type | undefined;

function hexBytes(hex: string | undefined): Uint8Array | undefined {
  return hex === undefined ? undefined : Uint8Array.from(Buffer.from(hex, 'hex'));
}

function ipv4Bytes(ip: string | undefined): Uint8Array | undefined {
  return ip === undefined ? undefined : Uint8Array.from(ip.split('.').map(Number));
}

/** Only what the tests use: full groups or one `::` run. */
function ipv6Bytes(ip: string | undefined): Uint8Array | undefined {
  if (ip === undefined) return undefined;
  const [head, tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

function protoEndpoint(e: ZipkinSpan['localEndpoint']): object | undefined {
  if (e === undefined) return undefined;
  return {
    serviceName: e.serviceName,
    ipv4: ipv4Bytes(e.ipv4),
    ipv6: ipv6Bytes(e.ipv6),
    port: e.port,
  };
}

/** Zipkin v2 spans as a protobuf ListOfSpans, encoded by protobufjs. */
export async function encodeZipkinProtoReference(spans: ZipkinSpan[]): Promise<Uint8Array> {
  listOfSpans ??= (await protobuf.load(ZIPKIN_PROTO)).lookupType('zipkin.proto3.ListOfSpans');
  const type = listOfSpans;
  const message = type.fromObject({
    spans: spans.map((s) => ({
      traceId: hexBytes(s.traceId),
      parentId: hexBytes(s.parentId),
      id: hexBytes(s.id),
      kind: s.kind === undefined ? 0 : PROTO_KINDS[s.kind],
      name: s.name,
      timestamp: s.timestamp,
      duration: s.duration,
      localEndpoint: protoEndpoint(s.localEndpoint),
      remoteEndpoint: protoEndpoint(s.remoteEndpoint),
      annotations: s.annotations,
      tags: s.tags,
      debug: s.debug,
      shared: s.shared,
    })),
  });
  return type.encode(message).finish();
}

const WEB = { serviceName: 'web', ipv4: '10.0.0.1', port: 80 };
const API = { serviceName: 'api', ipv4: '10.0.0.2', port: 8080 };

/**
 * One v1 span reported by both sides of an RPC (web → api), as JSON v1:
 * cs at t0, sr t0+10, ss t0+90, cr t0+100; "db query" by api at t0+20; binary
 * annotations count=7 (I64), ratio=0.5 (DOUBLE), cached=false (BOOL), all by api,
 * and sa = api. It becomes a CLIENT span of web and a shared SERVER span of api.
 */
export function v1JsonPayload(traceId: string, t0: number): string {
  return JSON.stringify([
    {
      traceId,
      id: 'd00000000000000d',
      name: 'get /items',
      timestamp: t0,
      duration: 100,
      annotations: [
        { timestamp: t0, value: 'cs', endpoint: WEB },
        { timestamp: t0 + 10, value: 'sr', endpoint: API },
        { timestamp: t0 + 20, value: 'db query', endpoint: API },
        { timestamp: t0 + 90, value: 'ss', endpoint: API },
        { timestamp: t0 + 100, value: 'cr', endpoint: WEB },
      ],
      binaryAnnotations: [
        { key: 'count', value: 7, type: 'I64', endpoint: API },
        { key: 'ratio', value: 0.5, type: 'DOUBLE', endpoint: API },
        { key: 'cached', value: false, type: 'BOOL', endpoint: API },
        { key: 'sa', value: true, type: 'BOOL', endpoint: API },
      ],
    },
  ]);
}

function thriftEndpoint(e: typeof WEB): ThriftValue {
  const [a, b, c, d] = e.ipv4.split('.').map(Number);
  return {
    struct: [
      [1, ThriftType.I32, (a << 24) | (b << 16) | (c << 8) | d | 0],
      [2, ThriftType.I16, e.port],
      [3, ThriftType.String, e.serviceName],
    ],
  };
}

function annotation(timestamp: number, value: string, host: typeof WEB): ThriftValue {
  return {
    struct: [
      [1, ThriftType.I64, BigInt(timestamp)],
      [2, ThriftType.String, value],
      [3, ThriftType.Struct, thriftEndpoint(host)],
    ],
  };
}

function binaryAnnotation(
  key: string,
  value: Uint8Array,
  type: number,
  host: typeof WEB,
): ThriftValue {
  return {
    struct: [
      [1, ThriftType.String, key],
      [2, ThriftType.String, value],
      [3, ThriftType.I32, type],
      [4, ThriftType.Struct, thriftEndpoint(host)],
    ],
  };
}

/** The v1JsonPayload span as a binary-protocol thrift list<zipkincore.Span>. */
export function v1ThriftPayload(traceId: string, t0: number): Buffer {
  const i64 = Buffer.alloc(8);
  i64.writeBigInt64BE(7n);
  const double = Buffer.alloc(8);
  double.writeDoubleBE(0.5);
  const span: ThriftField[] = [
    [1, ThriftType.I64, BigInt.asIntN(64, BigInt('0x' + traceId))],
    [3, ThriftType.String, 'get /items'],
    [4, ThriftType.I64, BigInt.asIntN(64, 0xd00000000000000dn)],
    [
      6,
      ThriftType.List,
      {
        elemType: ThriftType.Struct,
        list: [
          annotation(t0, 'cs', WEB),
          annotation(t0 + 10, 'sr', API),
          annotation(t0 + 20, 'db query', API),
          annotation(t0 + 90, 'ss', API),
          annotation(t0 + 100, 'cr', WEB),
        ],
      },
    ],
    [
      8,
      ThriftType.List,
      {
        elemType: ThriftType.Struct,
        list: [
          binaryAnnotation('count', i64, 4, API),
          binaryAnnotation('ratio', double, 5, API),
          binaryAnnotation('cached', new Uint8Array([0]), 0, API),
          binaryAnnotation('sa', new Uint8Array([1]), 0, API),
        ],
      },
    ],
    [10, ThriftType.I64, BigInt(t0)],
    [11, ThriftType.I64, 100n],
  ];
  return encodeThrift('binary', ThriftType.List, {
    elemType: ThriftType.Struct,
    list: [{ struct: span }],
  });
}

/**
 * Zipkin v2 spans with every field set somewhere (ids of both widths, kinds,
 * endpoints with v4 and v6 addresses, annotations, tags, debug, shared), for fuzz
 * seeds and benchmarks.
 */
export function sampleZipkinV2Spans(t0: number): ZipkinSpan[] {
  return [
    {
      traceId: '5af7183fb1d4cf5f',
      id: '352bff9a74ca9ad2',
      parentId: '6b221d5bc9e6496c',
      name: 'get /api',
      kind: 'SERVER',
      timestamp: t0,
      duration: 1431,
      localEndpoint: { serviceName: 'backend', ipv4: '192.168.99.1', port: 3306 },
      remoteEndpoint: { ipv4: '172.19.0.2', port: 58648 },
      annotations: [{ timestamp: t0 + 10, value: 'ws' }],
      tags: { 'http.method': 'GET', 'http.path': '/api', 'otel.status_code': 'OK' },
    },
    {
      traceId: '4e441824ec2b6a44ffdc9bb9a6453df3',
      id: 'ffdc9bb9a6453df3',
      name: 'charge',
      kind: 'CLIENT',
      timestamp: t0 + 100,
      duration: 800,
      debug: true,
      localEndpoint: { serviceName: 'frontend', ipv6: '2001:db8::c001' },
      remoteEndpoint: { serviceName: 'payments', ipv4: '10.9.8.7', port: 8443 },
      tags: { error: 'card declined', 'otel.scope.name': 'pay-lib', 'otel.scope.version': '1.2' },
    },
    {
      traceId: '4e441824ec2b6a44ffdc9bb9a6453df3',
      id: 'ffdc9bb9a6453df3',
      name: 'charge',
      kind: 'SERVER',
      shared: true,
      timestamp: t0 + 150,
      duration: 600,
      localEndpoint: { serviceName: 'payments' },
      annotations: [
        { timestamp: t0 + 200, value: 'db query' },
        { timestamp: t0 + 300, value: 'retry' },
      ],
      tags: { 'db.system': 'postgresql' },
    },
    {
      traceId: '4e441824ec2b6a44ffdc9bb9a6453df3',
      id: '0000000000000abc',
      parentId: 'ffdc9bb9a6453df3',
      name: 'publish',
      kind: 'PRODUCER',
      timestamp: t0 + 400,
      duration: 5,
      localEndpoint: { serviceName: 'payments' },
      remoteEndpoint: { serviceName: 'kafka' },
    },
  ];
}
