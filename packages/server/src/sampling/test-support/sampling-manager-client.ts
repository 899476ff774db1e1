import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/*
 * A grpc-js client of jaeger.api_v2.SamplingManager generated from the official
 * proto (proto/jaeger/api_v2/sampling.proto), the gogoproto and google.api
 * annotations stripped first (their imports are not vendored; they only steer Go
 * code generation).
 */

const PROTO = fileURLToPath(
  new URL('../../../proto/jaeger/api_v2/sampling.proto', import.meta.url),
);

/** The response as proto-loader decodes it (enums as strings, defaults filled in). */
export interface DecodedStrategyResponse {
  strategyType: 'PROBABILISTIC' | 'RATE_LIMITING';
  probabilisticSampling: { samplingRate: number } | null;
  rateLimitingSampling: { maxTracesPerSecond: number } | null;
  operationSampling: {
    defaultSamplingProbability: number;
    defaultLowerBoundTracesPerSecond: number;
    perOperationStrategies: {
      operation: string;
      probabilisticSampling: { samplingRate: number } | null;
    }[];
    defaultUpperBoundTracesPerSecond: number;
  } | null;
}

export interface SamplingManagerClient extends grpc.Client {
  GetSamplingStrategy(
    request: { serviceName: string },
    metadata: grpc.Metadata,
    callback: (err: grpc.ServiceError | null, response?: DecodedStrategyResponse) => void,
  ): grpc.ClientUnaryCall;
}

let strippedFile: string | undefined;

function strippedProto(): string {
  if (strippedFile !== undefined) return strippedFile;
  const text = readFileSync(PROTO, 'utf8')
    .replace(/import "gogoproto\/gogo.proto";/g, '')
    .replace(/import "google\/api\/annotations.proto";/g, '')
    .replace(/option \(gogoproto\.[a-z_]+\) = [a-z]+;/g, '')
    .replace(/option \(google\.api\.http\) = \{[^}]*\};/g, '');
  strippedFile = join(mkdtempSync(join(tmpdir(), 'skein-sampling-proto-')), 'sampling.proto');
  writeFileSync(strippedFile, text);
  return strippedFile;
}

/** A client of `address` (host:port). */
export function samplingManagerClient(address: string): SamplingManagerClient {
  const definition = protoLoader.loadSync(strippedProto(), {
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    jaeger: {
      api_v2: {
        SamplingManager: new (a: string, c: grpc.ChannelCredentials) => SamplingManagerClient;
      };
    };
  };
  return new pkg.jaeger.api_v2.SamplingManager(address, grpc.credentials.createInsecure());
}

/** GetSamplingStrategy as a promise, with `metadata` (credentials, tenant header) when given. */
export function getSamplingStrategy(
  client: SamplingManagerClient,
  serviceName: string,
  metadata: Record<string, string> = {},
): Promise<DecodedStrategyResponse> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve, reject) => {
    client.GetSamplingStrategy({ serviceName }, md, (err, response) =>
      err || response === undefined ? reject(err) : resolve(response),
    );
  });
}
