import { hostname } from 'node:os';
import {
  BufferMetrics,
  NatsBuffer,
  NatsIngester,
  NatsSpanPublisher,
  PartitionLeases,
} from '../buffer/nats/index.ts';
import { ConfigError } from '../errors.ts';
import {
  compileTenantSettings,
  TenantRateLimiter,
  tenantLimitsReloadTarget,
} from '../pipeline/tenant-limits/index.ts';
import type { ModuleDefinition, RunningModule } from './app.ts';
import type { AppContext, ModuleName } from './roles.ts';

/*
 * The buffer's modules of the role table (docs/scale-out.md):
 * - `buffer` connects to NATS JetStream when `buffer.kind` is `nats`. In the
 *   collector it becomes the receivers' SpanConsumer (the collector then runs no
 *   pipeline); in the ingester it becomes the pipeline's journal.
 * - `ingester` takes partition leases and feeds the pipeline from them.
 */

const NOTHING_TO_STOP: RunningModule = { stop: async () => {} };

/** This process's ingester id: unique among live ingesters, readable in logs. */
function ingesterId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '_');
  return `${host}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export const bufferModule: ModuleDefinition<AppContext, ModuleName> = {
  dependsOn: ['admin', 'metrics'],
  async start(ctx) {
    const { buffer: config } = ctx.config;
    if (config.kind !== 'nats') return NOTHING_TO_STOP;
    const role = ctx.role ?? 'all';
    if (role === 'all') {
      throw new ConfigError([
        'buffer.kind',
        'skein all runs without a buffer (receivers, pipeline and storage in one process); run the collector and ingester roles apart, or set buffer.kind: none',
      ]);
    }
    const logger = ctx.logger.child({ component: 'buffer' });
    const metrics = new BufferMetrics(ctx.registry);
    const buffer = new NatsBuffer({
      config: config.nats,
      name: `skein ${role} ${hostname()} ${process.pid}`,
      metrics,
      logger,
    });
    buffer.start();
    ctx.admin?.addReadinessCheck('buffer', () => buffer.ready || buffer.problem);
    const notes = [
      `buffer: NATS JetStream ${config.nats.urls.join(', ')}, stream ${config.nats.stream}, ${config.nats.partitions} partitions`,
    ];
    if (role === 'collector') {
      if (ctx.metrics === undefined) throw new Error('module wiring: metrics is not started');
      // A collector enforces the per-tenant rates (ingesters take what it published).
      const tenantLimits = new TenantRateLimiter(compileTenantSettings(ctx.config));
      ctx.reloader?.add(tenantLimitsReloadTarget(tenantLimits));
      const publisher = new NatsSpanPublisher(buffer, metrics, ctx.metrics, tenantLimits);
      ctx.consumer = publisher;
      notes.push('pipeline: in the ingesters; accepted batches are acknowledged once in JetStream');
      return {
        stop: async () => {
          publisher.stop();
          await buffer.close();
        },
        notes,
      };
    }
    const ingester = new NatsIngester({ buffer, metrics, logger });
    ctx.journal = ingester;
    ctx.ingest = { buffer, ingester, metrics };
    return { stop: () => buffer.close(), notes };
  },
};

export const ingesterModule: ModuleDefinition<AppContext, ModuleName> = {
  dependsOn: ['buffer', 'pipeline'],
  async start(ctx) {
    const ingest = ctx.ingest;
    if (ingest === undefined) {
      throw new ConfigError([
        'buffer.kind',
        'the ingester role reads batches from NATS JetStream: set buffer.kind: nats and buffer.nats.urls',
      ]);
    }
    if (ctx.pipeline === undefined) throw new Error('module wiring: pipeline is not started');
    ingest.ingester.target = ctx.pipeline;
    const id = ingesterId();
    const leases = new PartitionLeases({
      buffer: ingest.buffer,
      id,
      owner: ingest.ingester,
      metrics: ingest.metrics,
      logger: ctx.logger.child({ component: 'ingester' }),
    });
    leases.start();
    return {
      // Partitions are released (what was taken written and acknowledged) before the
      // pipeline stops, so another ingester picks them up at once.
      stop: () => leases.stop(),
      notes: [`ingester ${id}: consumes the partitions it holds the lease of`],
    };
  },
};
