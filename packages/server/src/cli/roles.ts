import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdminServer } from '../admin/admin-server.ts';
import type { ListenerConfig, SkeinConfig } from '../config/config.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { createQueryApp } from '../query/query-app.ts';
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
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import { Retention } from '../storage/retention.ts';
import type { Storage } from '../storage/storage.ts';
import type { ModuleDefinition, RunningModule } from './app.ts';

/** What modules share while they start; each fills in what it makes. */
export interface AppContext {
  config: SkeinConfig;
  logger: Logger;
  registry: Registry;
  metrics?: IngestMetrics;
  admin?: AdminServer;
  storage?: Storage;
  pipeline?: Pipeline;
}

export type ModuleName =
  | 'metrics'
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
  | 'query';

export type Role = 'all' | 'collector' | 'query';

/** Which modules each role asks for; dependencies come along (see `modules`). */
export const roles: Record<Role, readonly ModuleName[]> = {
  collector: [
    'otlp-grpc',
    'otlp-http',
    'zipkin',
    'jaeger-thrift-http',
    'jaeger-grpc',
    'jaeger-agent-compact',
    'jaeger-agent-binary',
    'retention',
    'admin',
  ],
  query: ['query', 'admin'],
  all: [
    'otlp-grpc',
    'otlp-http',
    'zipkin',
    'jaeger-thrift-http',
    'jaeger-grpc',
    'jaeger-agent-compact',
    'jaeger-agent-binary',
    'retention',
    'query',
    'admin',
  ],
};

const NOTHING_TO_STOP: RunningModule = { stop: async () => {} };

/** A URL for the banner: a wildcard host is shown as localhost, which is what a user types. */
function displayUrl(scheme: string, host: string, port: number, path = ''): string {
  const shown =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shown}:${port}${path}`;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(`module wiring: ${what} is not started (role table bug)`);
  return value;
}

function receiverModule(
  make: (ctx: AppContext) => Receiver,
  listener: (c: SkeinConfig) => ListenerConfig,
  label: string,
  scheme: string,
  path: string,
): ModuleDefinition<AppContext, ModuleName> {
  return {
    dependsOn: ['pipeline'],
    async start(ctx) {
      if (!listener(ctx.config).enabled) return NOTHING_TO_STOP;
      const receiver = make(ctx);
      const address = await receiver.start();
      ctx.admin?.addReadinessCheck(
        receiver.name,
        () => receiver.listening || `${receiver.name} is not listening`,
      );
      return {
        stop: () => receiver.stop(),
        endpoints: [
          { name: label, url: displayUrl(scheme, listener(ctx.config).host, address.port, path) },
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
      ctx.metrics = new IngestMetrics(ctx.registry);
      return NOTHING_TO_STOP;
    },
  },
  admin: {
    dependsOn: ['metrics'],
    async start(ctx) {
      const { admin } = ctx.config;
      if (!admin.enabled) return NOTHING_TO_STOP;
      const server = new AdminServer(admin, ctx.registry, ctx.logger);
      const address = await server.start();
      ctx.admin = server;
      return {
        stop: () => server.stop(),
        endpoints: [
          { name: 'admin', url: displayUrl('http', admin.host, address.port, '/metrics') },
        ],
      };
    },
  },
  storage: {
    dependsOn: ['admin'],
    async start(ctx) {
      const path = ctx.config.storage.duckdb.path;
      const storage = new DuckDbStorage({
        path,
        memoryLimitMB: ctx.config.storage.duckdb.memoryLimitMB,
        logger: ctx.logger.child({ component: 'storage' }),
      });
      await storage.open();
      ctx.storage = storage;
      let open = true;
      ctx.admin?.addReadinessCheck('storage', () => open || 'storage is closed');
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
        purgeIntervalMinutes,
        logger: ctx.logger.child({ component: 'retention' }),
      });
      retention.start();
      return { stop: () => retention.stop() };
    },
  },
  pipeline: {
    dependsOn: ['storage', 'metrics'],
    async start(ctx) {
      const pipeline = new Pipeline({
        writer: need(ctx.storage, 'storage'),
        config: ctx.config.pipeline,
        metrics: need(ctx.metrics, 'metrics'),
        logger: ctx.logger.child({ component: 'pipeline' }),
      });
      ctx.pipeline = pipeline;
      return { stop: () => pipeline.stop() };
    },
  },
  'otlp-grpc': receiverModule(
    (ctx) =>
      new OtlpGrpcReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.otlpGrpc,
    'otlp-grpc',
    'grpc',
    '',
  ),
  'otlp-http': receiverModule(
    (ctx) =>
      new OtlpHttpReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.otlpHttp,
    'otlp-http',
    'http',
    '',
  ),
  // Zipkin's port also serves Zipkin's read API, so it reads the store too.
  zipkin: receiverModule(
    (ctx) =>
      new ZipkinReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
        need(ctx.storage, 'storage'),
      ),
    (c) => c.receivers.zipkin,
    'zipkin',
    'http',
    '/api/v2/spans',
  ),
  'jaeger-thrift-http': receiverModule(
    (ctx) =>
      new JaegerThriftHttpReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.jaegerThriftHttp,
    'jaeger-thrift-http',
    'http',
    '/api/traces',
  ),
  'jaeger-grpc': receiverModule(
    (ctx) =>
      new JaegerGrpcReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.jaegerGrpc,
    'jaeger-grpc',
    'grpc',
    '',
  ),
  'jaeger-agent-compact': receiverModule(
    (ctx) =>
      new JaegerAgentCompactReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.jaegerAgentCompact,
    'jaeger-agent-compact',
    'udp',
    '',
  ),
  'jaeger-agent-binary': receiverModule(
    (ctx) =>
      new JaegerAgentBinaryReceiver(
        ctx.config,
        need(ctx.pipeline, 'pipeline'),
        need(ctx.metrics, 'metrics'),
        ctx.logger,
      ),
    (c) => c.receivers.jaegerAgentBinary,
    'jaeger-agent-binary',
    'udp',
    '',
  ),
  query: {
    dependsOn: ['storage'],
    async start(ctx) {
      const { query } = ctx.config;
      if (!query.enabled) return NOTHING_TO_STOP;
      const app = await createQueryApp({
        reader: need(ctx.storage, 'storage'),
        logger: ctx.logger.child({ component: 'query' }),
        defaultLimit: query.defaultLimit,
        maxLimit: query.maxLimit,
      });
      await registerUi(app);
      await app.listen({ host: query.host, port: query.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : query.port;
      return {
        stop: () => app.close(),
        endpoints: [{ name: 'query', url: displayUrl('http', query.host, port) }],
      };
    },
  },
};
