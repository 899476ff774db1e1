/**
 * The configuration every role reads. `load-config.ts` builds it from defaults, the
 * YAML file (`--config`), environment variables (`SKEIN_*`) and flags, in that order.
 *
 * A listener whose `port` is 0 picks a free port (tests); `enabled: false` turns it off.
 */
export interface ListenerConfig {
  enabled: boolean;
  host: string;
  port: number;
}

/** A UDP listener, read by its own thread so datagrams keep flowing while the main thread is busy. */
export interface UdpListenerConfig extends ListenerConfig {
  /**
   * Bytes of datagrams that may wait for the main thread (more are dropped and
   * counted); also the SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max).
   */
  receiveBufferBytes: number;
}

export interface SkeinConfig {
  receivers: {
    otlpGrpc: ListenerConfig;
    otlpHttp: ListenerConfig;
    /** Zipkin receiver (v1/v2 spans) and Zipkin's read API, on one port. */
    zipkin: ListenerConfig & {
      /** Comma-separated tag keys `/api/v2/autocompleteKeys` offers (Zipkin's AUTOCOMPLETE_KEYS). */
      autocompleteKeys: string;
      /** How far back `/api/v2/traces` and `/dependencies` look when `lookback` is absent (ms). */
      queryLookbackMs: number;
    };
    /** Jaeger collector HTTP: `POST /api/traces` with a thrift Batch. */
    jaegerThriftHttp: ListenerConfig;
    /** Jaeger collector gRPC: `jaeger.api_v2.CollectorService/PostSpans`. */
    jaegerGrpc: ListenerConfig;
    /** Jaeger agent UDP, compact thrift `Agent.emitBatch` / `emitZipkinBatch`. */
    jaegerAgentCompact: UdpListenerConfig;
    /** Jaeger agent UDP, binary thrift. */
    jaegerAgentBinary: UdpListenerConfig;
    /** Largest accepted request body after decompression, bytes. */
    maxBodyBytes: number;
  };
  pipeline: {
    queue: {
      /** Spans accepted but not yet written, at most. */
      maxSpans: number;
      /** Encoded bytes of batches accepted but not yet written, at most. */
      maxBytes: number;
    };
    batch: {
      /** A write batch is sent when it has this many spans... */
      maxSpans: number;
      /** ...or when its oldest span has waited this long (ms). */
      maxDelayMs: number;
    };
    /**
     * Write batches in flight to storage at once. 2 lets the DuckDB store encode one
     * batch while the previous one commits.
     */
    writers: number;
    /** Seconds a refused client is told to wait (Retry-After). */
    retryAfterSeconds: number;
  };
  storage: {
    backend: 'duckdb';
    duckdb: {
      /** Directory holding skein.duckdb; ':memory:' for an in-memory store. */
      path: string;
      /**
       * DuckDB's buffer memory limit, MB. 128 rather than 256: server RSS during
       * ingest 401-417 instead of 487-499 MB at the same throughput (ingest-e2e.ts).
       */
      memoryLimitMB: number;
    };
    /** Spans older than this are purged (hours). */
    retentionHours: number;
    /** How often the purge runs (minutes). */
    purgeIntervalMinutes: number;
  };
  query: ListenerConfig & {
    /** Default and maximum `limit` for trace searches. */
    defaultLimit: number;
    maxLimit: number;
  };
  admin: ListenerConfig;
  log: {
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  };
}

export const defaultConfig: SkeinConfig = {
  receivers: {
    otlpGrpc: { enabled: true, host: '0.0.0.0', port: 4317 },
    otlpHttp: { enabled: true, host: '0.0.0.0', port: 4318 },
    zipkin: {
      enabled: true,
      host: '0.0.0.0',
      port: 9411,
      autocompleteKeys: '',
      queryLookbackMs: 24 * 60 * 60 * 1000,
    },
    jaegerThriftHttp: { enabled: true, host: '0.0.0.0', port: 14268 },
    jaegerGrpc: { enabled: true, host: '0.0.0.0', port: 14250 },
    jaegerAgentCompact: {
      enabled: true,
      host: '0.0.0.0',
      port: 6831,
      receiveBufferBytes: 16 * 1024 * 1024,
    },
    jaegerAgentBinary: {
      enabled: true,
      host: '0.0.0.0',
      port: 6832,
      receiveBufferBytes: 16 * 1024 * 1024,
    },
    maxBodyBytes: 16 * 1024 * 1024,
  },
  pipeline: {
    queue: { maxSpans: 50_000, maxBytes: 32 * 1024 * 1024 },
    batch: { maxSpans: 10_000, maxDelayMs: 200 },
    writers: 2,
    retryAfterSeconds: 1,
  },
  storage: {
    backend: 'duckdb',
    duckdb: { path: './data', memoryLimitMB: 128 },
    retentionHours: 7 * 24,
    purgeIntervalMinutes: 10,
  },
  query: { enabled: true, host: '0.0.0.0', port: 16686, defaultLimit: 20, maxLimit: 1500 },
  admin: { enabled: true, host: '0.0.0.0', port: 14269 },
  log: { level: 'info' },
};
