import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import { createQueryApp } from './query-app.ts';
import { registerUi } from './ui-static.ts';

const INDEX = '<!doctype html><title>Skein</title><div id="app"></div>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

describe('web UI served by the query app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-ui-'));
  const storage = new DuckDbStorage({ path: ':memory:' });
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  before(async () => {
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), INDEX);
    writeFileSync(join(dir, 'dist', 'assets', 'index-abc123.js'), SCRIPT);
    await storage.open();
    const opts = { reader: storage, defaultLimit: 20, maxLimit: 1500 };
    app = await createQueryApp(opts);
    await registerUi(app, join(dir, 'dist'));
    unbuilt = await createQueryApp(opts);
    await registerUi(unbuilt, join(dir, 'missing'));
  });

  after(async () => {
    await app.close();
    await unbuilt.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/ and every client-side route answer index.html, revalidated on each load', async () => {
    for (const url of [
      '/',
      '/search',
      '/search?service=cart&lookback=1h',
      '/trace/0af7651916cd43dd',
      '/trace/abc?span=def',
      '/dependencies',
      '/monitor?service=cart&lookback=15m',
      '/completeness?service=frontend&lookback=48h&cause=split_trace',
      '/sampling?service=cart&sort=observed&order=desc',
      '/upload',
      '/compare/a...b',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
    }
  });

  test('hashed assets are served with their type, cached for good, gzipped when asked', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, SCRIPT);
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.match(String(plain.headers['cache-control']), /immutable/);
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.rawPayload).toString(), SCRIPT);
    assert.ok(gz.rawPayload.length < SCRIPT.length / 4);
  });

  test('the API is untouched: its routes answer, unknown /api paths and other files are JSON 404s', async () => {
    const services = await app.inject({ method: 'GET', url: '/api/services' });
    assert.equal(services.statusCode, 200);
    assert.deepEqual(services.json().data, []);
    const legacy = await app.inject({ method: 'GET', url: '/api/nothing' });
    assert.equal(legacy.statusCode, 404);
    assert.match(legacy.json().errors[0].msg, /no endpoint GET \/api\/nothing/);
    const v3 = await app.inject({ method: 'GET', url: '/api/v3/nothing' });
    assert.equal(v3.statusCode, 404);
    assert.equal(v3.json().error.httpCode, 404);
    for (const url of ['/assets/missing.js', '/favicon.ico', '/metrics', '/trace/a/b']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(res.json().errors[0].msg, /no endpoint/, url);
    }
  });

  test('without a build, the UI paths say how to build it and the API still works', async () => {
    const page = await unbuilt.inject({ method: 'GET', url: '/trace/abc' });
    assert.equal(page.statusCode, 503);
    assert.match(page.body, /npm run build/);
    const asset = await unbuilt.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 404);
    const api = await unbuilt.inject({ method: 'GET', url: '/api/services' });
    assert.equal(api.statusCode, 200);
  });
});
