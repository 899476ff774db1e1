import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import { applyListen } from '../security/listen-defaults.ts';
import { compileTenantSettings } from '../pipeline/tenant-limits/tenant-settings.ts';
import { defaultConfig, type SkeinConfig } from './config.ts';

/** Where configuration comes from, lowest precedence first. */
export interface ConfigSources {
  /** Path of a YAML file, if any (`--config`). */
  file?: string;
  /** Environment (`SKEIN_QUERY_PORT=16687` sets query.port). */
  env?: NodeJS.ProcessEnv;
  /** Dotted overrides from flags (`--query.port=16687`), values as strings. */
  overrides?: Record<string, string>;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const BACKENDS = ['duckdb', 'clickhouse'];

/**
 * Builds the effective configuration: defaults ← YAML file ← environment ← flags.
 * Unknown keys and values of the wrong type are errors (a typo must not be ignored).
 * @throws ConfigError naming the offending key and what it accepts.
 */
export function loadConfig(sources: ConfigSources = {}): SkeinConfig {
  const config = structuredClone(defaultConfig);
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError([sources.file, `cannot read the file (${(err as Error).message})`], {
        cause: err,
      });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ConfigError([sources.file, `not valid YAML: ${(err as Error).message}`], {
        cause: err,
      });
    }
    if (doc !== null && doc !== undefined)
      mergeObject(
        config as unknown as Record<string, unknown>,
        doc,
        sources.file,
        '',
        sources.env ?? process.env,
      );
  }
  for (const [path, envName] of envNames(defaultConfig, '')) {
    const raw = sources.env?.[envName];
    if (raw !== undefined && raw !== '') setPath(config, path, raw, `environment ${envName}`);
  }
  for (const [path, raw] of Object.entries(sources.overrides ?? {})) {
    // `--listen=0.0.0.0` is security.listen: every listener left at its default host opens.
    setPath(config, path === 'listen' ? 'security.listen' : path, raw, `--${path}`);
  }
  applyListen(config);
  validate(config);
  return config;
}

/** Every leaf path of the default config with its environment variable name. */
export function envNames(obj: object, prefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      out.push(...envNames(value, path));
    else
      out.push([
        path,
        'SKEIN_' +
          path
            .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
            .replace(/\./g, '_')
            .toUpperCase(),
      ]);
  }
  return out;
}

/** A default as docs/configuration.md shows it: lists as JSON, everything else as text. */
export function formatDefault(value: unknown): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

function mergeObject(
  target: Record<string, unknown>,
  src: unknown,
  where: string,
  path: string,
  env: NodeJS.ProcessEnv,
): void {
  if (src === null || typeof src !== 'object' || Array.isArray(src)) {
    throw new ConfigError([
      `${where}: ${path || '(top level)'}`,
      'expected a mapping of keys to values',
    ]);
  }
  for (const [key, value] of Object.entries(src)) {
    const keyPath = path === '' ? key : `${path}.${key}`;
    if (!Object.hasOwn(target, key)) {
      throw new ConfigError([
        `${where}: ${keyPath}`,
        `unknown key; known keys here: ${Object.keys(target).join(', ')}`,
      ]);
    }
    const current = target[key];
    if (keyPath === 'tenants.overrides') {
      // Keyed by tenant name: taken as written, checked by compileTenantSettings.
      target[key] = expandEnvRefs(value, `${where}: ${keyPath}`, env);
    } else if (Array.isArray(current)) {
      if (!Array.isArray(value)) {
        throw new ConfigError([
          `${where}: ${keyPath}`,
          `expected a list, got ${JSON.stringify(value)}`,
        ]);
      }
      target[key] = expandEnvRefs(value, `${where}: ${keyPath}`, env);
    } else if (current !== null && typeof current === 'object') {
      mergeObject(current as Record<string, unknown>, value, where, keyPath, env);
    } else {
      target[key] = coerce(current, value, `${where}: ${keyPath}`, env);
    }
  }
}

function setPath(config: SkeinConfig, path: string, raw: string, where: string): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = config as unknown as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = node[parts[i]];
    if (next === null || typeof next !== 'object') {
      throw new ConfigError([where, `unknown setting "${path}"; see docs/configuration.md`]);
    }
    node = next as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1];
  const current = node[leaf];
  if (
    !Object.hasOwn(node, leaf) ||
    (current !== null && typeof current === 'object' && !Array.isArray(current))
  ) {
    throw new ConfigError([where, `unknown setting "${path}"; see docs/configuration.md`]);
  }
  node[leaf] = Array.isArray(current) ? parseList(raw, where) : coerce(current, raw, where);
}

/**
 * A list from an environment variable or flag: YAML/JSON when it starts with `[`
 * (`[{"keys":["x"],"action":"drop"}]`), otherwise comma-separated strings.
 */
function parseList(raw: string, where: string): unknown[] {
  const text = raw.trim();
  if (text.startsWith('[')) {
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (err) {
      throw new ConfigError([where, `not a valid YAML/JSON list: ${(err as Error).message}`], {
        cause: err,
      });
    }
    if (!Array.isArray(value)) throw new ConfigError([where, 'expected a list']);
    return value as unknown[];
  }
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${env:NAME}` in the strings of a YAML value (the OpenTelemetry Collector's
 * convention), so secrets can stay out of the file.
 * @throws ConfigError when a referenced variable is not set.
 */
export function expandEnvRefs<T>(value: T, where: string, env: NodeJS.ProcessEnv = process.env): T {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_match, name: string) => {
      const found = env[name];
      if (found === undefined) {
        throw new ConfigError([where, `refers to \${env:${name}}, but ${name} is not set`]);
      }
      return found;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item) => expandEnvRefs(item, where, env)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnvRefs(v, `${where}.${k}`, env);
    return out as T;
  }
  return value;
}

/** Converts `value` to the type of the default `current`; strings from env/flags are parsed. */
function coerce(
  current: unknown,
  value: unknown,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): unknown {
  switch (typeof current) {
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        throw new ConfigError([where, `expected a number, got ${JSON.stringify(value)}`]);
      }
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw new ConfigError([where, `expected true or false, got ${JSON.stringify(value)}`]);
    }
    default: {
      if (typeof value === 'number') return String(value);
      if (typeof value !== 'string') {
        throw new ConfigError([where, `expected a string, got ${JSON.stringify(value)}`]);
      }
      return expandEnvRefs(value, where, env);
    }
  }
}

/** ClickHouse names are written unquoted into DDL: plain identifiers only. */
const CLICKHOUSE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function validateClickHouse(ch: SkeinConfig['storage']['clickhouse']): void {
  if (
    ch.urls.length === 0 ||
    !ch.urls.every((u) => typeof u === 'string' && /^https?:\/\/[^/]+/.test(u))
  ) {
    throw new ConfigError([
      'storage.clickhouse.urls',
      'must list at least one HTTP url of a ClickHouse node (http://host:8123)',
    ]);
  }
  if (!CLICKHOUSE_IDENTIFIER.test(ch.database)) {
    throw new ConfigError([
      'storage.clickhouse.database',
      `must be a plain name (letters, digits, _), got "${ch.database}"`,
    ]);
  }
  if (ch.cluster !== '' && !CLICKHOUSE_IDENTIFIER.test(ch.cluster)) {
    throw new ConfigError([
      'storage.clickhouse.cluster',
      `must be '' or a cluster name of remote_servers (letters, digits, _), got "${ch.cluster}"`,
    ]);
  }
  checkPositive('storage.clickhouse.requestTimeoutMs', ch.requestTimeoutMs);
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError([name, `port must be an integer from 0 to 65535, got ${port}`]);
  }
}

function checkPositive(name: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new ConfigError([name, `must be a positive integer, got ${n}`]);
  }
}

function validate(c: SkeinConfig): void {
  checkPort('receivers.otlpGrpc.port', c.receivers.otlpGrpc.port);
  checkPort('receivers.otlpHttp.port', c.receivers.otlpHttp.port);
  checkPort('receivers.zipkin.port', c.receivers.zipkin.port);
  checkPositive('receivers.zipkin.queryLookbackMs', c.receivers.zipkin.queryLookbackMs);
  checkPort('receivers.jaegerThriftHttp.port', c.receivers.jaegerThriftHttp.port);
  checkPort('receivers.jaegerGrpc.port', c.receivers.jaegerGrpc.port);
  for (const name of ['jaegerAgentCompact', 'jaegerAgentBinary'] as const) {
    checkPort(`receivers.${name}.port`, c.receivers[name].port);
    checkPositive(`receivers.${name}.receiveBufferBytes`, c.receivers[name].receiveBufferBytes);
  }
  checkPort('query.port', c.query.port);
  checkPort('query.jaegerUi.port', c.query.jaegerUi.port);
  if (c.query.jaegerUi.dir !== '' && c.query.jaegerUi.port === c.query.port && c.query.port !== 0) {
    throw new ConfigError([
      'query.jaegerUi.port',
      `must differ from query.port (${c.query.port}): Skein's UI owns / there`,
    ]);
  }
  checkPort('admin.port', c.admin.port);
  checkPort('sampling.http.port', c.sampling.http.port);
  checkPort('sampling.grpc.port', c.sampling.grpc.port);
  if (
    c.sampling.strategiesFile !== '' &&
    JSON.stringify(c.sampling.strategies) !== JSON.stringify(defaultConfig.sampling.strategies)
  ) {
    throw new ConfigError([
      'sampling.strategies',
      'set either sampling.strategiesFile (a Jaeger strategies JSON file) or sampling.strategies (the same in this file), not both',
    ]);
  }
  checkPositive('receivers.maxBodyBytes', c.receivers.maxBodyBytes);
  checkPositive('pipeline.queue.maxSpans', c.pipeline.queue.maxSpans);
  checkPositive('pipeline.queue.maxBytes', c.pipeline.queue.maxBytes);
  checkPositive('pipeline.batch.maxSpans', c.pipeline.batch.maxSpans);
  checkPositive('pipeline.batch.maxDelayMs', c.pipeline.batch.maxDelayMs);
  checkPositive('pipeline.writers', c.pipeline.writers);
  checkPositive('pipeline.retryAfterSeconds', c.pipeline.retryAfterSeconds);
  checkPositive('pipeline.intake.segmentBytes', c.pipeline.intake.segmentBytes);
  checkPositive('storage.duckdb.memoryLimitMB', c.storage.duckdb.memoryLimitMB);
  if (!Number.isInteger(c.storage.duckdb.threads) || c.storage.duckdb.threads < 0) {
    throw new ConfigError([
      'storage.duckdb.threads',
      `must be a whole number ≥ 0 (0: one per core), got ${String(c.storage.duckdb.threads)}`,
    ]);
  }
  checkPositive('storage.retentionHours', c.storage.retentionHours);
  checkPositive('storage.purgeIntervalMinutes', c.storage.purgeIntervalMinutes);
  validateClickHouse(c.storage.clickhouse);
  checkPositive('query.defaultLimit', c.query.defaultLimit);
  checkPositive('query.maxLimit', c.query.maxLimit);
  checkPositive('query.maxConcurrentQueries', c.query.maxConcurrentQueries);
  checkPositive('query.queueTimeoutMs', c.query.queueTimeoutMs);
  checkPositive('query.maxResponseBytes', c.query.maxResponseBytes);
  checkPositive('query.maxTransformBodyBytes', c.query.maxTransformBodyBytes);
  if (!Number.isInteger(c.query.maxQueuedQueries) || c.query.maxQueuedQueries < 0) {
    throw new ConfigError([
      'query.maxQueuedQueries',
      `must be a whole number ≥ 0, got ${String(c.query.maxQueuedQueries)}`,
    ]);
  }
  if (c.query.defaultLimit > c.query.maxLimit) {
    throw new ConfigError([
      'query.defaultLimit',
      `must not exceed query.maxLimit (${c.query.maxLimit})`,
    ]);
  }
  validateLimits(c.limits);
  if (!BACKENDS.includes(c.storage.backend)) {
    throw new ConfigError([
      'storage.backend',
      `must be one of ${BACKENDS.join(', ')}, got "${c.storage.backend}"`,
    ]);
  }
  validateBuffer(c.buffer);
  compileTenantSettings(c);
  if (!LOG_LEVELS.includes(c.log.level)) {
    throw new ConfigError([
      'log.level',
      `must be one of ${LOG_LEVELS.join(', ')}, got "${c.log.level}"`,
    ]);
  }
  if (c.storage.duckdb.path === '') {
    throw new ConfigError(['storage.duckdb.path', "must be a directory or ':memory:'"]);
  }
}

function validateBuffer(b: SkeinConfig['buffer']): void {
  if (b.kind !== 'none' && b.kind !== 'nats') {
    throw new ConfigError(['buffer.kind', `must be one of none, nats, got "${String(b.kind)}"`]);
  }
  const n = b.nats;
  if (n.urls.length === 0 || !n.urls.every((u) => typeof u === 'string' && u !== '')) {
    throw new ConfigError(['buffer.nats.urls', 'must list at least one nats://host:port']);
  }
  for (const [key, value] of [
    ['stream', n.stream],
    ['subjectPrefix', n.subjectPrefix],
  ] as const) {
    if (
      !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(value) ||
      (key === 'stream' && value.includes('.'))
    ) {
      throw new ConfigError([
        `buffer.nats.${key}`,
        `must be letters, digits, '-' and '_'${key === 'subjectPrefix' ? " in '.'-separated tokens" : ''}, got "${value}"`,
      ]);
    }
  }
  checkPositive('buffer.nats.partitions', n.partitions);
  checkPositive('buffer.nats.replicas', n.replicas);
  checkPositive('buffer.nats.maxAgeHours', n.maxAgeHours);
  checkNonNegative('buffer.nats.maxBytes', n.maxBytes);
  checkPositive('buffer.nats.publishTimeoutMs', n.publishTimeoutMs);
  checkPositive('buffer.nats.retryAfterSeconds', n.retryAfterSeconds);
  checkPositive('buffer.nats.ackWaitSeconds', n.ackWaitSeconds);
  checkPositive('buffer.nats.leaseTtlMs', n.leaseTtlMs);
  checkPositive('buffer.nats.fetchBatches', n.fetchBatches);
  if (n.leaseTtlMs < 1000) {
    throw new ConfigError(['buffer.nats.leaseTtlMs', `must be at least 1000, got ${n.leaseTtlMs}`]);
  }
}

function checkNonNegative(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError([name, `must be an integer of 0 or more, got ${n}`]);
  }
}

function validateLimits(limits: SkeinConfig['limits']): void {
  for (const [key, value] of Object.entries(limits.span))
    checkPositive(`limits.span.${key}`, value);
  for (const [key, value] of Object.entries(limits.http))
    checkPositive(`limits.http.${key}`, value);
  if (limits.http.headersTimeoutMs > limits.http.requestTimeoutMs) {
    throw new ConfigError([
      'limits.http.headersTimeoutMs',
      `must not exceed limits.http.requestTimeoutMs (${limits.http.requestTimeoutMs}): the headers are part of the request`,
    ]);
  }
  for (const [key, value] of Object.entries(limits.grpc))
    checkNonNegative(`limits.grpc.${key}`, value);
  checkPositive('limits.grpc.keepaliveTimeMs', limits.grpc.keepaliveTimeMs);
  checkPositive('limits.grpc.keepaliveTimeoutMs', limits.grpc.keepaliveTimeoutMs);
}
