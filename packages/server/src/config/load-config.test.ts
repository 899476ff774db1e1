import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../errors.ts';
import { defaultConfig } from './config.ts';
import { envNames, formatDefault, loadConfig } from './load-config.ts';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-config-'));
  const file = join(dir, 'skein.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  test('defaults when nothing is given', () => {
    assert.deepEqual(loadConfig(), defaultConfig);
  });

  test('file, then environment, then flags, each overriding the one before', () => {
    const file = yamlFile(
      'query:\n  port: 1000\nadmin:\n  port: 1001\nstorage:\n  retentionHours: 24\n',
    );
    const config = loadConfig({
      file,
      env: { SKEIN_ADMIN_PORT: '2001', SKEIN_RECEIVERS_OTLP_GRPC_ENABLED: 'false' },
      overrides: { 'storage.retentionHours': '48' },
    });
    assert.equal(config.query.port, 1000);
    assert.equal(config.admin.port, 2001);
    assert.equal(config.receivers.otlpGrpc.enabled, false);
    assert.equal(config.storage.retentionHours, 48);
    assert.equal(config.receivers.otlpHttp.port, 4318);
  });

  test('environment names are derived from the config paths', () => {
    const names = new Map(envNames(defaultConfig, ''));
    assert.equal(names.get('receivers.otlpGrpc.port'), 'SKEIN_RECEIVERS_OTLP_GRPC_PORT');
    assert.equal(names.get('storage.duckdb.path'), 'SKEIN_STORAGE_DUCKDB_PATH');
    assert.equal(names.get('pipeline.queue.maxSpans'), 'SKEIN_PIPELINE_QUEUE_MAX_SPANS');
  });

  test('an unknown key in the file is an error that names it', () => {
    const file = yamlFile('query:\n  prot: 1000\n');
    assert.throws(
      () => loadConfig({ file }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /query\.prot: unknown key; known keys here: enabled, host, port/);
        return true;
      },
    );
  });

  test('a value of the wrong type is an error', () => {
    assert.throws(
      () => loadConfig({ overrides: { 'query.port': 'eighty' } }),
      /expected a number, got "eighty"/,
    );
    assert.throws(
      () => loadConfig({ env: { SKEIN_ADMIN_ENABLED: 'yes' } }),
      /expected true or false/,
    );
  });

  test('out of range values are rejected', () => {
    assert.throws(
      () => loadConfig({ overrides: { 'query.port': '70000' } }),
      /port must be an integer from 0 to 65535/,
    );
    assert.throws(
      () => loadConfig({ overrides: { 'pipeline.writers': '0' } }),
      /must be a positive integer/,
    );
    assert.throws(() => loadConfig({ overrides: { 'log.level': 'loud' } }), /must be one of trace/);
    assert.throws(
      () => loadConfig({ overrides: { 'storage.duckdb.threads': '-1' } }),
      /storage\.duckdb\.threads.*must be a whole number ≥ 0/,
    );
    assert.equal(
      loadConfig({ overrides: { 'storage.duckdb.threads': '0' } }).storage.duckdb.threads,
      0,
    );
  });

  test('lists: replaced whole from YAML, comma-separated or JSON from the environment and flags', () => {
    const file = yamlFile(
      'pipeline:\n  processors:\n    redaction:\n      rules:\n        - { keys: [a.b], action: drop }\n',
    );
    const config = loadConfig({
      file,
      env: { SKEIN_PIPELINE_PROCESSORS_ORDER: 'spanMetrics, redaction' },
      overrides: { 'pipeline.processors.redaction.urlQuery': '["t", "k"]' },
    });
    assert.deepEqual(config.pipeline.processors.redaction.rules, [
      { keys: ['a.b'], action: 'drop' },
    ]);
    assert.deepEqual(config.pipeline.processors.order, ['spanMetrics', 'redaction']);
    assert.deepEqual(config.pipeline.processors.redaction.urlQuery, ['t', 'k']);
    assert.throws(
      () => loadConfig({ file: yamlFile('pipeline:\n  processors:\n    order: redaction\n') }),
      /pipeline\.processors\.order: expected a list/,
    );
  });

  test('${env:NAME} in YAML strings reads the environment; an unset one is an error', () => {
    const file = yamlFile(
      'pipeline:\n  processors:\n    redaction:\n      hashKey: "k-${env:HASH_KEY}"\n      rules: [{ values: ["${env:PATTERN}"], action: mask }]\n',
    );
    const config = loadConfig({ file, env: { HASH_KEY: 's3cret', PATTERN: 'x[0-9]+' } });
    assert.equal(config.pipeline.processors.redaction.hashKey, 'k-s3cret');
    assert.deepEqual(config.pipeline.processors.redaction.rules[0].values, ['x[0-9]+']);
    assert.throws(
      () => loadConfig({ file, env: { PATTERN: 'x' } }),
      /hashKey.*refers to \$\{env:HASH_KEY\}, but HASH_KEY is not set/,
    );
  });

  test('an unknown flag is an error', () => {
    assert.throws(
      () => loadConfig({ overrides: { 'query.nope': '1' } }),
      /unknown setting "query.nope"/,
    );
  });

  test('a missing or malformed file is reported with its path', () => {
    assert.throws(
      () => loadConfig({ file: '/nonexistent/skein.yaml' }),
      /\/nonexistent\/skein.yaml: cannot read the file/,
    );
    const bad = yamlFile('query: [1, 2\n');
    assert.throws(() => loadConfig({ file: bad }), /not valid YAML/);
  });
});

test('limits: positive span limits and timeouts, headers within the request timeout', () => {
  const config = loadConfig({
    overrides: { 'limits.span.maxAttributesPerSpan': '64', 'limits.http.headersTimeoutMs': '500' },
  });
  assert.equal(config.limits.span.maxAttributesPerSpan, 64);
  assert.equal(config.limits.http.headersTimeoutMs, 500);
  for (const [key, value, message] of [
    ['limits.span.maxSpanBytes', '0', /limits\.span\.maxSpanBytes.*positive integer/],
    ['limits.http.keepAliveTimeoutMs', '-1', /limits\.http\.keepAliveTimeoutMs.*positive integer/],
    [
      'limits.http.headersTimeoutMs',
      '120000',
      /headersTimeoutMs.*must not exceed limits\.http\.requestTimeoutMs/,
    ],
    ['limits.grpc.maxConcurrentStreams', '1.5', /limits\.grpc\.maxConcurrentStreams.*0 or more/],
  ] as const) {
    assert.throws(
      () => loadConfig({ overrides: { [key]: value } }),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      key,
    );
  }
});

test('docs/configuration.md documents every setting with its default', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
  for (const [path] of envNames(defaultConfig, '')) {
    const value = path
      .split('.')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], defaultConfig);
    assert.ok(
      doc.includes(`| \`${path}\` | \`${formatDefault(value)}\` |`),
      `docs/configuration.md lacks a row for ${path} = ${formatDefault(value)}`,
    );
  }
});
