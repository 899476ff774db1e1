import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/*
 * The official jaeger.api_v2 protos (proto/jaeger/api_v2), loaded for tests: a
 * reference encoder (protobufjs) and a generated @grpc/grpc-js client. The
 * gogoproto options and google.api.http annotation only steer Go code
 * generation and their imports are not vendored, so they are stripped first.
 */

const PROTO_DIR = fileURLToPath(new URL('../../../../proto/jaeger/api_v2/', import.meta.url));

let strippedDir: string | undefined;

/** The two protos without gogo/google.api options, written once to a temp directory. */
function strippedProtos(): string {
  if (strippedDir !== undefined) return strippedDir;
  const dir = mkdtempSync(join(tmpdir(), 'skein-jaeger-proto-'));
  for (const file of ['model.proto', 'collector.proto']) {
    const text = readFileSync(join(PROTO_DIR, file), 'utf8')
      .replace(/import "gogoproto\/gogo.proto";/g, '')
      .replace(/import "google\/api\/annotations.proto";/g, '')
      .replace(/option \(gogoproto\.[a-z_]+\) = [a-z]+;/g, '')
      .replace(/\[\s*\(gogoproto\.[^\]]*\]/g, '')
      .replace(/option \(google\.api\.http\) = \{[^}]*\};/g, '');
    writeFileSync(join(dir, file), text);
  }
  strippedDir = dir;
  return dir;
}

let root: protobuf.Root | undefined;

/** protobufjs types of the api_v2 protos (reference encoder). */
export function apiV2Root(): protobuf.Root {
  root ??= protobuf.loadSync(join(strippedProtos(), 'collector.proto'));
  return root;
}

/** Encodes a PostSpansRequest given as a plain object (protobufjs fromObject rules: int64 as string ok). */
export function encodePostSpansRequest(request: Record<string, unknown>): Buffer {
  const type = apiV2Root().lookupType('jaeger.api_v2.PostSpansRequest');
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

export interface CollectorServiceClient extends grpc.Client {
  PostSpans(
    request: Record<string, unknown>,
    callback: (err: grpc.ServiceError | null, response?: unknown) => void,
  ): grpc.ClientUnaryCall;
}

/** A grpc-js client of jaeger.api_v2.CollectorService generated from the protos. */
export function collectorServiceClient(address: string): CollectorServiceClient {
  const definition = protoLoader.loadSync(join(strippedProtos(), 'collector.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    jaeger: { api_v2: { CollectorService: grpc.ServiceClientConstructor } };
  };
  const Client = loaded.jaeger.api_v2.CollectorService;
  return new Client(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as CollectorServiceClient;
}

const TRACE = Buffer.from('0af7651916cd43dd8494a2b3c4d5e6ff', 'hex');
const ROOT_ID = Buffer.from('1111111111111111', 'hex');
const CHILD_ID = Buffer.from('2222222222222222', 'hex');
/** `seconds` of the sample's start times. */
export const SAMPLE_SECONDS = 1_700_000_000;
const SECONDS = SAMPLE_SECONDS;

/**
 * A two-span PostSpansRequest as protobufjs (and the generated client) take it:
 * every tag type, a log with an `event` field, a CHILD_OF and a FOLLOWS_FROM
 * reference, a span with its own process. Ids as bytes, times as Timestamp/Duration.
 */
export function samplePostSpansRequest(): Record<string, unknown> {
  return {
    batch: {
      process: {
        serviceName: 'checkout',
        tags: [
          { key: 'hostname', vStr: 'host-1' },
          { key: 'pid', vType: 2, vInt64: 4242 },
        ],
      },
      spans: [
        {
          traceId: TRACE,
          spanId: ROOT_ID,
          operationName: 'GET /cart',
          flags: 1,
          startTime: { seconds: SECONDS, nanos: 123_456_789 },
          duration: { seconds: 0, nanos: 1_500_000 },
          tags: [
            { key: 'span.kind', vStr: 'server' },
            { key: 'ratio', vType: 3, vFloat64: 0.25 },
            { key: 'cache.hit', vType: 1, vBool: true },
            { key: 'big', vType: 2, vInt64: '-9007199254740993' },
            { key: 'blob', vType: 4, vBinary: Buffer.from([1, 2, 3]) },
            { key: 'otel.scope.name', vStr: 'cart-lib' },
          ],
          logs: [
            {
              timestamp: { seconds: SECONDS, nanos: 200_000_000 },
              fields: [
                { key: 'event', vStr: 'retry' },
                { key: 'attempt', vType: 2, vInt64: 2 },
              ],
            },
          ],
        },
        {
          traceId: TRACE,
          spanId: CHILD_ID,
          operationName: 'SELECT cart',
          references: [
            { traceId: TRACE, spanId: ROOT_ID },
            { traceId: TRACE, spanId: Buffer.from('3333333333333333', 'hex'), refType: 1 },
          ],
          startTime: { seconds: SECONDS, nanos: 300_000_000 },
          duration: { seconds: 1, nanos: 0 },
          tags: [
            { key: 'span.kind', vStr: 'client' },
            { key: 'error', vType: 1, vBool: true },
          ],
          process: { serviceName: 'postgres' },
        },
      ],
    },
  };
}
