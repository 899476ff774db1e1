import type { ServerOptions } from '@grpc/grpc-js';
import type { GrpcListenerLimitsConfig } from '../config/config.ts';

/**
 * grpc-js server options for `limits.grpc` and a message size limit (bytes, after
 * decompression; larger messages are refused with RESOURCE_EXHAUSTED).
 *
 * Keepalive here is the server's side: it pings connections idle for
 * `keepaliveTimeMs` and drops those that do not answer within
 * `keepaliveTimeoutMs`, and closes idle or old connections. grpc-js (1.14) has
 * no enforcement of a client's ping rate (C-core's `min_ping_interval`); Node's
 * HTTP/2 layer bounds unanswered pings and settings frames itself.
 */
export function grpcServerOptions(
  limits: GrpcListenerLimitsConfig,
  maxMessageBytes: number,
): ServerOptions {
  const options: ServerOptions = {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
  };
  if (limits.maxConcurrentStreams > 0)
    options['grpc.max_concurrent_streams'] = limits.maxConcurrentStreams;
  if (limits.maxConnectionIdleMs > 0)
    options['grpc.max_connection_idle_ms'] = limits.maxConnectionIdleMs;
  if (limits.maxConnectionAgeMs > 0)
    options['grpc.max_connection_age_ms'] = limits.maxConnectionAgeMs;
  return options;
}
