import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load-config.ts';
import { exposedListeners } from './listen-defaults.ts';
import { SecurityLayer } from './security-layer.ts';

const TOKENS = JSON.stringify([
  { name: 't', secret: 'a-secret-of-enough-length', scopes: ['ingest'] },
]);

test('every listener binds 127.0.0.1 by default; the banner says auth is off and nothing is exposed', () => {
  const config = loadConfig({ env: {} });
  assert.deepEqual(exposedListeners(config), []);
  const layer = new SecurityLayer({
    config,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  });
  assert.deepEqual(layer.notes(), ['auth: off (every listener is on loopback)']);
});

test('--listen opens every listener left at its default host; one set explicitly keeps it', () => {
  const config = loadConfig({
    env: {},
    overrides: { listen: '0.0.0.0', 'admin.host': '127.0.0.2' },
  });
  assert.equal(config.receivers.otlpGrpc.host, '0.0.0.0');
  assert.equal(config.query.host, '0.0.0.0');
  assert.equal(config.sampling.grpc.host, '0.0.0.0');
  assert.equal(config.receivers.jaegerAgentCompact.host, '0.0.0.0', 'auth off: UDP opens too');
  assert.equal(config.admin.host, '127.0.0.2');
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  const notes = new SecurityLayer({ config, registry: new Registry(), logger }).notes();
  assert.equal(notes.length, 1);
  assert.match(
    notes[0],
    /^WARNING: auth is off and otlp-grpc 0\.0\.0\.0:4317, .*query 0\.0\.0\.0:16686.* are reachable from other hosts/,
  );
  assert.doesNotMatch(notes[0], /admin/, '127.0.0.2 is loopback');
  assert.equal(lines.length, 1, 'the warning is logged too');
  assert.match(JSON.parse(lines[0]).msg as string, /auth is off/);
});

test('with auth on, --listen leaves the UDP agent ports on loopback (a datagram carries no credentials)', () => {
  const config = loadConfig({
    env: { SKEIN_SECURITY_TOKENS: TOKENS },
    overrides: { listen: '0.0.0.0' },
  });
  assert.equal(config.receivers.otlpHttp.host, '0.0.0.0');
  assert.equal(config.receivers.jaegerAgentCompact.host, '127.0.0.1');
  assert.equal(config.receivers.jaegerAgentBinary.host, '127.0.0.1');
  const notes = new SecurityLayer({
    config,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  }).notes();
  assert.deepEqual(notes, ['auth: on (1 static token(s)); tenant header x-scope-orgid / x-tenant']);
  // Opened explicitly, they are named in a warning.
  const opened = loadConfig({
    env: { SKEIN_SECURITY_TOKENS: TOKENS },
    overrides: { 'receivers.jaegerAgentBinary.host': '0.0.0.0' },
  });
  const warned = new SecurityLayer({
    config: opened,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  }).notes();
  assert.match(
    warned[1],
    /WARNING: jaeger-agent-binary 0\.0\.0\.0:6832 take spans without credentials/,
  );
});
