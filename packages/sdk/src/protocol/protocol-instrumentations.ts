import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { requestIdHook, undiciRequestIdHook } from './request-id.ts';

/**
 * Layer 1: node:http / https, undici (and so `fetch`) and @grpc/grpc-js, client and
 * server, through the official instrumentations; with `requestIdHeader`, request-id
 * alignment on HTTP. Requests to `ignoreUrls` prefixes (Skein's own endpoints) are not traced.
 */
export function protocolInstrumentations(
  requestIdHeader: string | false,
  ignoreUrls: string[],
): Instrumentation[] {
  const ignored = (url: string): boolean => ignoreUrls.some((p) => url.startsWith(p));
  return [
    new HttpInstrumentation({
      requestHook: requestIdHeader === false ? undefined : requestIdHook(requestIdHeader),
      ignoreOutgoingRequestHook: (req) =>
        ignored(
          `${req.protocol ?? 'http:'}//${req.hostname ?? req.host}:${req.port ?? ''}${req.path ?? ''}`,
        ),
    }),
    new UndiciInstrumentation({
      requestHook: requestIdHeader === false ? undefined : undiciRequestIdHook(requestIdHeader),
      ignoreRequestHook: (req) => ignored(`${req.origin}${req.path}`),
    }),
    new GrpcInstrumentation(),
  ];
}
