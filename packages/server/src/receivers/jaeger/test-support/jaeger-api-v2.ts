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
    keepCase: true,
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
