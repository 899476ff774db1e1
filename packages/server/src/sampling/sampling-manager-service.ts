import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { isSkeinError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/span.ts';
import { tenantOf } from '../security/index.ts';
import { decodeServiceName, encodeSamplingStrategyResponse } from './sampling-manager-proto.ts';
import type { ServedStrategies, StrategyServed } from './served-strategies.ts';
import type { SamplingStrategyResponse } from './strategy-source.ts';

export const GET_SAMPLING_STRATEGY_PATH = '/jaeger.api_v2.SamplingManager/GetSamplingStrategy';

/** A grpc-js service: what `Server.addService` takes. */
export interface GrpcService {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

function passthrough(buffer: Buffer): Buffer {
  return buffer;
}

/**
 * `jaeger.api_v2.SamplingManager` with its one method, GetSamplingStrategy, as a
 * grpc-js service to add to any server: the sampling gRPC port (:5779) and the
 * Jaeger collector gRPC port (:14250), as Jaeger v1's collector served it there.
 * Messages stay raw bytes (sampling-manager-proto.ts encodes and decodes them).
 * An empty or missing service name is INVALID_ARGUMENT. The strategy is the one of the
 * tenant the server's guard resolved from the call's metadata (`tenantOf`), the default
 * tenant's when none was named.
 */
export function samplingManagerService(
  strategies: ServedStrategies,
  onServed?: StrategyServed,
): GrpcService {
  const encoded = new WeakMap<SamplingStrategyResponse, Buffer>();
  const definition: ServiceDefinition = {
    GetSamplingStrategy: {
      path: GET_SAMPLING_STRATEGY_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
    },
  };
  const GetSamplingStrategy = (
    call: ServerUnaryCall<Buffer, Buffer>,
    callback: sendUnaryData<Buffer>,
  ) => {
    let service: string;
    try {
      service = decodeServiceName(call.request);
    } catch (err) {
      const details = isSkeinError(err) ? err.message : String(err);
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details });
      return;
    }
    if (service === '') {
      callback({
        code: GrpcStatus.INVALID_ARGUMENT,
        details:
          'serviceName is required in SamplingStrategyParameters (the service.name of the SDK asking)',
      });
      return;
    }
    const resolved = strategies.strategyFor(service, tenantOf(call.metadata) ?? DEFAULT_TENANT);
    let response = encoded.get(resolved.strategy);
    if (response === undefined) {
      response = encodeSamplingStrategyResponse(resolved.strategy);
      encoded.set(resolved.strategy, response);
    }
    onServed?.('grpc', resolved);
    callback(null, response);
  };
  return { definition, implementation: { GetSamplingStrategy } };
}
