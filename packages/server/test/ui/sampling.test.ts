import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.ts';
import { createQueryApp } from '../../src/query/query-app.ts';
import { registerUi } from '../../src/query/ui-static.ts';
import {
  AdaptiveStrategySource,
  compileAdaptiveSection,
} from '../../src/sampling/adaptive/index.ts';
import { FileStrategySource, StrategyResolver } from '../../src/sampling/index.ts';
import { DuckDbStorage } from '../../src/storage/duckdb/duckdb-storage.ts';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { eventually } from '../e2e/eventually.ts';
import { startSkein, type SkeinProcess } from '../e2e/skein-process.ts';
import { browserTestsUnavailable, launchChromium, SCREENSHOTS } from './browser.ts';

/*
 * The Sampling page against `skein all` with a strategies file: what the page shows per
 * service (strategy in words, origin, reason, warnings) and per operation (the served
 * probability) is what the file says, as Jaeger's file provider combines it; an edited
 * file shows after a reload. Plus the page of a process without the sampling service.
 */

/** Jaeger's strategies file format. */
function strategies(checkoutDefault: number, payProbability: number) {
  return {
    default_strategy: {
      type: 'probabilistic',
      param: 0.05,
      operation_strategies: [{ operation: 'GET /health', type: 'probabilistic', param: 0 }],
    },
    service_strategies: [
      {
        service: 'sp-checkout',
        type: 'probabilistic',
        param: checkoutDefault,
        operation_strategies: [
          { operation: 'POST /pay', type: 'probabilistic', param: payProbability },
          { operation: 'GET /status', type: 'probabilistic', param: 0.01 },
        ],
      },
      // A rate limit that inherits the default's operation strategies: SDKs follow those
      // and ignore the limit, which Skein warns about.
      { service: 'sp-search', type: 'ratelimiting', param: 20 },
    ],
  };
}

/** Writes the file the way editors do (a new file renamed over the old), so the watcher sees one change. */
function writeStrategies(file: string, body: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** One root span of `service` through the real OTLP/HTTP exporter, so Skein knows the service from its traces. */
async function sendSpan(url: string, service: string): Promise<void> {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: `${url}/v1/traces` }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  provider.getTracer('sampling-e2e').startSpan('GET /', { kind: SpanKind.SERVER }).end();
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(exporter.failed, 0, exporter.lastError);
}

/** Polls `/api/sampling/strategies` until `check` holds for its data. */
async function waitForStrategies(
  base: string,
  what: string,
  check: (data: { services: { service: string; strategy: unknown }[] }) => boolean,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/api/sampling/strategies`);
    last = await res.text();
    if (res.ok && check((JSON.parse(last) as { data: Parameters<typeof check>[0] }).data)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} within 20 s; last answer: ${last}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The services table: [service, strategy in words, origin] per row, in order. */
async function serviceRows(page: Page): Promise<string[][]> {
  return page.locator('.sampling-services tbody tr').evaluateAll((rows) =>
    rows.map((r) => [
      r.getAttribute('data-service') ?? '',
      // The strategy cell without its warning badge.
      (r.querySelector('[data-field=strategy]')?.firstChild?.textContent ?? '').trim(),
      r.querySelector('[data-field=origin]')?.textContent ?? '',
    ]),
  );
}

/** The operations table: [operation, served probability] per row, in order. */
async function operationRows(page: Page): Promise<string[][]> {
  return page
    .locator('.sampling-operations tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [
        r.getAttribute('data-operation') ?? '',
        r.querySelector('[data-column=served]')?.textContent ?? '',
      ]),
    );
}

const unavailable = browserTestsUnavailable();

describe(
  'Sampling page in chromium, against skein all with a strategies file',
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-sampling-ui-'));
    const file = join(dir, 'strategies.json');
    let skein: SkeinProcess | undefined;
    let queryOnly: SkeinProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      writeStrategies(file, strategies(0.5, 1));
      skein = await startSkein('all', [
        `--storage.duckdb.path=${join(dir, 'data')}`,
        `--sampling.strategiesFile=${file}`,
      ]);
      base = skein.urls.get('query')!;
      await sendSpan(skein.urls.get('otlp-http')!, 'sp-frontend');
      await waitForStrategies(base, 'sp-frontend (known from its stored trace) listed', (d) =>
        d.services.some((s) => s.service === 'sp-frontend'),
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      await browser?.close();
      await skein?.stop('SIGKILL');
      await queryOnly?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test('the nav opens the overview: the default and every service with its strategy, origin and warnings', async () => {
      await page.goto(`${base}/search`);
      await page.getByRole('link', { name: 'Sampling' }).click();
      await page.waitForURL(/\/sampling$/);
      await page.locator('.sampling-services tbody tr').first().waitFor();
      // The default strategy carries its operation strategies to every service without its own.
      const fallback = page.locator('.strategy-card');
      assert.equal(
        await fallback.locator('[data-field=strategy]').innerText(),
        'per operation: 1 operation, others 5%',
      );
      assert.equal(await fallback.locator('[data-field=origin]').innerText(), 'default');
      assert.equal(
        await fallback.locator('[data-field=reason]').innerText(),
        `the default strategy in ${file}`,
      );
      assert.equal(await page.locator('[data-field=adaptive]').innerText(), 'off');
      assert.deepEqual(await serviceRows(page), [
        // Its own two operations and the default's GET /health.
        ['sp-checkout', 'per operation: 3 operations, others 50%', 'file'],
        ['sp-frontend', 'per operation: 1 operation, others 5%', 'default'],
        // A rate limit without operations of its own takes the default's list and, as
        // Jaeger does, the default's probability for the operations not listed.
        ['sp-search', 'per operation: 1 operation, others 5%', 'file'],
      ]);
      const search = page.locator('tr[data-service="sp-search"]');
      assert.equal(await search.locator('.badge-warn').innerText(), '1 warning');
      assert.match(
        (await search.locator('.badge-warn').getAttribute('title')) ?? '',
        /ignore the rate limit/,
      );
      assert.equal(
        await search.locator('[data-field=reason]').innerText(),
        `its own strategy in ${file}`,
      );
      await shot(page, 'sampling');
    });

    test('a service: its strategy, and per operation the probability the file gives it', async () => {
      await page.locator('tr[data-service="sp-checkout"] a').click();
      await page.waitForURL(/\/sampling\?service=sp-checkout$/);
      await page.locator('.sampling-operations tbody tr').first().waitFor();
      assert.equal(await page.locator('select[name=service]').inputValue(), 'sp-checkout');
      const card = page.locator('.strategy-card[data-service="sp-checkout"]');
      assert.equal(
        await card.locator('[data-field=strategy]').innerText(),
        'per operation: 3 operations, others 50%',
      );
      assert.equal(await card.locator('[data-field=origin]').innerText(), 'file');
      assert.deepEqual(await operationRows(page), [
        ['GET /health', '0%'],
        ['GET /status', '1%'],
        ['POST /pay', '100%'],
      ]);
      // Without the adaptive sampler there are no rate columns, and the page says why.
      assert.equal(await page.locator('.sampling-operations th [data-column=observed]').count(), 0);
      await page.getByText('which does not run here').waitFor();
      // The SDK box is written for this service, starting at its default probability.
      const sdk = await page.locator('.sdk-box pre').first().innerText();
      assert.match(sdk, /^OTEL_SERVICE_NAME=sp-checkout$/m);
      assert.match(sdk, /initialSamplingRate=0\.5$/m);
      assert.match(sdk, /^OTEL_TRACES_SAMPLER=parentbased_jaeger_remote$/m);
    });

    test('sorting by the served probability, from the mouse and the keyboard, kept in the URL', async () => {
      await page.locator('button.sort-button[data-column=served]').click();
      await page.waitForURL(/sort=served&order=desc/);
      assert.deepEqual(
        (await operationRows(page)).map((r) => r[0]),
        ['POST /pay', 'GET /status', 'GET /health'],
      );
      assert.equal(
        await page.locator('th:has(button[data-column=served])').getAttribute('aria-sort'),
        'descending',
      );
      await page.locator('button.sort-button[data-column=served]').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/sort=served&order=asc/);
      assert.deepEqual(
        (await operationRows(page)).map((r) => r[0]),
        ['GET /health', 'GET /status', 'POST /pay'],
      );
      await page.reload();
      await page.locator('.sampling-operations tbody tr').first().waitFor();
      assert.deepEqual(
        (await operationRows(page)).map((r) => r[0]),
        ['GET /health', 'GET /status', 'POST /pay'],
      );
    });

    test('an edited strategies file shows after a reload', async () => {
      writeStrategies(file, strategies(0.2, 0.25));
      await waitForStrategies(base, 'the edited strategies applied', (d) =>
        JSON.stringify(d.services.find((s) => s.service === 'sp-checkout')?.strategy).includes(
          '"samplingRate":0.25',
        ),
      );
      await page.goto(`${base}/sampling?service=sp-checkout`);
      await page.locator('.sampling-operations tbody tr').first().waitFor();
      assert.equal(
        await page.locator('.strategy-card [data-field=strategy]').innerText(),
        'per operation: 3 operations, others 20%',
      );
      assert.deepEqual(await operationRows(page), [
        ['GET /health', '0%'],
        ['GET /status', '1%'],
        ['POST /pay', '25%'],
      ]);
      await shot(page, 'sampling-service');
    });

    test('a deep link to a service Skein does not know shows what it would get; dark theme', async () => {
      await page.goto(`${base}/sampling?service=sp-new`);
      await page.locator('.strategy-card').waitFor();
      await page.getByText('sp-new is not known to Skein yet').waitFor();
      assert.equal(
        await page.locator('.strategy-card [data-field=strategy]').innerText(),
        'per operation: 1 operation, others 5%',
      );
      assert.equal(await page.locator('.strategy-card [data-field=origin]').innerText(), 'default');
      assert.deepEqual(await operationRows(page), [['GET /health', '0%']]);
      // The select offers the service from the link beside the known ones.
      assert.deepEqual(
        await page
          .locator('select[name=service] option')
          .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)),
        ['', 'sp-new', 'sp-checkout', 'sp-frontend', 'sp-search'],
      );
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
      await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
      await page.goto(`${base}/sampling?service=sp-search`);
      await page.locator('.sampling-warnings li').first().waitFor();
      await shot(page, 'sampling-dark');
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
    });

    test('a process without the sampling service says so', async () => {
      queryOnly = await startSkein('query', [`--storage.duckdb.path=:memory:`]);
      await page.goto(`${queryOnly.urls.get('query')}/sampling`);
      await page
        .locator('.state-error', { hasText: 'The sampling service does not run in this process' })
        .waitFor();
      assert.match(await page.locator('.state-error').innerText(), /collector/);
    });
  },
);

/*
 * The adaptive columns with chosen numbers: the real query app and UI build with a real
 * StrategyResolver whose adaptive source has published rows as the calculator publishes
 * them, so cells, tones and bar widths can be checked exactly (the live suite below has
 * whatever numbers real traffic gives).
 */
describe(
  "Sampling page in chromium: the adaptive sampler's rates (in-process query app)",
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    let store: DuckDbStorage | undefined;
    let app: FastifyInstance | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';
    const updatedAt = Date.now() - 30_000;

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      store = new DuckDbStorage({ path: ':memory:' });
      await store.open();
      const sampling = structuredClone(defaultConfig.sampling);
      sampling.strategies.defaultStrategy.param = 0.01;
      // The operator pinned sp-pinned: it is served 50% whatever the calculator computes.
      sampling.strategies.serviceStrategies = [
        { service: 'sp-pinned', type: 'probabilistic', param: 0.5 },
      ];
      const file = new FileStrategySource(sampling, { logger: pino({ level: 'silent' }) });
      const adaptive = new AdaptiveStrategySource();
      const settings = compileAdaptiveSection({
        ...defaultConfig.sampling.adaptive,
        enabled: true,
        targetSamplesPerSecond: 2,
        overrides: [{ service: 'sp-shop', operation: 'GET /cart', targetSamplesPerSecond: 5 }],
      });
      adaptive.publish(
        [
          // Busy: 1% of 200 traces/s gives the target of 2.
          {
            tenant: '',
            service: 'sp-shop',
            operation: 'GET /item',
            probability: 0.01,
            tracesPerSecond: 200,
            sampledPerSecond: 2,
            updatedAt,
          },
          // Under its overridden target of 5: every trace kept.
          {
            tenant: '',
            service: 'sp-shop',
            operation: 'GET /cart',
            probability: 1,
            tracesPerSecond: 3,
            sampledPerSecond: 3,
            updatedAt,
          },
          // Just measured: no traffic estimate yet (-1).
          {
            tenant: '',
            service: 'sp-shop',
            operation: 'POST /order',
            probability: 0.001,
            tracesPerSecond: -1,
            sampledPerSecond: 0,
            updatedAt,
          },
          {
            tenant: '',
            service: 'sp-pinned',
            operation: 'GET /',
            probability: 0.04,
            tracesPerSecond: 50,
            sampledPerSecond: 25,
            updatedAt,
          },
        ],
        settings,
      );
      const resolver = new StrategyResolver({ file, adaptive });
      app = await createQueryApp({
        reader: store,
        defaultLimit: 20,
        maxLimit: 1500,
        sampling: () => resolver,
      });
      await registerUi(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      await browser?.close();
      await app?.close();
      await store?.close();
    });

    const cell = (op: string, column: string) =>
      page.locator(`tr[data-operation="${op}"] [data-column=${column}]`).innerText();

    test('the overview says adaptive sampling is on and which services it serves', async () => {
      await page.goto(`${base}/sampling`);
      await page.locator('.sampling-services tbody tr').first().waitFor();
      assert.equal(await page.locator('[data-field=adaptive]').innerText(), 'on');
      assert.deepEqual(await serviceRows(page), [
        ['sp-pinned', 'probabilistic 50%', 'file'],
        ['sp-shop', 'adaptive, 3 operations', 'adaptive'],
      ]);
    });

    test('per operation: served and computed probability, observed, sampled and target traces/s, a bar', async () => {
      await page.goto(`${base}/sampling?service=sp-shop`);
      await page.locator('.sampling-operations tbody tr').first().waitFor();
      assert.equal(
        await page.locator('.strategy-card [data-field=strategy]').innerText(),
        'adaptive, 3 operations',
      );
      // Jaeger's default floor, one trace a minute per operation.
      await page.getByText('keeps at least 0.017 traces/s per operation').waitFor();
      assert.deepEqual(
        [
          await cell('GET /item', 'served'),
          await cell('GET /item', 'computed'),
          await cell('GET /item', 'observed'),
          await cell('GET /item', 'sampled'),
          await cell('GET /item', 'target'),
        ],
        ['1%', '1%', '200', '2', '2'],
      );
      // The per-operation override of the target.
      assert.equal(await cell('GET /cart', 'target'), '5');
      assert.equal(await cell('POST /order', 'observed'), '–');
      // On target / under it with every trace kept, said in the cell's tone and title.
      const sampled = (op: string) =>
        page.locator(`tr[data-operation="${op}"] [data-column=sampled]`);
      assert.match((await sampled('GET /item').getAttribute('class')) ?? '', /tone-good/);
      assert.match((await sampled('GET /cart').getAttribute('title')) ?? '', /every trace kept/);
      // The bar: sampled on target ends at the target line, 80% of the bar; under a
      // higher target (GET /cart: 3 of 5) it stops short of the line.
      const bar = (op: string) => page.locator(`tr[data-operation="${op}"] svg.rate-bar`);
      assert.equal(await bar('GET /item').getAttribute('aria-label'), 'sampled 2/s, target 2/s');
      assert.equal(
        Number(await bar('GET /item').locator('rect.sampled').getAttribute('width')),
        96,
      );
      assert.equal(Number(await bar('GET /item').locator('line.target').getAttribute('x1')), 96);
      assert.equal(
        Number(await bar('GET /cart').locator('rect.sampled').getAttribute('width')),
        57.6,
      );
      assert.equal(Number(await bar('GET /cart').locator('line.target').getAttribute('x1')), 96);
      // Sorted by observed traffic, busiest first; no estimate last.
      await page.locator('button.sort-button[data-column=observed]').click();
      await page.waitForURL(/sort=observed&order=desc/);
      assert.deepEqual(
        (await operationRows(page)).map((r) => r[0]),
        ['GET /item', 'GET /cart', 'POST /order'],
      );
      await shot(page, 'sampling-adaptive');
    });

    test("a pinned service: the file's probability is served, the computed one shown beside it", async () => {
      await page.goto(`${base}/sampling?service=sp-pinned`);
      await page.locator('.sampling-operations tbody tr').first().waitFor();
      assert.equal(await cell('GET /', 'served'), '50%');
      assert.equal(await cell('GET /', 'computed'), '4%');
      assert.equal(await cell('GET /', 'sampled'), '25');
      assert.match(
        (await page
          .locator('tr[data-operation="GET /"] [data-column=sampled]')
          .getAttribute('class')) ?? '',
        /tone-warn/,
      );
    });
  },
);

/** What the test uses of jaeger-client (a CommonJS devDependency without types). */
interface JaegerClient {
  initTracer(
    config: {
      serviceName: string;
      sampler: { type: string; param: number; hostPort: string; refreshIntervalMs: number };
      reporter: { collectorEndpoint: string; flushIntervalMs: number };
    },
    options: { logger: unknown },
  ): {
    startSpan(name: string): { finish(): void };
    close(callback?: () => void): void;
  };
}

interface AdaptiveRow {
  operation: string;
  probability: number;
  tracesPerSecond: number;
  sampledPerSecond: number;
  targetSamplesPerSecond: number;
}

interface ServiceRow {
  service: string;
  origin: string;
  strategy: {
    operationSampling?: {
      perOperationStrategies: {
        operation: string;
        probabilisticSampling: { samplingRate: number };
      }[];
    };
  };
  adaptiveOperations?: AdaptiveRow[];
}

/*
 * End to end: `skein all` with the adaptive sampler (1 s interval) and a strategies file
 * pinning one service; two jaeger-client apps poll the remote sampler and report their
 * sampler tags through the Jaeger HTTP receiver. The page must show, per operation,
 * exactly the numbers of the API answer it received, the configured targets (global and
 * overridden), and for the pinned service the file's probability beside the computed one.
 */
describe(
  'Sampling page in chromium, against skein all with adaptive sampling and live traffic',
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-sampling-live-ui-'));
    const strategiesFile = join(dir, 'strategies.json');
    const configFile = join(dir, 'skein.yaml');
    const jaegerClient = createRequire(import.meta.url)('jaeger-client') as JaegerClient;
    const quiet = { info: () => {}, error: () => {} };
    let skein: SkeinProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';
    const tracers: ReturnType<JaegerClient['initTracer']>[] = [];
    let load: NodeJS.Timeout | undefined;

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      writeStrategies(strategiesFile, {
        default_strategy: { type: 'probabilistic', param: 1 },
        service_strategies: [{ service: 'spa-pinned', type: 'probabilistic', param: 0.5 }],
      });
      // JSON is YAML: the adaptive settings with a per-operation override of the target.
      writeFileSync(
        configFile,
        JSON.stringify({
          sampling: {
            strategiesFile,
            adaptive: {
              enabled: true,
              targetSamplesPerSecond: 2,
              calculationIntervalSeconds: 1,
              initialProbability: 1,
              overrides: [
                { service: 'spa-shop', operation: 'POST /order', targetSamplesPerSecond: 5 },
              ],
            },
          },
        }),
      );
      skein = await startSkein('all', [
        `--config=${configFile}`,
        `--storage.duckdb.path=${join(dir, 'data')}`,
      ]);
      base = skein.urls.get('query')!;
      const samplingHost = new URL(skein.urls.get('sampling-http')!).host;
      const collector = `${skein.urls.get('jaeger-thrift-http')}/api/traces`;
      const tracer = (serviceName: string) => {
        const t = jaegerClient.initTracer(
          {
            serviceName,
            sampler: { type: 'remote', param: 1, hostPort: samplingHost, refreshIntervalMs: 500 },
            reporter: { collectorEndpoint: collector, flushIntervalMs: 100 },
          },
          { logger: quiet },
        );
        tracers.push(t);
        return t;
      };
      const shop = tracer('spa-shop');
      const pinned = tracer('spa-pinned');
      // The apps, in ticks of 100 ms (a load generator, not a wait): spa-shop 100 roots/s
      // of GET /items and 20/s of POST /order, spa-pinned 40/s of GET /.
      load = setInterval(() => {
        for (let i = 0; i < 10; i++) shop.startSpan('GET /items').finish();
        for (let i = 0; i < 2; i++) shop.startSpan('POST /order').finish();
        for (let i = 0; i < 4; i++) pinned.startSpan('GET /').finish();
      }, 100);
      await eventually(
        async () => {
          const res = await fetch(`${base}/api/sampling/strategies`);
          const { data } = (await res.json()) as { data: { services: ServiceRow[] } };
          const estimated = (service: string, n: number) => {
            const s = data.services.find((x) => x.service === service);
            const ops = s?.adaptiveOperations ?? [];
            return ops.length === n && ops.every((o) => o.tracesPerSecond > 0);
          };
          return estimated('spa-shop', 2) && estimated('spa-pinned', 1) ? true : undefined;
        },
        'the adaptive sampler to estimate the traffic of both apps',
        30_000,
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      clearInterval(load);
      await Promise.all(tracers.map((t) => new Promise<void>((r) => t.close(() => r()))));
      await browser?.close();
      await skein?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    /** Opens a page and returns the API answer it rendered from. */
    async function open(url: string, rows: string): Promise<ServiceRow[]> {
      const answer = page.waitForResponse((r) => r.url().includes('/api/sampling/strategies'));
      await page.goto(`${base}${url}`);
      const body = (await (await answer).json()) as { data: { services: ServiceRow[] } };
      await page.locator(`${rows} tbody tr`).first().waitFor();
      return body.data.services;
    }

    const cell = (op: string, column: string) =>
      page.locator(`tr[data-operation="${op}"] [data-column=${column}]`).innerText();
    // The page's formats (sampling-strategies.ts), restated so a change there is noticed.
    const pct = (p: number) => (p === 0 ? '0%' : `${Number((p * 100).toPrecision(3))}%`);
    const rate = (v: number) => {
      const a = Math.abs(v);
      if (v === 0) return '0';
      if (a < 0.1) return String(Number(v.toPrecision(2)));
      return String(Number(v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)));
    };

    test('the overview: adaptive on, spa-shop computed by the adaptive sampler, spa-pinned from the file', async () => {
      await open('/sampling', '.sampling-services');
      assert.equal(await page.locator('[data-field=adaptive]').innerText(), 'on');
      assert.deepEqual(
        (await serviceRows(page)).filter((r) => r[0].startsWith('spa-')),
        [
          ['spa-pinned', 'probabilistic 50%', 'file'],
          ['spa-shop', 'adaptive, 2 operations', 'adaptive'],
        ],
      );
    });

    test('per operation, the numbers of the answer the page received and the configured targets', async () => {
      const services = await open('/sampling?service=spa-shop', '.sampling-operations');
      const shop = services.find((s) => s.service === 'spa-shop')!;
      assert.equal(shop.origin, 'adaptive');
      assert.deepEqual(
        (await operationRows(page)).map((r) => r[0]),
        ['GET /items', 'POST /order'],
      );
      for (const op of shop.adaptiveOperations!) {
        const served = shop.strategy.operationSampling!.perOperationStrategies.find(
          (o) => o.operation === op.operation,
        )!.probabilisticSampling.samplingRate;
        assert.deepEqual(
          [
            await cell(op.operation, 'served'),
            await cell(op.operation, 'computed'),
            await cell(op.operation, 'observed'),
            await cell(op.operation, 'sampled'),
            await cell(op.operation, 'target'),
          ],
          [
            pct(served),
            pct(op.probability),
            rate(op.tracesPerSecond),
            rate(op.sampledPerSecond),
            rate(op.targetSamplesPerSecond),
          ],
          op.operation,
        );
      }
      // The global target, and the override for POST /order.
      assert.equal(await cell('GET /items', 'target'), '2');
      assert.equal(await cell('POST /order', 'target'), '5');
      assert.equal(await page.locator('svg.rate-bar').count(), 2);
      await shot(page, 'sampling-adaptive-live');
    });

    test("a pinned service: the file's 50% served, the computed probability beside it", async () => {
      const services = await open('/sampling?service=spa-pinned', '.sampling-operations');
      const pinned = services.find((s) => s.service === 'spa-pinned')!;
      assert.equal(pinned.origin, 'file');
      const [op] = pinned.adaptiveOperations!;
      assert.equal(op.operation, 'GET /');
      assert.equal(await cell('GET /', 'served'), '50%');
      assert.equal(await cell('GET /', 'computed'), pct(op.probability));
      assert.equal(await cell('GET /', 'observed'), rate(op.tracesPerSecond));
      assert.equal(await cell('GET /', 'target'), '2');
    });
  },
);
