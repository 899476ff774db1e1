import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../errors.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import { registerJaegerUi, type JaegerUiOptions } from './jaeger-ui-static.ts';
import { createQueryApp } from './query-app.ts';

/**
 * The lines of Jaeger UI v2.19.0's index.html that the query service rewrites, as the
 * published build has them (packages/jaeger-ui/build/index.html).
 */
const V219_SCRIPT = `<script>
      function getJaegerUiConfig() {
        if (typeof window.UIConfig === 'function') {
          return UIConfig();
        }
        const DEFAULT_CONFIG = null;
        // Important! Do not alter the following line; Jaeger looks for that exact pattern.
        const JAEGER_CONFIG = DEFAULT_CONFIG;
        return JAEGER_CONFIG;
      }
      // Jaeger storage compabilities data is embedded by the query-service via search-replace.
      function getJaegerStorageCapabilities() {
        const DEFAULT_STORAGE_CAPABILITIES = { archiveStorage: false, metricsStorage: false };
        const JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;
        return JAEGER_STORAGE_CAPABILITIES;
      }
      // Jaeger version data is embedded by Jaeger backend via search/replace.
      function getJaegerVersion() {
        const DEFAULT_VERSION = { gitCommit: '', gitVersion: '', buildDate: '' };
        // Important! Do not alter the following line; Jaeger looks for that exact pattern.
        const JAEGER_VERSION = DEFAULT_VERSION;
        return JAEGER_VERSION;
      }
    </script>`;

/** Later builds name the capabilities line for the backend (Jaeger's static handler). */
const BACKEND_SCRIPT = `<script>
      function getJaegerUiConfig() {
        const DEFAULT_CONFIG = null;
        const JAEGER_CONFIG = DEFAULT_CONFIG;
        return JAEGER_CONFIG;
      }
      function getJaegerBackendCapabilities() {
        const DEFAULT_BACKEND_CAPABILITIES = { archiveStorage: false, metricsStorage: false };
        const JAEGER_BACKEND_CAPABILITIES = DEFAULT_BACKEND_CAPABILITIES;
        return JAEGER_BACKEND_CAPABILITIES;
      }
      function getJaegerVersion() {
        const DEFAULT_VERSION = { gitCommit: '', gitVersion: '', buildDate: '' };
        const JAEGER_VERSION = DEFAULT_VERSION;
        return JAEGER_VERSION;
      }
    </script>`;

const page = (script: string) => `<!doctype html>
<html lang="en">
  <head>
    <title>Jaeger UI</title>
    ${script}
    <script type="module" crossorigin src="./static/index-CIDAeknr.js"></script>
    <link rel="stylesheet" crossorigin href="./static/index-ds3nMYVT.css">
  </head>
  <body><div id="jaeger-ui-root"></div></body>
</html>`;

const SCRIPT = `console.log(${JSON.stringify('jaeger'.repeat(1000))});`;
const STYLE = 'body { margin: 0 }';
const SECRET = 'not-for-the-browser-4c2f';

const SKEIN_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Runs the page's config script as a browser would and returns what the UI reads from it. */
function pageGlobals(html: string): Record<string, unknown> {
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script !== undefined, 'the page keeps its config script');
  const window: Record<string, unknown> = {};
  runInNewContext(
    `${script}
     out.config = getJaegerUiConfig();
     out.version = getJaegerVersion();
     if (typeof getJaegerStorageCapabilities === 'function') out.storage = getJaegerStorageCapabilities();
     if (typeof getJaegerBackendCapabilities === 'function') out.backend = getJaegerBackendCapabilities();`,
    { window, out: window },
  );
  // Plain objects of this realm, so that deepEqual compares values only.
  return JSON.parse(JSON.stringify(window)) as Record<string, unknown>;
}

describe('Jaeger UI build served by a query app', () => {
  const root = mkdtempSync(join(tmpdir(), 'skein-jaeger-ui-'));
  const build = join(root, 'build');
  const storage = new DuckDbStorage({ path: ':memory:' });
  const apps: FastifyInstance[] = [];
  let app: FastifyInstance;

  async function serve(overrides: Partial<JaegerUiOptions> = {}): Promise<FastifyInstance> {
    const served = await createQueryApp({ reader: storage, defaultLimit: 20, maxLimit: 1500 });
    apps.push(served);
    await registerJaegerUi(served, {
      dir: build,
      configFile: '',
      capabilities: { archiveStorage: false, metricsStorage: true },
      maxLimit: 1500,
      ...overrides,
    });
    return served;
  }

  function writeBuild(dir: string, script: string): void {
    mkdirSync(join(dir, 'static'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), page(script));
    writeFileSync(join(dir, 'static', 'index-CIDAeknr.js'), SCRIPT);
    writeFileSync(join(dir, 'static', 'index-ds3nMYVT.css'), STYLE);
  }

  before(async () => {
    writeBuild(build, V219_SCRIPT);
    writeFileSync(join(root, 'secret.txt'), SECRET);
    await storage.open();
    app = await serve();
  });

  after(async () => {
    for (const a of apps) await a.close();
    await storage.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('index.html carries the UI config, the capabilities and the version', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    const globals = pageGlobals(res.body);
    assert.deepEqual(globals.config, {
      monitor: { menuEnabled: true },
      qualityMetrics: {
        menuEnabled: true,
        menuLabel: 'Trace Quality',
        apiEndpoint: '/api/quality-metrics',
      },
      search: { maxLimit: 1500 },
    });
    assert.deepEqual(globals.storage, { archiveStorage: false, metricsStorage: true });
    assert.deepEqual(globals.version, {
      gitCommit: '',
      gitVersion: `(Skein ${SKEIN_VERSION})`,
      buildDate: '',
    });
    // The rest of the page is the build's.
    assert.match(
      res.body,
      /<script type="module" crossorigin src="\.\/static\/index-CIDAeknr\.js">/,
    );
  });

  test('without span metrics the page is told there is no metrics storage', async () => {
    const plain = await serve({ capabilities: { archiveStorage: false, metricsStorage: false } });
    const globals = pageGlobals((await plain.inject({ method: 'GET', url: '/' })).body);
    assert.deepEqual(globals.storage, { archiveStorage: false, metricsStorage: false });
  });

  test('a build with the backend-capabilities line gets those, with search without a service', async () => {
    const dir = join(root, 'backend-build');
    writeBuild(dir, BACKEND_SCRIPT);
    const served = await serve({ dir });
    const globals = pageGlobals((await served.inject({ method: 'GET', url: '/' })).body);
    assert.deepEqual(globals.backend, {
      archiveStorage: false,
      metricsStorage: true,
      searchWithoutServiceName: true,
      aiAssistant: false,
    });
    assert.equal((globals.config as { monitor: unknown }).monitor !== undefined, true);
  });

  test('the config file is merged over Skein’s: objects key by key, lists and values replace', async () => {
    const file = join(root, 'ui-config.json');
    writeFileSync(
      file,
      JSON.stringify({
        qualityMetrics: { menuLabel: 'Completeness' },
        monitor: { menuEnabled: false, docsLink: 'https://example.com/spm' },
        linkPatterns: [{ type: 'tags', key: 'user.id', url: 'https://example.com/u/#{user.id}' }],
        search: { maxLimit: 200 },
        dependencies: { menuEnabled: false },
        menu: [{ label: '</script><script>alert(1)</script>', url: 'https://example.com' }],
      }),
    );
    const served = await serve({ configFile: file });
    const res = await served.inject({ method: 'GET', url: '/' });
    assert.doesNotMatch(
      res.body,
      /<\/script><script>alert/,
      'config values cannot close the script',
    );
    assert.deepEqual(pageGlobals(res.body).config, {
      monitor: { menuEnabled: false, docsLink: 'https://example.com/spm' },
      qualityMetrics: {
        menuEnabled: true,
        menuLabel: 'Completeness',
        apiEndpoint: '/api/quality-metrics',
      },
      search: { maxLimit: 200 },
      linkPatterns: [{ type: 'tags', key: 'user.id', url: 'https://example.com/u/#{user.id}' }],
      dependencies: { menuEnabled: false },
      menu: [{ label: '</script><script>alert(1)</script>', url: 'https://example.com' }],
    });
  });

  test('client-side routes answer the same index.html', async () => {
    const index = (await app.inject({ method: 'GET', url: '/' })).body;
    for (const url of [
      '/index.html',
      '/search',
      '/search?service=frontend&lookback=1h&limit=20',
      '/trace/4bf92f3577b34da6a3ce929d0e0e4736',
      '/trace/4bf92f3577b34da6a3ce929d0e0e4736...00f067aa0ba902b7ffffffffffffffff',
      '/monitor',
      '/quality-metrics?service=frontend&lookback=1',
      '/dependencies',
      '/deep-dependencies',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
      assert.equal(res.body, index, url);
    }
  });

  test('assets are served with their content type, cached for good, gzipped when asked', async () => {
    const js = await app.inject({ method: 'GET', url: '/static/index-CIDAeknr.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.body, SCRIPT);
    const css = await app.inject({ method: 'GET', url: '/static/index-ds3nMYVT.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.body, STYLE);
    const zipped = await app.inject({
      method: 'GET',
      url: '/static/index-CIDAeknr.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), SCRIPT);
  });

  test('links to Skein UI pages (Quality Metrics → /completeness) go to Skein’s port', async () => {
    const linked = await serve({ skeinUiPort: () => 16686 });
    const res = await linked.inject({
      method: 'GET',
      url: '/completeness?service=frontend&lookback=1h',
      headers: { host: 'tracing.example:16687' },
    });
    assert.equal(res.statusCode, 302);
    assert.equal(
      res.headers.location,
      'http://tracing.example:16686/completeness?service=frontend&lookback=1h',
    );
    // Without the port it is a route like any other.
    const plain = await app.inject({ method: 'GET', url: '/completeness' });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /^text\/html/);
  });

  test('a missing asset is a 404, not the page', async () => {
    const res = await app.inject({ method: 'GET', url: '/static/index-gone1234.js' });
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('no path reaches outside the build folder', async () => {
    for (const url of [
      '/../secret.txt',
      '/static/../../secret.txt',
      '/static/..%2f..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/static/%E0%A4%A',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.ok([200, 400, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
      assert.ok(!res.body.includes(SECRET), url);
    }
  });

  test('the query API is served beside it; unknown /api paths keep the JSON 404', async () => {
    const services = await app.inject({ method: 'GET', url: '/api/services' });
    assert.equal(services.statusCode, 200);
    assert.deepEqual(services.json().data, []);
    const unknown = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().errors[0].code, 404);
  });

  test('a folder without index.html, or with another index.html, is a ConfigError', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await assert.rejects(serve({ dir: empty }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /query\.jaegerUi\.dir: .*empty has no index\.html/);
      return true;
    });
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'index.html'), '<!doctype html><title>Not Jaeger</title>');
    await assert.rejects(serve({ dir: other }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /query\.jaegerUi\.dir: .* is not Jaeger UI's index\.html/);
      return true;
    });
  });

  test('a config file that is missing, not JSON or not an object is a ConfigError', async () => {
    const notJson = join(root, 'ui-config.js');
    writeFileSync(notJson, 'function UIConfig() { return {}; }');
    const list = join(root, 'list.json');
    writeFileSync(list, '[1, 2]');
    for (const [configFile, why] of [
      [join(root, 'missing.json'), /cannot read .*missing\.json/],
      [notJson, /ui-config\.js is not valid JSON/],
      [list, /must hold a JSON object .*got a list/],
    ] as const) {
      await assert.rejects(serve({ configFile }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, configFile);
        assert.match(err.message, /query\.jaegerUi\.configFile/);
        assert.match(err.message, why);
        return true;
      });
    }
  });
});
