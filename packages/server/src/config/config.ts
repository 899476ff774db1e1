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

/** One redaction rule: which attributes it looks at and what it does to them. */
export interface RedactionRuleConfig {
  /**
   * Attribute keys this rule applies to; `*` matches any run of characters
   * (`*.password`, `http.request.header.*`). Keys match case-insensitively.
   */
  keys?: string[];
  /**
   * Values this rule applies to, in any attribute: built-in detectors by name
   * (`email`, `credit_card`, `phone`, `jwt`, `cn_id_card`, `ipv4`) or a regular
   * expression (anything else). Only the matched part is acted on.
   */
  values?: string[];
  /** `drop` removes the attribute; `hash` replaces it by a keyed HMAC; `mask` keeps the last 4 characters; `replace` puts `with` in its place. */
  action: 'drop' | 'hash' | 'mask' | 'replace';
  /** The replacement for `action: replace`. */
  with?: string;
}

export interface RedactionConfig {
  enabled: boolean;
  /** Applied in order; the first rule that matches a key decides for it. */
  rules: RedactionRuleConfig[];
  /** `db.statement` / `db.query.text`: string and number literals become `?`. */
  sqlLiterals: boolean;
  /** Query-string parameters masked in URL attributes (`url.full`, `http.url`, `http.target`, `url.query`). */
  urlQuery: string[];
  /** Opt-in: numeric and id-like path segments of span names become `{id}` (`/users/12345` → `/users/{id}`). */
  spanNames: boolean;
  /** The HMAC key for `action: hash`; `${env:NAME}` reads it from the environment. Required when a rule hashes. */
  hashKey: string;
}

export interface SpanMetricsConfig {
  enabled: boolean;
  /** Latency histogram bucket bounds, ms, ascending (the OpenTelemetry spanmetrics connector's defaults). */
  buckets: number[];
  /** Distinct services tracked; spans of further services count under `service_name="other"`. */
  maxServices: number;
  /** Distinct operations tracked per service; further ones count under `span_name="other"`. */
  maxOperationsPerService: number;
  /** Exemplars (a trace id per histogram bucket) on `/metrics` when scraped as OpenMetrics. */
  exemplars: boolean;
  /** How often the per-minute aggregates are written to the store (seconds). */
  flushIntervalSeconds: number;
}

export interface CompletenessConfig {
  enabled: boolean;
  /** Clock-skew tolerance when pairing a call with the callee's half in another trace (ms). */
  clockSkewMs: number;
  /** How often the per-minute aggregates are written to the store (seconds). */
  flushIntervalSeconds: number;
  /** Example trace ids kept per cause, service and peer, per minute. */
  examplesPerCause: number;
}

/** `pipeline.processors.dependencies`: per-minute caller → callee edges kept on write for `/api/dependencies`. */
export interface DependenciesConfig {
  enabled: boolean;
  /** How often the per-minute edge counts are written to the store (seconds). */
  flushIntervalSeconds: number;
}

/**
 * The trace buffer every trace-level processor (completeness, tail sampling) shares:
 * traces assemble in it until idle.
 */
export interface TraceBufferConfig {
  /** A trace is assembled (judged, decided) when no span arrived for it for this long (seconds). */
  idleSeconds: number;
  /** Traces held at most; beyond it the oldest are released early (counted). Applies at restart. */
  maxTraces: number;
  /** Spans held at most, as ~60-byte digests. Applies at restart. */
  maxSpans: number;
  /** Encoded bytes of the spans a processor holds back until its decision (tail sampling), at most. */
  maxHeldBytes: number;
}

/** `pipeline.processors`: which processors run, in which order, and their settings. */
export interface ProcessorsConfig {
  /** Processors in the order they see spans; a processor not listed, or disabled, does not run. */
  order: string[];
  redaction: RedactionConfig;
  spanMetrics: SpanMetricsConfig;
  completeness: CompletenessConfig;
  dependencies: DependenciesConfig;
  tailSampling: TailSamplingConfig;
}

/**
 * One tail-sampling policy as written in the config: `name`, `type` and the type's own
 * fields (docs/configuration.md, Tail sampling). Validated and compiled by
 * `compileTailSamplingPolicies` (pipeline/processors/tail-sampling).
 */
export interface TailSamplingPolicyConfig {
  name: string;
  type: string;
  [field: string]: unknown;
}

/** `pipeline.processors.tailSampling`: whole-trace keep/drop decisions over the trace buffer. */
export interface TailSamplingConfig {
  enabled: boolean;
  /** Evaluated in order; a trace is kept when one samples it and none drops it (empty: keep all). */
  policies: TailSamplingPolicyConfig[];
}

/** One operation's strategy in a service (Jaeger's `operation_strategies` entry). */
export interface OperationStrategyConfig {
  operation: string;
  /** Only `probabilistic` is served per operation (Jaeger skips `ratelimiting` ones, with a warning). */
  type: string;
  param: number;
}

/**
 * A strategy as Jaeger's strategies file writes it, in camelCase: `probabilistic` (param =
 * probability 0..1) or `ratelimiting` (param = whole traces per second).
 */
export interface StrategyConfig {
  type: string;
  param: number;
  operationStrategies: OperationStrategyConfig[];
  /**
   * Skein extension: the per-operation lower bound served with operation strategies
   * (`defaultLowerBoundTracesPerSecond`; Jaeger's file provider always serves 0).
   */
  defaultLowerBoundTracesPerSecond: number;
}

/** A service's strategy (Jaeger's `service_strategies` entry). */
export interface ServiceStrategyConfig extends Partial<StrategyConfig> {
  service: string;
}

/** `sampling`: the remote sampling service SDKs poll (Jaeger's :5778 / :5779). */
export interface SamplingConfig {
  /** `GET /sampling?service=NAME` (and `GET /?service=`), JSON as Jaeger serves it. */
  http: ListenerConfig;
  /** `jaeger.api_v2.SamplingManager/GetSamplingStrategy` (also served on receivers.jaegerGrpc). */
  grpc: ListenerConfig;
  /** A Jaeger strategies JSON file; reloaded when it changes. Empty: use `strategies`. */
  strategiesFile: string;
  /** Strategies written in the config file (Jaeger's format in camelCase); not with `strategiesFile`. */
  strategies: {
    defaultStrategy: StrategyConfig;
    serviceStrategies: ServiceStrategyConfig[];
  };
  /** Adaptive strategies (issue #9): probabilities computed from observed root-span traffic. */
  adaptive: AdaptiveSamplingConfig;
}

/** An override of the adaptive target: for a whole service, or one of its root operations. */
export interface AdaptiveOverrideConfig {
  service: string;
  /** A root span name; absent: every root operation of the service. */
  operation?: string;
  /** Sampled traces per second wanted for each matching root operation. */
  targetSamplesPerSecond: number;
}

/** `sampling.adaptive` (docs/configuration.md, Adaptive sampling). */
export interface AdaptiveSamplingConfig {
  enabled: boolean;
  /** Sampled traces per second wanted per service root operation (Jaeger's `target_samples_per_second`). */
  targetSamplesPerSecond: number;
  /** Lowest probability served (Jaeger's `min_sampling_probability`). */
  minProbability: number;
  /** Highest probability served. */
  maxProbability: number;
  /** A probability changes only when the sampled rate it gives is off the target by more than this fraction. */
  deltaTolerance: number;
  /** How often probabilities are recalculated and the lease renewed (seconds). */
  calculationIntervalSeconds: number;
  /** Probability of operations not calculated yet (served as the services' default). */
  initialProbability: number;
  /** Traces per second each SDK keeps per operation at least (`defaultLowerBoundTracesPerSecond`). */
  minSamplesPerSecond: number;
  overrides: AdaptiveOverrideConfig[];
}

/**
 * What one span may carry once decoded (docs/configuration.md, "Input limits").
 * Over-limit data is truncated, not rejected: the span is stored with the first
 * items kept, the cut counted in its dropped counts, `skein.truncated` naming
 * what was cut, and `skein_spans_truncated_total{reason}` on /metrics.
 */
export interface SpanLimitsConfig {
  maxAttributesPerSpan: number;
  /** Characters of a string value (each string of an array too) or bytes of a bytes value. */
  maxAttributeValueLength: number;
  maxEventsPerSpan: number;
  maxLinksPerSpan: number;
  maxAttributesPerEvent: number;
  maxAttributesPerLink: number;
  /** Estimated size of one span (names, keys, values), bytes; events, then links, then attributes are cut to fit. */
  maxSpanBytes: number;
}

/** Timeouts of every HTTP listener (receivers, query, admin, sampling), as node:http applies them. */
export interface HttpListenerLimitsConfig {
  /** Time a client has to send the request headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, headers and body, ms. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, ms. */
  keepAliveTimeoutMs: number;
}

/** Options of every gRPC listener (receivers, sampling), as grpc-js applies them. */
export interface GrpcListenerLimitsConfig {
  /** Concurrent calls (HTTP/2 streams) per connection; 0 = unlimited. */
  maxConcurrentStreams: number;
  /** The server pings a connection idle this long to find dead clients, ms. */
  keepaliveTimeMs: number;
  /** ...and closes it when the ping is not answered within this, ms. */
  keepaliveTimeoutMs: number;
  /** A connection without calls for this long is closed (GOAWAY), ms; 0 = never. */
  maxConnectionIdleMs: number;
  /** A connection is closed (GOAWAY, calls in flight finish) after this long, ms; 0 = never. */
  maxConnectionAgeMs: number;
}

/** One static token (docs/security.md). */
export interface SecurityTokenConfig {
  /** Names the token in logs and metrics; never the secret. */
  name: string;
  /**
   * `sha256:<64 hex digits>` of the secret, or the secret itself, hashed when loaded
   * (write `${env:NAME}` so it stays out of the file).
   */
  secret: string;
  /** What it may do: `ingest`, `read`, `admin`. */
  scopes: string[];
  /** The tenant it is bound to; absent or '': the request's tenant header decides. */
  tenant?: string;
}

/** `security`: credentials, scopes, tenants and safe listener defaults (docs/security.md). */
export interface SecurityConfig {
  /**
   * `auto`: enforced on every listener when tokens or OIDC are configured, off
   * otherwise; `on`: enforced (skein refuses to start without credentials); `off`: never.
   */
  auth: string;
  /**
   * The address every listener whose host is left at `127.0.0.1` binds instead
   * (`0.0.0.0` opens them all); `--listen=0.0.0.0`. '' keeps each listener's host.
   */
  listen: string;
  tokens: SecurityTokenConfig[];
  /** Bearer JWTs from an OpenID Connect issuer, checked against its JWKS. */
  oidc: {
    /** The issuer URL (`iss`); '' turns OIDC off. */
    issuer: string;
    /** The audience (`aud`) tokens must carry; '' skips the check. */
    audience: string;
    /** The JWKS URL; '' discovers it from the issuer's `/.well-known/openid-configuration`. */
    jwksUri: string;
    /** The claim listing what a user may do (a space-separated string or a list; dots walk into objects). */
    scopesClaim: string;
    /** The value of `scopesClaim` that grants each scope. */
    scopeValues: { ingest: string; read: string; admin: string };
    /** The claim naming the user's tenant; '' leaves it to the tenant header. */
    tenantClaim: string;
    /** An unknown key id fetches the JWKS again at most this often (key rotation), seconds. */
    jwksCooldownSeconds: number;
    /** The UI's OAuth client id at the issuer; '' turns the UI's sign-in (`/login`) off. */
    clientId: string;
    /** The client's secret (write `${env:NAME}`); '' for a public client (PKCE alone). */
    clientSecret: string;
    /** Where the issuer sends the browser back; '' derives it from the request (`<scheme>://<host>/login/callback`). */
    redirectUrl: string;
    /** The OAuth `scope` parameter the UI asks for at sign-in. */
    loginScope: string;
    /** Sets `Secure` on the session cookie on a plain-HTTP listener too (behind a TLS proxy). */
    cookieSecure: boolean;
    /** A UI session lasts at most this long (and never past its ID token's expiry), seconds. */
    sessionTtlSeconds: number;
  };
  /** The request header naming the tenant when the credentials do not (`x-tenant` is accepted too). */
  tenantHeader: string;
  /** `/metrics` on the admin port answers without credentials (Prometheus scrapers often carry none). */
  metricsOpen: boolean;
  /** Failed authentications allowed per client address per minute; beyond it, 429 until the minute ends. */
  maxFailuresPerMinute: number;
  /** TLS on every TCP listener (docs/security.md). */
  tls: {
    /** PEM certificate chain; '' serves plain text. Reloaded when the file changes. */
    certFile: string;
    /** PEM private key of `certFile`. */
    keyFile: string;
    /** PEM CA bundle: when set, the receivers require client certificates it signed (mTLS). */
    clientCaFile: string;
    /** `TLSv1.2` or `TLSv1.3`. */
    minVersion: string;
  };
  /**
   * Browser origins allowed to call each listener (CORS), e.g. `https://shop.example.com`;
   * `*` allows any origin (never with credentials). Empty: no cross-origin access.
   */
  cors: { otlpHttp: string[]; zipkin: string[]; query: string[] };
}

/** `tenants.overrides.<name>`: one tenant's own limits; an absent key keeps the `tenants.*` default. */
export interface TenantOverrideConfig {
  maxSpansPerSecond?: number;
  burstSpans?: number;
  /** Its spans are purged after this many hours instead of `storage.retentionHours`. */
  retentionHours?: number;
}

/** `tenants`: per-tenant ingest limits and retention (docs/security.md, "Tenants: limits and retention"). */
export interface TenantsConfig {
  /** Spans per second each tenant may send (token bucket); 0 = unlimited. */
  maxSpansPerSecond: number;
  /** The bucket's size, spans; 0 = one second's worth (`maxSpansPerSecond`). */
  burstSpans: number;
  /**
   * Tenants tracked at once (rate buckets, and `tenant` label values on /metrics). Past
   * it, the bucket idle longest is forgotten, and new tenants are counted as `tenant="(other)"`.
   */
  maxTrackedTenants: number;
  /** Per tenant name: its own limits and retention. */
  overrides: Record<string, TenantOverrideConfig>;
}

/** `buffer`: what sits between collectors and ingesters when the roles run apart (docs/scale-out.md). */
export interface BufferConfig {
  /** `none` (`all` and a collector write through their own pipeline) or `nats` (JetStream). */
  kind: 'none' | 'nats';
  nats: {
    /** Servers of one NATS cluster, tried in turn (nats://host:port). */
    urls: string[];
    /** The JetStream stream holding accepted batches; created when missing. */
    stream: string;
    /** Subjects are `<subjectPrefix>.<partition>`. */
    subjectPrefix: string;
    /** Partitions by trace id; fixed for the life of the stream (every role must agree). */
    partitions: number;
    /** Stream replicas (1 for one NATS server; 3 in a NATS cluster). */
    replicas: number;
    /** How long the stream keeps a batch nobody acknowledged (hours). */
    maxAgeHours: number;
    /** The stream's byte bound; 0 for none. Past it new publishes are refused (503). */
    maxBytes: number;
    /** How long a collector waits for JetStream's acknowledgement (ms) before answering 503. */
    publishTimeoutMs: number;
    /** Retry-After a collector sends with 503 when NATS is unreachable (seconds). */
    retryAfterSeconds: number;
    /** JetStream redelivers a batch an ingester has not acknowledged after this (seconds). */
    ackWaitSeconds: number;
    /** A partition lease not renewed for this long (ms) is free for another ingester. */
    leaseTtlMs: number;
    /** Batches an ingester pulls from a partition at a time. */
    fetchBatches: number;
  };
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
    /** Re-sent spans passed once (pipeline/dedupe): a window of recent span fingerprints. */
    dedupe: {
      enabled: boolean;
      /** Distinct spans remembered; 8 × (window + table) bytes, ~25 MB for 1,000,000. Applies at restart. */
      windowSpans: number;
    };
    /** The processor chain between intake and storage (docs/configuration.md). */
    processors: ProcessorsConfig;
    traceBuffer: TraceBufferConfig;
    /**
     * The durable intake (intake/): every accepted batch is on disk, fsync'd, before the
     * client is answered, and replayed after a crash (docs/operations.md).
     */
    intake: {
      /** On by default; off, a kill -9 loses what was queued (the in-memory queue). */
      enabled: boolean;
      /** Its directory; '' for `intake` beside the DuckDB file (off for a ':memory:' store). */
      dir: string;
      /** A segment file is closed and a new one started at this size (bytes). */
      segmentBytes: number;
    };
  };
  storage: {
    /** `duckdb` (embedded, the default) or `clickhouse` (a server or a cluster, docs/scale-out.md). */
    backend: 'duckdb' | 'clickhouse';
    /** Used when `backend` is `clickhouse` (storage/clickhouse/factory.ts). */
    clickhouse: {
      /** HTTP urls of one or several nodes, tried in order when one is down. */
      urls: string[];
      /** Cluster name in the servers' `remote_servers`; '' for one server without replication. */
      cluster: string;
      database: string;
      username: string;
      /** `${env:NAME}` reads it from the environment. */
      password: string;
      requestTimeoutMs: number;
      /** Create missing tables on start (else `skein schema init` must have run). */
      createSchema: boolean;
    };
    duckdb: {
      /** Directory holding skein.duckdb; ':memory:' for an in-memory store. */
      path: string;
      /**
       * DuckDB's buffer memory limit, MB. 128 rather than 256: server RSS during
       * ingest 401-417 instead of 487-499 MB at the same throughput (ingest-e2e.ts).
       */
      memoryLimitMB: number;
      /**
       * DuckDB's worker threads (DuckDB's own default is one per core). 1 on 2 cores:
       * a read's pipelines then run on the thread that started them instead of waiting
       * for a second one to be scheduled; trace by id over HTTP 0.85-0.88× the time
       * with 2, searches 0.81-0.98×, and ingest no slower (26.6-27.1k vs 19.6-24.5k
       * spans/s in ingest-e2e.ts). 0: DuckDB's default.
       */
      threads: number;
      /**
       * Runs the store on a thread of its own (storage/duckdb-thread/): chunk filling,
       * appends, commits and read decoding leave the main thread, which keeps
       * receiving, decoding and the processors. false: the store runs on the main thread.
       */
      workerThread: boolean;
    };
    /** Spans older than this are purged (hours). */
    retentionHours: number;
    /** How often the purge runs (minutes). */
    purgeIntervalMinutes: number;
  };
  buffer: BufferConfig;
  query: ListenerConfig & {
    /** Default and maximum `limit` for trace searches. */
    defaultLimit: number;
    maxLimit: number;
    /**
     * Heavy queries (trace reads, searches, dependencies, /api/transform) running at
     * once, waiting at most, and the longest wait (ms); past them a 503 + Retry-After.
     */
    maxConcurrentQueries: number;
    maxQueuedQueries: number;
    queueTimeoutMs: number;
    /** Largest answer body and per-query read budget, bytes: a bigger trace is 413, a search keeps what fits. */
    maxResponseBytes: number;
    /** Largest `/api/transform` body, bytes (before and after decompression). */
    maxTransformBodyBytes: number;
    /** A published Jaeger UI build served on a second port (docs/configuration.md, "Using Jaeger UI"). */
    jaegerUi: {
      /** The build's folder (the one holding index.html); '' serves no Jaeger UI. */
      dir: string;
      /** Its port, on `query.host`, with the same query API as `query.port`. */
      port: number;
      /** A JSON file with Jaeger UI's config, merged over Skein's; '' for Skein's alone. */
      configFile: string;
    };
  };
  sampling: SamplingConfig;
  admin: ListenerConfig;
  security: SecurityConfig;
  tenants: TenantsConfig;
  /** Input limits: what a span may carry, and how long clients may take (docs/configuration.md). */
  limits: {
    span: SpanLimitsConfig;
    http: HttpListenerLimitsConfig;
    grpc: GrpcListenerLimitsConfig;
  };
  log: {
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  };
}

export const defaultConfig: SkeinConfig = {
  receivers: {
    otlpGrpc: { enabled: true, host: '127.0.0.1', port: 4317 },
    otlpHttp: { enabled: true, host: '127.0.0.1', port: 4318 },
    zipkin: {
      enabled: true,
      host: '127.0.0.1',
      port: 9411,
      autocompleteKeys: '',
      queryLookbackMs: 24 * 60 * 60 * 1000,
    },
    jaegerThriftHttp: { enabled: true, host: '127.0.0.1', port: 14268 },
    jaegerGrpc: { enabled: true, host: '127.0.0.1', port: 14250 },
    jaegerAgentCompact: {
      enabled: true,
      host: '127.0.0.1',
      port: 6831,
      receiveBufferBytes: 16 * 1024 * 1024,
    },
    jaegerAgentBinary: {
      enabled: true,
      host: '127.0.0.1',
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
    dedupe: { enabled: true, windowSpans: 1_000_000 },
    processors: {
      order: ['redaction', 'spanMetrics', 'completeness', 'dependencies', 'tailSampling'],
      redaction: {
        enabled: true,
        // Credentials that clients and HTTP instrumentations are known to record.
        rules: [
          {
            keys: [
              '*password*',
              '*passwd*',
              '*secret*',
              '*.authorization',
              '*.cookie',
              '*.set_cookie',
              '*.set-cookie',
              '*api_key*',
              '*api-key*',
              'db.connection_string',
            ],
            action: 'drop',
          },
          { values: ['credit_card', 'jwt'], action: 'mask' },
        ],
        sqlLiterals: false,
        urlQuery: [
          'token',
          'access_token',
          'api_key',
          'apikey',
          'key',
          'password',
          'secret',
          'sig',
        ],
        spanNames: false,
        hashKey: '',
      },
      spanMetrics: {
        enabled: true,
        buckets: [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000],
        maxServices: 1000,
        maxOperationsPerService: 500,
        exemplars: true,
        flushIntervalSeconds: 10,
      },
      completeness: {
        enabled: true,
        clockSkewMs: 50,
        flushIntervalSeconds: 10,
        examplesPerCause: 5,
      },
      dependencies: { enabled: true, flushIntervalSeconds: 10 },
      tailSampling: { enabled: false, policies: [] },
    },
    intake: { enabled: true, dir: '', segmentBytes: 64 * 1024 * 1024 },
    traceBuffer: {
      idleSeconds: 10,
      maxTraces: 200_000,
      maxSpans: 1_000_000,
      maxHeldBytes: 32 * 1024 * 1024,
    },
  },
  storage: {
    backend: 'duckdb',
    clickhouse: {
      urls: ['http://127.0.0.1:8123'],
      cluster: '',
      database: 'skein',
      username: 'default',
      password: '',
      requestTimeoutMs: 30_000,
      createSchema: false,
    },
    duckdb: { path: './data', memoryLimitMB: 128, threads: 1, workerThread: true },
    retentionHours: 7 * 24,
    purgeIntervalMinutes: 10,
  },
  buffer: {
    kind: 'none',
    nats: {
      urls: ['nats://127.0.0.1:4222'],
      stream: 'skein-spans',
      subjectPrefix: 'skein.spans',
      partitions: 16,
      replicas: 1,
      maxAgeHours: 24,
      maxBytes: 0,
      publishTimeoutMs: 5000,
      retryAfterSeconds: 5,
      ackWaitSeconds: 60,
      leaseTtlMs: 10_000,
      fetchBatches: 64,
    },
  },
  query: {
    enabled: true,
    host: '127.0.0.1',
    port: 16686,
    defaultLimit: 20,
    maxLimit: 1500,
    maxConcurrentQueries: 4,
    maxQueuedQueries: 64,
    queueTimeoutMs: 15_000,
    maxResponseBytes: 16 * 1024 * 1024,
    maxTransformBodyBytes: 16 * 1024 * 1024,
    jaegerUi: { dir: '', port: 16687, configFile: '' },
  },
  sampling: {
    http: { enabled: true, host: '127.0.0.1', port: 5778 },
    grpc: { enabled: true, host: '127.0.0.1', port: 5779 },
    strategiesFile: '',
    strategies: {
      // Jaeger's built-in default (file provider's DefaultSamplingProbability).
      defaultStrategy: {
        type: 'probabilistic',
        param: 0.001,
        operationStrategies: [],
        defaultLowerBoundTracesPerSecond: 0,
      },
      serviceStrategies: [],
    },
    // Jaeger's adaptive defaults (1 trace/s per operation, 30% tolerance, 1-minute
    // interval, 0.001 initial, 1e-5 floor, one trace a minute per operation at least).
    adaptive: {
      enabled: false,
      targetSamplesPerSecond: 1,
      minProbability: 1e-5,
      maxProbability: 1,
      deltaTolerance: 0.3,
      calculationIntervalSeconds: 60,
      initialProbability: 0.001,
      minSamplesPerSecond: 1 / 60,
      overrides: [],
    },
  },
  admin: { enabled: true, host: '127.0.0.1', port: 14269 },
  security: {
    auth: 'auto',
    listen: '',
    tokens: [],
    oidc: {
      issuer: '',
      audience: '',
      jwksUri: '',
      scopesClaim: 'scope',
      scopeValues: { ingest: 'skein:ingest', read: 'skein:read', admin: 'skein:admin' },
      tenantClaim: '',
      jwksCooldownSeconds: 30,
      clientId: '',
      clientSecret: '',
      redirectUrl: '',
      loginScope: 'openid profile',
      cookieSecure: false,
      sessionTtlSeconds: 8 * 60 * 60,
    },
    tenantHeader: 'X-Scope-OrgID',
    metricsOpen: false,
    maxFailuresPerMinute: 30,
    tls: { certFile: '', keyFile: '', clientCaFile: '', minVersion: 'TLSv1.2' },
    cors: { otlpHttp: [], zipkin: [], query: [] },
  },
  tenants: { maxSpansPerSecond: 0, burstSpans: 0, maxTrackedTenants: 10_000, overrides: {} },
  // More generous than the OpenTelemetry SDK's defaults (128 attributes, events and
  // links): a collector receives what SDKs already limited (possibly raised by their
  // users), and Jaeger and Zipkin clients limit nothing and carry process and log
  // data in tags. These bounds only stop what no UI can show anyway.
  limits: {
    span: {
      maxAttributesPerSpan: 1024,
      maxAttributeValueLength: 64 * 1024,
      maxEventsPerSpan: 1024,
      maxLinksPerSpan: 1024,
      maxAttributesPerEvent: 128,
      maxAttributesPerLink: 128,
      maxSpanBytes: 1024 * 1024,
    },
    http: { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 },
    grpc: {
      maxConcurrentStreams: 100,
      keepaliveTimeMs: 2 * 60 * 60 * 1000,
      keepaliveTimeoutMs: 20_000,
      maxConnectionIdleMs: 0,
      maxConnectionAgeMs: 0,
    },
  },
  log: { level: 'info' },
};
