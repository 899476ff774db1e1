#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../errors.ts';
import { parseArgs } from './args.ts';
import { startModules } from './app.ts';
import { ConfigReloader } from './config-reloader.ts';
import { modules, roles, type AppContext, type Role } from './roles.ts';
import { REDACT_CHECK_HELP, redactCheckCommand } from './redact-check-command.ts';
import { SCHEMA_HELP, schemaCommand } from './schema-command.ts';
import { TRACEGEN_HELP, tracegenCommand } from './tracegen-command.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const HELP = `skein ${VERSION}: distributed tracing (OTLP in, DuckDB, Jaeger query API)

Usage:
  skein [all|collector|ingester|query] [--config skein.yaml] [--key=value ...]
  skein tracegen [options]
  skein redact-check --config skein.yaml < trace.json
  skein schema init --config skein.yaml
  skein --help | --version

Roles:
  all        (default) receivers, pipeline, storage, retention, query API and admin in one process
  collector  receivers, pipeline, storage writes, retention, admin
  query      query API and admin over the store
  ingester   (buffer.kind nats) consumes its partitions of NATS JetStream: pipeline, storage writes

Settings (defaults, then --config file, then SKEIN_* environment, then flags), e.g.:
  --storage.duckdb.path=./data        data directory, or :memory:
  --storage.retentionHours=168        purge spans older than this
  --receivers.otlpGrpc.port=4317      --receivers.otlpHttp.port=4318
  --query.port=16686                  --admin.port=14269
  --log.level=info
  --listen=0.0.0.0                    every listener binds 127.0.0.1 until opened (docs/security.md)
Every setting is listed in docs/configuration.md.

${TRACEGEN_HELP}
${REDACT_CHECK_HELP}
${SCHEMA_HELP}`;

async function runRole(
  role: Role,
  configFile: string | undefined,
  overrides: Record<string, string>,
): Promise<number> {
  const load = () => loadConfig({ file: configFile, env: process.env, overrides });
  const config = load();
  const logger = pino({ level: config.log.level, base: { role } });
  const registry = new Registry();
  const reloader = new ConfigReloader({
    load,
    current: config,
    file: configFile,
    logger: logger.child({ component: 'config' }),
    registry,
  });
  const ctx: AppContext = { config, logger, registry, reloader, role };
  const app = await startModules(modules, roles[role], ctx, logger);
  ctx.started = true;
  reloader.start();

  const storagePath =
    config.storage.backend === 'clickhouse'
      ? `${config.storage.clickhouse.database} on ${config.storage.clickhouse.urls.join(', ')}`
      : config.storage.duckdb.path === ':memory:'
        ? ':memory: (nothing is kept)'
        : `${config.storage.duckdb.path}/skein.duckdb`;
  const width = Math.max(...app.endpoints.map((e) => e.name.length));
  const lines = [
    `skein ${VERSION}, role ${role}, storage ${config.storage.backend} ${storagePath}`,
  ];
  for (const note of app.notes) lines.push(`  ${note}`);
  // Where data comes in first, then where it is read, then the admin port.
  const rank = (name: string) =>
    name === 'query' || name === 'jaeger-ui' ? 1 : name === 'admin' ? 2 : 0;
  const endpoints = [...app.endpoints].sort((a, b) => rank(a.name) - rank(b.name));
  for (const e of endpoints) lines.push(`  ${e.name.padEnd(width)}  ${e.url}`);
  lines.push('skein is running; Ctrl-C stops it after writing everything it accepted');
  console.log(lines.join('\n'));

  return new Promise((resolve) => {
    let stoppingSince = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppingSince !== 0) {
        // Ctrl-C under `npm start` reaches us twice (from the terminal and from npm):
        // only a signal sent deliberately later cuts the flush short.
        if (Date.now() - stoppingSince < 2000) return;
        logger.warn({ signal }, 'second signal: exiting without waiting for the flush');
        process.exit(1);
      }
      stoppingSince = Date.now();
      logger.info({ signal }, 'stopping: no new spans are accepted; flushing what was accepted');
      ctx.admin?.markShuttingDown();
      reloader.stop();
      app.stop().then(
        () => {
          logger.info('stopped cleanly');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'failed to stop cleanly');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`skein: ${(err as Error).message}\nRun "skein --help" for usage.`);
    return 2;
  }
  switch (args.command) {
    case 'help':
      console.log(HELP);
      return 0;
    case 'version':
      console.log(VERSION);
      return 0;
    case 'tracegen':
      try {
        return await tracegenCommand(args.options);
      } catch (err) {
        console.error(`skein tracegen: ${(err as Error).message}`);
        return 2;
      }
    case 'redact-check':
      return redactCheckCommand(args.configFile, args.options);
    case 'schema':
      return schemaCommand(args.configFile, args.options);
    default:
      try {
        return await runRole(args.command, args.configFile, args.options);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`skein: ${err.message}`);
          return 2;
        }
        console.error(`skein: failed to start: ${(err as Error).message}`);
        return 1;
      }
  }
}

process.exit(await main(process.argv.slice(2)));
