import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Browser, Page } from 'playwright-core';
import { parseGoDuration } from '../../src/query/go-duration.ts';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { startSkein, type SkeinProcess } from '../e2e/skein-process.ts';
import { browserTestsUnavailable, launchChromium, SCREENSHOTS } from './browser.ts';

/** A root server span per trace, some failed, with known durations (ms). */
interface Call {
  service: string;
  operation: string;
  durationMs: number;
  failed: boolean;
  traceId?: string;
}

const CALLS: Call[] = [
  // mon-shop GET /cart: 10 calls, 10..100 ms, none failed; each with a client child span.
  ...Array.from({ length: 10 }, (_, i) => ({
    service: 'mon-shop',
    operation: 'GET /cart',
    durationMs: 10 * (i + 1),
    failed: false,
  })),
  // mon-shop POST /checkout: 8 calls, 200..900 ms, 2 failed (25%).
  ...Array.from({ length: 8 }, (_, i) => ({
    service: 'mon-shop',
    operation: 'POST /checkout',
    durationMs: 200 + 100 * i,
    failed: i === 1 || i === 4,
  })),
  // mon-pay charge: 4 calls, 3 failed (75%).
  ...Array.from({ length: 4 }, (_, i) => ({
    service: 'mon-pay',
    operation: 'charge',
    durationMs: 50 + i,
    failed: i !== 0,
  })),
];

/** Sends CALLS through the real OTLP/HTTP protobuf exporter, started over the last minutes. */
async function sendCalls(url: string): Promise<void> {
  const providers = new Map<string, ReturnType<typeof providerFor>>();
  const start = Date.now() - 150_000;
  CALLS.forEach((c, i) => {
    let p = providers.get(c.service);
    if (!p) providers.set(c.service, (p = providerFor(url, c.service)));
    const t0 = start + i * 1000;
    const span = p.tracer.startSpan(c.operation, { kind: SpanKind.SERVER, startTime: t0 });
    if (c.operation === 'GET /cart') {
      // A client span of the same service: not in the server-kind metrics.
      p.tracer
        .startSpan(
          'SELECT cart',
          { kind: SpanKind.CLIENT, startTime: t0 + 1 },
          trace.setSpan(context.active(), span),
        )
        .end(t0 + 2);
    }
    if (c.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
    span.end(t0 + c.durationMs);
    c.traceId = span.spanContext().traceId;
  });
  for (const p of providers.values()) {
    await p.provider.forceFlush();
    await p.provider.shutdown();
    assert.equal(p.exporter.failed, 0, p.exporter.lastError);
  }
}

function providerFor(url: string, service: string) {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: `${url}/v1/traces` }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, provider, tracer: provider.getTracer('monitor-e2e', '1.0.0') };
}

interface Family {
  metrics?: { labels: { name: string; value: string }[] }[] | null;
}

/** Polls the SPM API until every operation of a service has a call-rate series. */
async function waitForMetrics(base: string, service: string, operations: string[]) {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const q = new URLSearchParams({
      service,
      groupByOperation: 'true',
      spanKind: 'server',
      endTs: String(Date.now()),
      lookback: '0',
      step: '60000',
      ratePer: '900000',
    });
    const res = await fetch(`${base}/api/metrics/calls?${q}`);
    last = `${res.status} ${await res.text()}`;
    if (res.ok) {
      const family = JSON.parse(last.slice(4)) as Family;
      const seen = (family.metrics ?? []).map(
        (m) => m.labels.find((l) => l.name === 'operation')?.value,
      );
      if (operations.every((o) => seen.includes(o))) return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`no call-rate series for every operation of ${service} within 60 s; last: ${last}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function operationOrder(page: Page): Promise<string[]> {
  return page
    .locator('.ops-table tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-operation') ?? ''));
}

async function resultIds(page: Page): Promise<string[]> {
  return (
    await page
      .locator('.result')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id') ?? ''))
  ).sort();
}

const unavailable = browserTestsUnavailable();

describe(
  'Monitor page in chromium, against skein all with span metrics',
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-monitor-e2e-'));
    let skein: SkeinProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      skein = await startSkein('all', [
        `--storage.duckdb.path=${dir}`,
        // Only the processor this page reads from; aggregates flushed every second.
        '--pipeline.processors.order=spanMetrics',
        '--pipeline.processors.spanMetrics.flushIntervalSeconds=1',
      ]);
      base = skein.urls.get('query')!;
      await sendCalls(skein.urls.get('otlp-http')!);
      await waitForMetrics(base, 'mon-shop', ['GET /cart', 'POST /checkout']);
      await waitForMetrics(base, 'mon-pay', ['charge']);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      await browser?.close();
      await skein?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test('the nav opens Monitor on the first service by name', async () => {
      await page.goto(`${base}/search`);
      await page.getByRole('link', { name: 'Monitor' }).click();
      // Services sort by name: mon-pay comes first.
      await page.waitForURL(/\/monitor\?service=mon-pay&lookback=1h$/);
      await page.locator('.ops-table tbody tr').first().waitFor();
      assert.deepEqual(await operationOrder(page), ['charge']);
      assert.equal(
        await page.locator('tr[data-operation="charge"] td[data-column=errorRate]').innerText(),
        '75%',
      );
    });

    test('a deep link: charts, operations with their error rates, server spans only', async () => {
      await page.goto(`${base}/monitor?service=mon-shop&lookback=15m`);
      await page.locator('.ops-table tbody tr').first().waitFor();
      assert.equal(await page.locator('select[name=service]').inputValue(), 'mon-shop');
      assert.equal(await page.locator('select[name=lookback]').inputValue(), '15m');
      for (const id of ['chart-rate', 'chart-errors']) {
        const points = await page.locator(`[data-testid=${id}] circle.pt`).count();
        assert.ok(points >= 1, `${id} has ${points} points`);
      }
      for (const q of ['p50', 'p95', 'p99']) {
        const points = await page
          .locator(`[data-testid=chart-latency] [data-series=${q}] circle.pt`)
          .count();
        assert.ok(points >= 1, `${q} has ${points} points`);
      }
      // Some minute had failed calls: an error-rate point above 0%.
      const errorValues = await page
        .locator('[data-testid=chart-errors] circle.pt title')
        .evaluateAll((els) => els.map((e) => Number(/([\d.]+)%$/.exec(e.textContent ?? '')?.[1])));
      assert.ok(
        errorValues.some((v) => v > 0),
        `error-rate points: ${errorValues.join(', ')}`,
      );
      // Sorted by request rate, highest first: 10 GET /cart calls, 8 POST /checkout.
      assert.deepEqual(await operationOrder(page), ['GET /cart', 'POST /checkout']);
      const cell = (op: string, col: string) =>
        page.locator(`tr[data-operation="${op}"] td[data-column=${col}]`).innerText();
      assert.equal(await cell('GET /cart', 'errorRate'), '0%');
      assert.equal(await cell('POST /checkout', 'errorRate'), '25%');
      // 10 calls over 15 minutes.
      assert.equal(await cell('GET /cart', 'rate'), String(Number((10 / 900).toPrecision(2))));
      assert.match(await cell('POST /checkout', 'p50'), /^\d+(\.\d+)?ms$/);
      await shot(page, 'monitor');
    });

    test('sorting by a column reorders rows, from the mouse and the keyboard', async () => {
      await page.locator('button.sort-button[data-column=errorRate]').click();
      await page.waitForURL(/sort=errorRate&order=desc/);
      assert.deepEqual(await operationOrder(page), ['POST /checkout', 'GET /cart']);
      assert.equal(
        await page.locator('th:has(button[data-column=errorRate])').getAttribute('aria-sort'),
        'descending',
      );
      await page.locator('button.sort-button[data-column=errorRate]').click();
      await page.waitForURL(/sort=errorRate&order=asc/);
      assert.deepEqual(await operationOrder(page), ['GET /cart', 'POST /checkout']);
      await page.locator('button.sort-button[data-column=operation]').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/sort=operation&order=asc/);
      assert.deepEqual(await operationOrder(page), ['GET /cart', 'POST /checkout']);
      await page.keyboard.press('Enter');
      await page.waitForURL(/sort=operation&order=desc/);
      assert.deepEqual(await operationOrder(page), ['POST /checkout', 'GET /cart']);
      // The sort survives a reload.
      await page.reload();
      await page.locator('.ops-table tbody tr').first().waitFor();
      assert.deepEqual(await operationOrder(page), ['POST /checkout', 'GET /cart']);
    });

    test('"slow" searches the operation at or above its p95 in the window', async () => {
      await page.locator('tr[data-operation="POST /checkout"] a[data-link=slow]').click();
      await page.waitForURL(/\/search\?.*minDuration=/);
      const params = new URL(page.url()).searchParams;
      assert.equal(params.get('service'), 'mon-shop');
      assert.equal(params.get('operation'), 'POST /checkout');
      assert.equal(params.get('lookback'), 'custom');
      const minMs = parseGoDuration(params.get('minDuration')!) / 1000;
      // The p95 of 200..900 ms (read within the histogram's 2.5%), less that 2.5%: the
      // slowest call is always found.
      assert.ok(minMs > 800 * 0.975 * 0.975 && minMs <= 900, `slow bound ${minMs} ms`);
      const expected = CALLS.filter(
        (c) => c.operation === 'POST /checkout' && c.durationMs >= minMs,
      ).map((c) => c.traceId!);
      assert.ok(expected.length >= 1, `slow bound ${minMs} ms leaves no checkout call`);
      await page.locator('.result').first().waitFor();
      assert.deepEqual(await resultIds(page), expected.sort());
      await shot(page, 'monitor-slow-search');
    });

    test('"failed" searches the operation\'s traces with an error in the window', async () => {
      await page.goBack();
      await page.locator('.ops-table tbody tr').first().waitFor();
      await page.locator('tr[data-operation="POST /checkout"] a[data-link=failed]').click();
      await page.waitForURL(/\/search\?.*tags=error%3Dtrue/);
      const expected = CALLS.filter((c) => c.operation === 'POST /checkout' && c.failed).map(
        (c) => c.traceId!,
      );
      await page.locator('.result').first().waitFor();
      assert.deepEqual(await resultIds(page), expected.sort());
    });

    test('another service and span kind from the toolbar; dark theme', async () => {
      await page.goto(`${base}/monitor?service=mon-shop&lookback=15m`);
      await page.locator('.ops-table tbody tr').first().waitFor();
      await page.locator('select[name=spanKind]').selectOption('client');
      await page.waitForURL(/spanKind=client/);
      // The client span "SELECT cart" is the only client operation.
      await page.locator('tr[data-operation="SELECT cart"]').waitFor();
      assert.deepEqual(await operationOrder(page), ['SELECT cart']);
      await page.locator('select[name=spanKind]').selectOption('producer');
      await page.locator('.state-empty', { hasText: 'No producer spans of mon-shop' }).waitFor();
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
      await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
      await page.goto(`${base}/monitor?service=mon-pay&lookback=15m`);
      await page.locator('tr[data-operation="charge"]').waitFor();
      await shot(page, 'monitor-dark');
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
    });
  },
);
