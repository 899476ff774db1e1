import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from '../config/config.ts';
import { HttpGuardSlot } from './guard-slots.ts';
import { identityOf } from './identity.ts';
import { SecurityLayer } from './security-layer.ts';

const SECRET = 'raw-http-guard-secret-0001';

/** A raw node:http server like the receivers', behind the guard of `listener`. */
async function guarded(cors: string[]) {
  const config = structuredClone(defaultConfig);
  config.security.tokens = [{ name: 'ingest', secret: SECRET, scopes: ['ingest'] }];
  config.security.cors.otlpHttp = cors;
  const layer = new SecurityLayer({
    config,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  });
  const slot = new HttpGuardSlot(['POST /v1/traces']);
  const seen: (string | undefined)[] = [];
  const server = slot.attach(
    createServer(
      slot.handler(
        (req, res) => {
          seen.push(identityOf(req)?.principal.name);
          res.end('handled');
        },
        () => undefined,
      ),
    ),
  );
  slot.protect(layer.http('otlp-http'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise((r) => server.close(r)) };
}

test('raw HTTP listener: refused before the handler runs; admitted requests carry their identity', async (t) => {
  const s = await guarded([]);
  t.after(s.close);
  const none = await fetch(`${s.base}/v1/traces`, { method: 'POST', body: '{}' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="skein"');
  assert.equal(none.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await none.text(), /no credentials were sent/);
  const ok = await fetch(`${s.base}/v1/traces`, {
    method: 'POST',
    body: '{}',
    headers: { authorization: `Bearer ${SECRET}` },
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(s.seen, ['ingest'], 'only the admitted request reached the handler');
  // No allowlist: a preflight is not answered as CORS (it needs credentials like any unknown route).
  const preflight = await fetch(`${s.base}/v1/traces`, {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 401);
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
});

test('raw HTTP listener with a CORS allowlist: preflights answered before auth, allowed origins echoed', async (t) => {
  const s = await guarded(['https://shop.example.com']);
  t.after(s.close);
  const preflight = (origin: string) =>
    fetch(`${s.base}/v1/traces`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
  const ok = await preflight('https://shop.example.com');
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://shop.example.com');
  assert.equal(ok.headers.get('vary'), 'Origin');
  assert.match(ok.headers.get('access-control-allow-headers') ?? '', /authorization/);
  const denied = await preflight('https://evil.example.com');
  assert.equal(denied.status, 403);
  assert.equal(denied.headers.get('access-control-allow-origin'), null);
  const post = await fetch(`${s.base}/v1/traces`, {
    method: 'POST',
    body: '{}',
    headers: { origin: 'https://shop.example.com', authorization: `Bearer ${SECRET}` },
  });
  assert.equal(post.status, 200);
  assert.equal(post.headers.get('access-control-allow-origin'), 'https://shop.example.com');
  assert.equal(s.seen.length, 1, 'preflights never reach the handler');
});

test('security.cors entries must be origins', () => {
  const config = structuredClone(defaultConfig);
  config.security.cors.zipkin = ['https://ok.example.com', 'https://bad.example.com/path'];
  assert.throws(
    () =>
      new SecurityLayer({ config, registry: new Registry(), logger: pino({ level: 'silent' }) }),
    /security\.cors\.zipkin.*is not an origin/,
  );
});

test('admin: /health and /ready are public, /metrics needs the admin scope unless security.metricsOpen', async (t) => {
  const { AdminServer } = await import('../admin/admin-server.ts');
  for (const metricsOpen of [false, true]) {
    const config = structuredClone(defaultConfig);
    config.security.tokens = [{ name: 'ops', secret: SECRET, scopes: ['admin'] }];
    config.security.metricsOpen = metricsOpen;
    config.admin.port = 0;
    const logger = pino({ level: 'silent' });
    const registry = new Registry();
    const admin = new AdminServer(config.admin, registry, logger);
    admin.protect(new SecurityLayer({ config, registry, logger }).http('admin'));
    const { port } = await admin.start();
    t.after(() => admin.stop());
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, metricsOpen ? 200 : 401);
    const withToken = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    assert.equal(withToken.status, 200);
    assert.match(await withToken.text(), /skein_auth_failures_total/);
  }
});
