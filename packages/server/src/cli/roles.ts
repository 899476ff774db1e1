import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdminServer } from '../admin/admin-server.ts';
import type { ListenerConfig, SkeinConfig } from '../config/config.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import {
  compileTenantSettings,
  TenantRateLimiter,
  tenantLimitsReloadTarget,
} from '../pipeline/tenant-limits/index.ts';
import { DurableIntake } from '../intake/index.ts';
import { DedupeFilter, DedupeMetrics, compileDedupeSettings } from '../pipeline/dedupe/index.ts';
import { join } from 'node:path';
import { ProcessorChain } from '../pipeline/processor-chain.ts';
import { ProcessorMetrics } from '../pipeline/processor-metrics.ts';
import type { ProcessorFactory } from '../pipeline/processor.ts';
import { redactionFactory, searchValueFor } from '../pipeline/processors/redaction/index.ts';
import { createSpanMetricsFactory } from '../pipeline/processors/span-metrics/index.ts';
import { createTailSamplingFactory } from '../pipeline/processors/tail-sampling/index.ts';
import {
  AdaptiveSampling,
  adaptiveSamplingReloadTarget,
  compileAdaptiveSettings,
} from '../sampling/adaptive/index.ts';
import { isSamplingStore } from '../storage/sampling-store.ts';
import { hasIntakeReceipts } from '../storage/span-writer.ts';
import { ConfigError } from '../errors.ts';
import { createDependenciesFactory } from '../pipeline/processors/dependencies/index.ts';
import {
  createCompletenessFactory,
  createTraceJudge,
  type CompletenessFactory,
} from '../pipeline/processors/completeness/index.ts';
import { registerJaegerUi } from '../query/jaeger-ui-static.ts';
import { createQueryApp, type QueryAppOptions } from '../query/query-app.ts';
import { QueryMetrics } from '../query/query-metrics.ts';
import { QueryGate } from '../query/query-gate.ts';
import type { SearchTagRewrite } from '../query/query-params.ts';
import { registerUi } from '../query/ui-static.ts';
import { OtlpGrpcReceiver } from '../receivers/otlp/otlp-grpc-receiver.ts';
import { OtlpHttpReceiver } from '../receivers/otlp/otlp-http-receiver.ts';
import {
  JaegerAgentBinaryReceiver,
  JaegerAgentCompactReceiver,
} from '../receivers/jaeger/jaeger-agent-receiver.ts';
import { JaegerGrpcReceiver } from '../receivers/jaeger/jaeger-grpc-receiver.ts';
import { JaegerThriftHttpReceiver } from '../receivers/jaeger/jaeger-thrift-http-receiver.ts';
import type { Receiver } from '../receivers/receiver.ts';
import { ZipkinReceiver } from '../receivers/zipkin/zipkin-receiver.ts';
import { SamplingService } from '../sampling/index.ts';
import {
  SecurityLayer,
  type GrpcGuard,
  type HttpGuard,
  type ListenerName,
} from '../security/index.ts';
import { createClickHouseStorage } from '../storage/clickhouse/index.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import { DuckDbThreadStorage } from '../storage/duckdb-thread/index.ts';
import { Retention } from '../storage/retention.ts';
import type { Storage } from '../storage/storage.ts';
import type { ModuleDefinition, RunningModule } from './app.ts';
import type { ConfigReloader } from './config-reloader.ts';
import { bufferModule, ingesterModule } from './buffer-modules.ts';
import type { BufferMetrics, NatsBuffer, NatsIngester } from '../buffer/nats/index.ts';
import type { SpanConsumer } from '../pipeline/span-consumer.ts';
import type { IntakeJournal } from '../pipeline/intake-journal.ts';

/** What modules share while they start; each fills in what it makes. */
export interface AppContext {
  config: SkeinConfig;
  logger: Logger;
  registry: Registry;
  metrics?: IngestMetrics;
  admin?: AdminServer;
  storage?: Storage;
  pipeline?: Pipeline;
  /** Hot reload (SIGHUP, file change); absent in tests that start modules directly. */
  reloader?: ConfigReloader;
  /** The completeness processor's factory (its running processor's knowledge serves the query API). */
  completeness?: CompletenessFactory;
  /** Adaptive sampling, when `sampling.adaptive.enabled` (it sees every accepted batch). */
  adaptiveSampling?: AdaptiveSampling;
  /** How searches rewrite tag values (hashed redaction keys); made once, see `searchTagRewrite`. */
  searchTagRewrite?: SearchTagRewrite;
  /** The remote sampling service (strategies for SDKs); its resolver also serves the query API. */
  sampling?: SamplingService;
  /** Credentials, scopes and tenants: every listener gets its guard from it (security/). */
  security?: SecurityLayer;
  /** Set once every module of the role has started (every listener bound, the store open). */
  started?: boolean;
  /** The role being started (main.ts); modules that behave per role read it (buffer). */
  role?: Role;
  /** Where receivers hand spans when it is not the pipeline (a collector publishing to NATS). */
  consumer?: SpanConsumer;
  /** The pipeline's journal when it is not the durable intake (an ingester: JetStream acks). */
  journal?: IntakeJournal;
  /** The ingester's side of the NATS buffer (buffer module → ingester module). */
  ingest?: { buffer: NatsBuffer; ingester: NatsIngester; metrics: BufferMetrics };
}

/**
 * Searches for a key the redaction rules hash must look for the hash: every read API
 * (query port, Zipkin's) shares one rewrite that follows hot reload.
 */
function searchTagRewrite(ctx: AppContext): SearchTagRewrite {
  if (ctx.searchTagRewrite !== undefined) return ctx.searchTagRewrite;
  let redaction = redactionFactory.compile(ctx.config);
  ctx.reloader?.add({
    name: 'search redaction',
    covers: ['pipeline.processors'],
    prepare: (next) => {
      const compiled = redactionFactory.compile(next);
      return () => {
        redaction = compiled;
      };
    },
  });
  ctx.searchTagRewrite = (key, value) => searchValueFor(redaction, key, value);
  return ctx.searchTagRewrite;
}

/** Every processor Skein can run in `pipeline.processors.order`. */
function processorFactories(ctx: AppContext, logger: Logger): ProcessorFactory[] {
  const storage = need(ctx.storage, 'storage');
  const spanMetrics = createSpanMetricsFactory({ logger, writer: storage });
  ctx.admin?.addExposition((format) => spanMetrics.render(format));
  const completeness = createCompletenessFactory({
    logger,
    registry: ctx.registry,
    writer: storage,
  });
  ctx.completeness = completeness;
  const tailSampling = createTailSamplingFactory({ registry: ctx.registry });
  const dependencies = createDependenciesFactory({
    logger,
    registry: ctx.registry,
    writer: storage,
  });
  return [
    redactionFactory,
    spanMetrics,
    completeness,
    dependencies,
    tailSampling,
  ] as unknown as ProcessorFactory[];
}

/** The durable intake's directory, or '' when there is none (off, or an in-memory store). */
function intakeDir(config: SkeinConfig): string {
  const { intake } = config.pipeline;
  if (!intake.enabled) return '';
  if (intake.dir !== '') return intake.dir;
  const storePath = config.storage.duckdb.path;
  return storePath === ':memory:' ? '' : join(storePath, 'intake');
}

async function openIntake(ctx: AppContext, logger: Logger): Promise<DurableIntake | undefined> {
  const dir = intakeDir(ctx.config);
  if (dir === '') return undefined;
  const storage = need(ctx.storage, 'storage');
  return DurableIntake.open({
    dir,
    segmentBytes: ctx.config.pipeline.intake.segmentBytes,
    retryAfterSeconds: ctx.config.pipeline.retryAfterSeconds,
    logger: logger.child({ component: 'intake' }),
    registry: ctx.registry,
    receipts: hasIntakeReceipts(storage) ? storage : undefined,
  });
}

export type ModuleName =
  | 'metrics'
  | 'security'
  | 'admin'
  | 'storage'
  | 'retention'
  | 'pipeline'
  | 'otlp-grpc'
  | 'otlp-http'
  | 'zipkin'
  | 'jaeger-thrift-http'
  | 'jaeger-grpc'
  | 'jaeger-agent-compact'
  | 'jaeger-agent-binary'
  | 'sampling'
  | 'adaptive-sampling'
  | 'query'
  | 'buffer'
  | 'ingester';

export type Role = 'all' | 'collector' | 'query' | 'ingester';

/** Every protocol receiver module; each one's listener can be turned off in config. */
const RECEIVERS = [
  'otlp-grpc',
  'otlp-http',
  'zipkin',
  'jaeger-thrift-http',
  'jaeger-grpc',
  'jaeger-agent-compact',
  'jaeger-agent-binary',
] as const satisfies readonly ModuleName[];

/** Which modules each role asks for; dependencies come along (see `modules`). */
export const roles: Record<Role, readonly ModuleName[]> = {
  collector: [...RECEIVERS, 'sampling', 'retention', 'admin'],
  query: ['query', 'admin'],
  ingester: ['ingester', 'retention', 'admin'],
  all: [...RECEIVERS, 'sampling', 'retention', 'query', 'admin'],
};

const NOTHING_TO_STOP: RunningModule = { stop: async () => {} };

/** A URL for the banner: a wildcard host is shown as localhost, which is what a user types. */
/** `https` for an HTTP listener when security.tls is on. */
function web(ctx: AppContext, scheme: string): string {
  return scheme === 'http' && ctx.security?.tls !== undefined ? 'https' : scheme;
}

function displayUrl(scheme: string, host: string, port: number, path = ''): string {
  const shown =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shown}:${port}${path}`;
}

/** The embedded store, on its own thread unless `storage.duckdb.workerThread` is false. */
function openDuckDb(
  settings: SkeinConfig['storage']['duckdb'],
  logger: Logger,
  registry: Registry,
): Storage {
  const options = {
    path: settings.path,
    memoryLimitMB: settings.memoryLimitMB,
    threads: settings.threads,
    logger,
  };
  return settings.workerThread
    ? new DuckDbThreadStorage(options, { registry })
    : new DuckDbStorage(options);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(`module wiring: ${what} is not started (role table bug)`);
  return value;
}

/**
 * How receivers are constructed. The fifth argument, the store, is for receivers whose
 * port also serves reads (Zipkin's read API); the others ignore it.
 */
type ReceiverClass<R extends Receiver> = new (
  config: SkeinConfig,
  consumer: SpanConsumer,
  metrics: IngestMetrics,
  logger: Logger,
  reader: Storage,
  rewriteSearchTag: SearchTagRewrite,
) => R;

/** What a receiver module may add: more modules to start first, and a step before listening. */
interface ReceiverModuleExtras<R> {
  dependsOn?: readonly ModuleName[];
  beforeStart?: (receiver: R, ctx: AppContext) => void;
}

function receiverModule<R extends Receiver>(
  label: ModuleName,
  Receiver: ReceiverClass<R>,
  listener: (c: SkeinConfig) => ListenerConfig,
  scheme: 'grpc' | 'http' | 'udp',
  path = '',
  extras: ReceiverModuleExtras<R> = {},
): ModuleDefinition<AppContext, ModuleName> {
  return {
    dependsOn: ['pipeline', 'storage', ...(extras.dependsOn ?? [])],
    async start(ctx) {
      if (!listener(ctx.config).enabled) return NOTHING_TO_STOP;
      const receiver = new Receiver(
        ctx.config,
        need(ctx.consumer ?? ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
        need(ctx.storage, 'storage'),
        searchTagRewrite(ctx),
      );
      extras.beforeStart?.(receiver, ctx);
      // Every TCP receiver passes security's guard (UDP carries no credentials).
      if (ctx.security !== undefined && scheme === 'http')
        (receiver as unknown as { protect(g: HttpGuard): void }).protect(
          ctx.security.http(label as ListenerName),
        );
      if (ctx.security !== undefined && scheme === 'grpc')
        (receiver as unknown as { protect(g: GrpcGuard): void }).protect(
          ctx.security.grpc(label as ListenerName),
        );
      const address = await receiver.start();
      ctx.admin?.addReadinessCheck(
        receiver.name,
        () => receiver.listening || `${receiver.name} is not listening`,
      );
      return {
        stop: () => receiver.stop(),
        endpoints: [
          {
            name: label,
            url: displayUrl(web(ctx, scheme), listener(ctx.config).host, address.port, path),
          },
        ],
      };
    },
  };
}

/**
 * The module table (after Grafana Tempo's modules.go). Stopping runs in reverse
 * start order, which gives the graceful shutdown: receivers stop accepting, the
 * pipeline flushes, storage closes, and the admin port (started first) goes last.
 */
export const modules: Record<ModuleName, ModuleDefinition<AppContext, ModuleName>> = {
  metrics: {
    dependsOn: [],
    async start(ctx) {
      ctx.metrics = new IngestMetrics(ctx.registry, ctx.config.tenants.maxTrackedTenants);
      return NOTHING_TO_STOP;
    },
  },
  security: {
    dependsOn: ['metrics'],
    async start(ctx) {
      const security = new SecurityLayer({
        config: ctx.config,
        registry: ctx.registry,
        logger: ctx.logger,
      });
      ctx.security = security;
      return { stop: async () => security.close(), notes: security.notes() };
    },
  },
  admin: {
    dependsOn: ['metrics', 'security'],
    async start(ctx) {
      const { admin } = ctx.config;
      if (!admin.enabled) return NOTHING_TO_STOP;
      const server = new AdminServer(admin, ctx.registry, ctx.logger, ctx.config.limits.http);
      if (ctx.security !== undefined) server.protect(ctx.security.http('admin'));
      // The admin port opens first: /ready is 503 until every other module has started
      // (each listener bound, storage open, the durable intake scanned).
      server.addReadinessCheck('startup', () => ctx.started === true || 'still starting');
      const address = await server.start();
      ctx.admin = server;
      return {
        stop: () => server.stop(),
        endpoints: [
          {
            name: 'admin',
            url: displayUrl(web(ctx, 'http'), admin.host, address.port, '/metrics'),
          },
        ],
      };
    },
  },
  storage: {
    dependsOn: ['admin'],
    async start(ctx) {
      const logger = ctx.logger.child({ component: 'storage' });
      const storage: Storage =
        ctx.config.storage.backend === 'clickhouse'
          ? createClickHouseStorage(ctx.config.storage.clickhouse, logger)
          : openDuckDb(ctx.config.storage.duckdb, logger, ctx.registry);
      await storage.open();
      ctx.storage = storage;
      let open = true;
      ctx.admin?.addReadinessCheck('storage', () =>
        !open ? 'storage is closed' : (storage.ping?.() ?? true),
      );
      return {
        stop: async () => {
          open = false;
          await storage.close();
        },
      };
    },
  },
  retention: {
    dependsOn: ['storage'],
    async start(ctx) {
      const { retentionHours, purgeIntervalMinutes } = ctx.config.storage;
      const retention = new Retention({
        storage: need(ctx.storage, 'storage'),
        retentionHours,
        tenantRetentionHours: compileTenantSettings(ctx.config).retentionHours,
        purgeIntervalMinutes,
        logger: ctx.logger.child({ component: 'retention' }),
      });
      retention.start();
      ctx.reloader?.add({
        name: 'tenant retention',
        covers: ['tenants.overrides'],
        prepare: (next) => {
          const hours = compileTenantSettings(next).retentionHours;
          return () => retention.setTenantRetentionHours(hours);
        },
      });
      return { stop: () => retention.stop() };
    },
  },
  pipeline: {
    dependsOn: ['buffer', 'storage', 'metrics', 'adaptive-sampling'],
    async start(ctx) {
      // A collector publishing to NATS runs no pipeline: the ingesters do.
      if (ctx.consumer !== undefined) return NOTHING_TO_STOP;
      const logger = ctx.logger.child({ component: 'pipeline' });
      const chain = new ProcessorChain({
        factories: processorFactories(ctx, logger),
        metrics: new ProcessorMetrics(ctx.registry),
        logger,
      });
      await chain.prepare(ctx.config)();
      ctx.reloader?.add({
        name: 'processors',
        covers: ['pipeline.processors', 'pipeline.traceBuffer'],
        prepare: (next) => chain.prepare(next),
      });
      // An ingester's journal is JetStream (acks after the write), not the intake.
      const intake = ctx.journal === undefined ? await openIntake(ctx, logger) : undefined;
      const dedupe = compileDedupeSettings(ctx.config);
      const tenantLimits = new TenantRateLimiter(compileTenantSettings(ctx.config));
      ctx.reloader?.add(tenantLimitsReloadTarget(tenantLimits));
      const pipeline = new Pipeline({
        writer: need(ctx.storage, 'storage'),
        config: ctx.config.pipeline,
        metrics: need(ctx.metrics, 'metrics'),
        logger,
        processors: chain,
        journal: ctx.journal ?? intake,
        dedupe: dedupe.enabled
          ? new DedupeFilter(dedupe.windowSpans, new DedupeMetrics(ctx.registry))
          : undefined,
        tenantLimits,
        onAccepted:
          ctx.adaptiveSampling === undefined
            ? undefined
            : (spans) => ctx.adaptiveSampling?.observe(spans),
      });
      chain.sink = pipeline.sink;
      ctx.pipeline = pipeline;
      const names = chain.names;
      const notes = [`processors: ${names.length === 0 ? 'none' : names.join(' → ')}`];
      if (intake !== undefined) {
        const backlog = intake.replayBacklog;
        notes.push(
          `durable intake: ${intakeDir(ctx.config)}` +
            (backlog > 0 ? ` (replaying ${backlog} batches left by the last run)` : ''),
        );
        // Readiness means taking traffic: the backlog replays behind new batches, as
        // queue room allows (skein_intake_replay_backlog_batches), and /ready says so.
        void intake.replay(pipeline);
        ctx.admin?.addReadinessCheck('intake', () => {
          const refusing = intake.refusing;
          if (refusing !== '') return `durable intake refuses writes: ${refusing}`;
          return true;
        });
      }
      return {
        // The pipeline drains the chain (spans held for a decision are decided and
        // written), then the processors stop and write what they owe; the intake notes
        // what storage committed and closes last.
        stop: async () => {
          await intake?.stopReplay();
          await pipeline.stop();
          await chain.stop();
          await intake?.close();
        },
        notes,
      };
    },
  },
  buffer: bufferModule,
  ingester: ingesterModule,
  'otlp-grpc': receiverModule('otlp-grpc', OtlpGrpcReceiver, (c) => c.receivers.otlpGrpc, 'grpc'),
  'otlp-http': receiverModule('otlp-http', OtlpHttpReceiver, (c) => c.receivers.otlpHttp, 'http'),
  // Zipkin's port also serves Zipkin's read API, so it reads the store too.
  zipkin: receiverModule(
    'zipkin',
    ZipkinReceiver,
    (c) => c.receivers.zipkin,
    'http',
    '/api/v2/spans',
  ),
  'jaeger-thrift-http': receiverModule(
    'jaeger-thrift-http',
    JaegerThriftHttpReceiver,
    (c) => c.receivers.jaegerThriftHttp,
    'http',
    '/api/traces',
  ),
  // Also serves SamplingManager, as Jaeger v1's collector did on :14250.
  'jaeger-grpc': receiverModule(
    'jaeger-grpc',
    JaegerGrpcReceiver,
    (c) => c.receivers.jaegerGrpc,
    'grpc',
    '',
    {
      dependsOn: ['sampling'],
      beforeStart: (receiver, ctx) => {
        const { definition, implementation } = need(ctx.sampling, 'sampling').grpcService;
        receiver.addService(definition, implementation);
      },
    },
  ),
  'jaeger-agent-compact': receiverModule(
    'jaeger-agent-compact',
    JaegerAgentCompactReceiver,
    (c) => c.receivers.jaegerAgentCompact,
    'udp',
  ),
  'jaeger-agent-binary': receiverModule(
    'jaeger-agent-binary',
    JaegerAgentBinaryReceiver,
    (c) => c.receivers.jaegerAgentBinary,
    'udp',
  ),
  'adaptive-sampling': {
    dependsOn: ['storage', 'admin'],
    async start(ctx) {
      const settings = compileAdaptiveSettings(ctx.config);
      if (!settings.enabled) return NOTHING_TO_STOP;
      const storage = need(ctx.storage, 'storage');
      if (!isSamplingStore(storage)) {
        throw new ConfigError([
          'sampling.adaptive.enabled',
          `the ${storage.name} store cannot keep adaptive sampling state`,
        ]);
      }
      const adaptive = new AdaptiveSampling({
        store: storage,
        settings,
        registry: ctx.registry,
        logger: ctx.logger.child({ component: 'adaptive-sampling' }),
      });
      await adaptive.start();
      ctx.adaptiveSampling = adaptive;
      ctx.reloader?.add(adaptiveSamplingReloadTarget(adaptive));
      return {
        stop: () => adaptive.stop(),
        notes: ['sampling: adaptive strategies computed from the traffic (sampling.adaptive)'],
      };
    },
  },
  sampling: {
    dependsOn: ['admin', 'adaptive-sampling'],
    async start(ctx) {
      const sampling = new SamplingService({
        config: ctx.config,
        logger: ctx.logger,
        registry: ctx.registry,
        adaptive: ctx.adaptiveSampling?.source,
        security: ctx.security,
      });
      const { http, grpc } = await sampling.start();
      ctx.sampling = sampling;
      ctx.reloader?.add(sampling.reloadTarget);
      for (const [name, check] of sampling.readinessChecks())
        ctx.admin?.addReadinessCheck(name, check);
      const { sampling: listeners } = ctx.config;
      const endpoints = [];
      if (http !== undefined)
        endpoints.push({
          name: 'sampling-http',
          url: displayUrl(web(ctx, 'http'), listeners.http.host, http.port, '/sampling'),
        });
      if (grpc !== undefined)
        endpoints.push({
          name: 'sampling-grpc',
          url: displayUrl('grpc', listeners.grpc.host, grpc.port),
        });
      return { stop: () => sampling.stop(), endpoints };
    },
  },
  query: {
    dependsOn: ['storage'],
    async start(ctx) {
      const { query } = ctx.config;
      if (!query.enabled) return NOTHING_TO_STOP;
      const storage = need(ctx.storage, 'storage');
      const processors = ctx.config.pipeline.processors;
      const runs = (name: 'spanMetrics' | 'completeness') =>
        processors.order.includes(name) && processors[name].enabled;
      let skewMs = processors.completeness.clockSkewMs;
      ctx.reloader?.add({
        name: 'query completeness',
        covers: ['pipeline.processors'],
        prepare: (next) => () => {
          skewMs = next.pipeline.processors.completeness.clockSkewMs;
        },
      });
      // Every read of the query ports is timed (skein_storage_read_duration_seconds).
      const queryMetrics = new QueryMetrics(ctx.registry);
      const reads = queryMetrics.timed(storage);
      const options: QueryAppOptions = {
        reader: reads,
        // Like Jaeger without a metrics backend: /api/metrics/* answer 501 when span metrics is off at start.
        metrics: runs('spanMetrics') ? reads : undefined,
        completeness: reads,
        classifyTrace: createTraceJudge({
          reader: reads,
          directory: (tenant) => ctx.completeness?.running?.directoryOf(tenant),
          skewMs: () => skewMs,
        }),
        rewriteSearchTag: searchTagRewrite(ctx),
        // In `all` the sampling module may start after this one: asked per request.
        sampling: () => ctx.sampling?.strategies,
        logger: ctx.logger.child({ component: 'query' }),
        defaultLimit: query.defaultLimit,
        maxLimit: query.maxLimit,
        // One gate for both query ports: they read the same store.
        gate: new QueryGate({
          maxConcurrent: query.maxConcurrentQueries,
          maxQueued: query.maxQueuedQueries,
          queueTimeoutMs: query.queueTimeoutMs,
        }),
        maxResponseBytes: query.maxResponseBytes,
        maxTransformBodyBytes: query.maxTransformBodyBytes,
        httpLimits: ctx.config.limits.http,
      };
      const app = await createQueryApp({
        ...options,
        protect: (a) => ctx.security?.fastify(a, 'query'),
        timing: { metrics: queryMetrics, port: 'query' },
      });
      await registerUi(app);
      // Jaeger UI calls /api/* at its own origin's root, where Skein's UI is: it gets a port.
      const jaegerUi =
        query.jaegerUi.dir === ''
          ? undefined
          : await createQueryApp({
              ...options,
              protect: (a) => ctx.security?.fastify(a, 'jaeger-ui'),
              timing: { metrics: queryMetrics, port: 'jaeger-ui' },
            });
      const endpoints: { name: string; url: string }[] = [];
      const listen = async (name: string, server: typeof app, port: number) => {
        await server.listen({ host: query.host, port });
        const address = server.server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        endpoints.push({ name, url: displayUrl(web(ctx, 'http'), query.host, bound) });
        return bound;
      };
      let queryPort = query.port;
      try {
        if (jaegerUi !== undefined) {
          await registerJaegerUi(jaegerUi, {
            dir: query.jaegerUi.dir,
            configFile: query.jaegerUi.configFile,
            capabilities: { archiveStorage: false, metricsStorage: options.metrics !== undefined },
            maxLimit: query.maxLimit,
            skeinUiPort: () => queryPort,
          });
        }
        queryPort = await listen('query', app, query.port);
        if (jaegerUi !== undefined) await listen('jaeger-ui', jaegerUi, query.jaegerUi.port);
      } catch (err) {
        await Promise.all([app.close(), jaegerUi?.close()]);
        throw err;
      }
      return {
        stop: async () => {
          await Promise.all([app.close(), jaegerUi?.close()]);
        },
        endpoints,
      };
    },
  },
};
