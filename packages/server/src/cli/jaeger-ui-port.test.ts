import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../errors.ts';
import { startModules, type App } from './app.ts';
import { modules, roles, type AppContext } from './roles.ts';

/** The placeholder lines of a published Jaeger UI index.html (v2.19.0). */
const INDEX = `<!doctype html><html><head><script>
      function getJaegerUiConfig() {
        const DEFAULT_CONFIG = null;
        const JAEGER_CONFIG = DEFAULT_CONFIG;
        return JAEGER_CONFIG;
      }
      function getJaegerStorageCapabilities() {
        const DEFAULT_STORAGE_CAPABILITIES = { archiveStorage: false, metricsStorage: false };
        const JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;
        return JAEGER_STORAGE_CAPABILITIES;
      }
      function getJaegerVersion() {
        const DEFAULT_VERSION = { gitCommit: '', gitVersion: '', buildDate: '' };
        const JAEGER_VERSION = DEFAULT_VERSION;
        return JAEGER_VERSION;
      }
</script><script type="module" src="./static/index-CIDAeknr.js"></script></head>
<body><div id="jaeger-ui-root"></div></body></html>`;

async function startQueryRole(overrides: Record<string, string>): Promise<App> {
  const config = loadConfig({
    overrides: {
      'storage.duckdb.path': ':memory:',
      'query.host': '127.0.0.1',
      'query.port': '0',
      'admin.host': '127.0.0.1',
      'admin.port': '0',
      'log.level': 'silent',
      ...overrides,
    },
  });
  const logger = pino({ level: 'silent' });
  const ctx: AppContext = { config, logger, registry: new Registry() };
  return startModules(modules, roles.query, ctx, logger);
}

function endpoint(app: App, name: string): string | undefined {
  return app.endpoints.find((e) => e.name === name)?.url;
}

describe('query.jaegerUi: the Jaeger UI port', () => {
  const root = mkdtempSync(join(tmpdir(), 'skein-jaeger-ui-port-'));
  const build = join(root, 'build');
  let app: App;
  let jaegerUi: string;

  before(async () => {
    mkdirSync(join(build, 'static'), { recursive: true });
    writeFileSync(join(build, 'index.html'), INDEX);
    writeFileSync(join(build, 'static', 'index-CIDAeknr.js'), 'console.log("jaeger ui");');
    app = await startQueryRole({ 'query.jaegerUi.dir': build, 'query.jaegerUi.port': '0' });
    const url = endpoint(app, 'jaeger-ui');
    assert.ok(url !== undefined, 'the banner lists the jaeger-ui port');
    jaegerUi = url;
  });

  after(async () => {
    await app.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('its own port, beside the query port, serves the build with the config written in', async () => {
    assert.notEqual(jaegerUi, endpoint(app, 'query'));
    const res = await fetch(`${jaegerUi}/monitor`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /JAEGER_CONFIG = \{"monitor":\{"menuEnabled":true\},"qualityMetrics":\{/);
    // Span metrics runs in the default processor order: the Monitor tab has data.
    assert.match(
      html,
      /JAEGER_STORAGE_CAPABILITIES = \{"archiveStorage":false,"metricsStorage":true\};/,
    );
    const js = await fetch(`${jaegerUi}/static/index-CIDAeknr.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log("jaeger ui");');
  });

  test('the Quality Metrics page’s links to /completeness reach Skein’s UI on the query port', async () => {
    const res = await fetch(`${jaegerUi}/completeness?service=frontend`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const query = new URL(String(endpoint(app, 'query')));
    assert.equal(
      res.headers.get('location'),
      `http://127.0.0.1:${query.port}/completeness?service=frontend`,
    );
  });

  test('the query API answers there too: services, SPM, quality metrics', async () => {
    const services = await fetch(`${jaegerUi}/api/services`);
    assert.equal(services.status, 200);
    assert.deepEqual(((await services.json()) as { data: unknown }).data, []);
    const minstep = await fetch(`${jaegerUi}/api/metrics/minstep`);
    assert.equal(minstep.status, 200);
    assert.equal(((await minstep.json()) as { data: unknown }).data, 60000);
    const quality = await fetch(`${jaegerUi}/api/quality-metrics?service=frontend&hours=1`);
    assert.equal(quality.status, 200);
    assert.ok(Array.isArray(((await quality.json()) as { scores: unknown }).scores));
  });

  test('with span metrics off, the page is told there is no metrics storage', async () => {
    const plain = await startQueryRole({
      'query.jaegerUi.dir': build,
      'query.jaegerUi.port': '0',
      'pipeline.processors.spanMetrics.enabled': 'false',
    });
    try {
      const html = await (await fetch(`${endpoint(plain, 'jaeger-ui')}/`)).text();
      assert.match(html, /"metricsStorage":false/);
      const minstep = await fetch(`${endpoint(plain, 'jaeger-ui')}/api/metrics/minstep`);
      assert.equal(minstep.status, 501);
    } finally {
      await plain.stop();
    }
  });

  test('off by default: no second listener', async () => {
    const config = loadConfig({});
    assert.equal(config.query.jaegerUi.dir, '');
    assert.equal(config.query.jaegerUi.port, 16687);
    const plain = await startQueryRole({});
    try {
      assert.deepEqual(
        plain.endpoints.map((e) => e.name),
        ['admin', 'query'],
      );
    } finally {
      await plain.stop();
    }
  });

  test('a folder without index.html refuses to start, naming the setting', async () => {
    await assert.rejects(
      startQueryRole({ 'query.jaegerUi.dir': root, 'query.jaegerUi.port': '0' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /query\.jaegerUi\.dir: .* has no index\.html/);
        return true;
      },
    );
  });

  test('the Jaeger UI port must differ from the query port', () => {
    assert.throws(
      () =>
        loadConfig({
          overrides: { 'query.jaegerUi.dir': build, 'query.jaegerUi.port': '16686' },
        }),
      /query\.jaegerUi\.port: must differ from query\.port \(16686\)/,
    );
  });
});
