import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Browser, Page } from 'playwright-core';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { runTracegen } from '../../src/tracegen/tracegen.ts';
import { startSkein, type SkeinProcess } from '../e2e/skein-process.ts';
import { browserTestsUnavailable, launchChromium, SCREENSHOTS } from './browser.ts';

/** A tracer provider per service, each exporting through the real OTLP/HTTP protobuf exporter. */
function providerFor(url: string, service: string) {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: `${url}/v1/traces` }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': `${service}-host` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, provider, tracer: provider.getTracer('ui-e2e', '1.0.0') };
}

interface Linked {
  /** The producer's trace and span, which the consumer's span links to. */
  upstreamTrace: string;
  upstreamSpan: string;
  /** The consumer's trace: `handle job` (consumer service) → `UPDATE jobs` (db service, error). */
  downstreamTrace: string;
  downstreamSpan: string;
}

async function sendLinkedTraces(url: string): Promise<Linked> {
  const producer = providerFor(url, 'ui-e2e-producer');
  const consumer = providerFor(url, 'ui-e2e-consumer');
  const db = providerFor(url, 'ui-e2e-db');
  const enqueue = producer.tracer.startSpan('enqueue job', { kind: SpanKind.PRODUCER });
  enqueue.end();
  const handle = consumer.tracer.startSpan('handle job', {
    kind: SpanKind.CONSUMER,
    links: [{ context: enqueue.spanContext() }],
    attributes: { 'job.id': 'j-42', 'job.attempt': 2 },
  });
  handle.addEvent('job started', { 'queue.depth': 7 });
  const query = db.tracer.startSpan(
    'UPDATE jobs',
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } },
    trace.setSpan(context.active(), handle),
  );
  query.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  query.end();
  handle.end();
  for (const p of [producer, consumer, db]) {
    await p.provider.forceFlush();
    await p.provider.shutdown();
    assert.equal(p.exporter.failed, 0, p.exporter.lastError);
  }
  return {
    upstreamTrace: enqueue.spanContext().traceId,
    upstreamSpan: enqueue.spanContext().spanId,
    downstreamTrace: handle.spanContext().traceId,
    downstreamSpan: handle.spanContext().spanId,
  };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

async function rowCount(page: Page): Promise<number> {
  return page.locator('.tl-row').count();
}

/** Waits until the timeline shows `n` rows (all rendered: the traces here are small). */
async function waitForRows(page: Page, n: number): Promise<void> {
  // A function, not a string: the page's CSP (no 'unsafe-eval') refuses evaluated strings.
  await page.waitForFunction(
    (want) =>
      (
        globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
      ).document.querySelectorAll('.tl-row').length === want,
    n,
  );
}

const unavailable = browserTestsUnavailable();

describe(
  'web UI in chromium, against skein all',
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-ui-e2e-'));
    let skein: SkeinProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';
    let linked: Linked;
    let biggest = { traceId: '', spanCount: 0 };

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      const args = [`--storage.duckdb.path=${dir}`];
      skein = await startSkein('all', args);
      const otlp = skein.urls.get('otlp-http')!;
      const sent = await runTracegen({
        endpoint: otlp,
        protocol: 'http/protobuf',
        rate: 1000,
        count: 30,
        durationSeconds: 0,
        seed: 11,
      });
      assert.equal(sent.failedSpans, 0, sent.lastError);
      linked = await sendLinkedTraces(otlp);
      // A graceful stop writes everything accepted; the restart reads it back from disk.
      assert.equal(await skein.stop(), 0, skein.output.join('\n'));
      skein = await startSkein('all', args);
      base = skein.urls.get('query')!;
      const summaries = (await (
        await fetch(`${base}/api/v3/trace-summaries?query.searchDepth=100`)
      ).json()) as {
        summaries: { traceId: string; spanCount: number }[];
      };
      assert.equal(summaries.summaries.length, 32);
      for (const s of summaries.summaries) if (s.spanCount > biggest.spanCount) biggest = s;
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      await browser?.close();
      await skein?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test('search across all services lists traces with a scatter point each', async () => {
      await page.goto(`${base}/`);
      await page.locator('.result').first().waitFor();
      assert.equal(await page.locator('.result').count(), 20, 'default limit');
      assert.equal(await page.locator('.scatter circle.dot').count(), 20);
      assert.ok(
        (await page.locator('.scatter circle.dot-error').count()) >= 1,
        'the consumer trace has an error',
      );
      assert.equal(await page.locator('select[name=service]').inputValue(), '');
      await shot(page, 'search-all-services');
    });

    test('search one service through the form; the URL keeps the form', async () => {
      await page.locator('select[name=service]').selectOption('ui-e2e-consumer');
      await page
        .locator('select[name=operation] option', { hasText: 'handle job' })
        .waitFor({ state: 'attached' });
      await page.locator('input[name=tags]').fill('job.id=j-42');
      await page.getByRole('button', { name: 'Find traces' }).click();
      await page.waitForURL(/service=ui-e2e-consumer/);
      const result = page.locator(`.result[data-trace-id="${linked.downstreamTrace}"]`);
      await result.waitFor();
      assert.equal(await page.locator('.result').count(), 1);
      assert.match(
        await result.innerText(),
        /ui-e2e-consumer: handle job[\s\S]*2 spans[\s\S]*1 errors/,
      );
      assert.match(page.url(), /tags=job.id%3Dj-42/);
      await shot(page, 'search-one-service');
      // Reloading the URL restores the form.
      await page.reload();
      await page.locator(`.result[data-trace-id="${linked.downstreamTrace}"]`).waitFor();
      assert.equal(await page.locator('select[name=service]').inputValue(), 'ui-e2e-consumer');
      assert.equal(await page.locator('input[name=tags]').inputValue(), 'job.id=j-42');
    });

    test('open a trace; collapse and expand; find in trace; keyboard shortcuts', async () => {
      await page.goto(`${base}/search?limit=100&sort=most-spans`);
      const first = page.locator('.result').first();
      await first.waitFor();
      assert.match(
        await first.innerText(),
        new RegExp(`${biggest.spanCount} spans`),
        'most spans first',
      );
      biggest.traceId = (await first.getAttribute('data-trace-id'))!;
      await first.locator('a.result-head').click();
      await page.waitForURL(new RegExp(`/trace/${biggest.traceId}$`));
      await page.locator('[data-timeline-ready]').waitFor();
      const n = biggest.spanCount;
      assert.equal(await page.getByTestId('span-count').innerText(), String(n));
      assert.equal(await rowCount(page), n);
      await shot(page, 'trace');

      // The service/operation column is resizable.
      const column = page.locator('.tl-row .tl-left').first();
      const widthBefore = (await column.boundingBox())!.width;
      const handle = (await page.locator('.col-resizer').boundingBox())!;
      await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(handle.x + 120, handle.y + handle.height / 2, { steps: 4 });
      await page.mouse.up();
      const widthAfter = (await column.boundingBox())!.width;
      assert.ok(Math.abs(widthAfter - widthBefore - 116) < 12, `${widthBefore} → ${widthAfter}`);

      // Downloads: Jaeger JSON and OTLP JSON of every span.
      const [jaegerFile] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Jaeger JSON' }).click(),
      ]);
      const jaegerJson = JSON.parse(readFileSync((await jaegerFile.path())!, 'utf8'));
      assert.equal(jaegerJson.data[0].traceID, biggest.traceId);
      assert.equal(jaegerJson.data[0].spans.length, n);
      const [otlpFile] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'OTLP JSON' }).click(),
      ]);
      assert.match(otlpFile.suggestedFilename(), /\.otlp\.json$/);
      const otlpJson = JSON.parse(readFileSync((await otlpFile.path())!, 'utf8'));
      let otlpSpans = 0;
      for (const rs of otlpJson.resourceSpans)
        for (const ss of rs.scopeSpans) otlpSpans += ss.spans.length;
      assert.equal(otlpSpans, n);

      await page.getByRole('button', { name: 'Collapse all' }).click();
      await waitForRows(page, 1);
      await page.getByRole('button', { name: /^Expand \d+ children$/ }).click();
      const children = await rowCount(page);
      assert.ok(children > 1 && children < n, `one level open: ${children} rows`);
      await page.getByRole('button', { name: 'Expand all' }).click();
      await waitForRows(page, n);
      await page.locator('.tl-row').first().getByRole('button', { name: 'Collapse' }).click();
      await waitForRows(page, 1);
      await page.keyboard.press(']');
      await waitForRows(page, n);

      await page.keyboard.press('/');
      await page.keyboard.type('frontend');
      await page.locator('.find-count').waitFor();
      const matches = await page.locator('.tl-row.match').count();
      assert.ok(matches >= 1);
      assert.match(await page.locator('.find-count').innerText(), new RegExp(`– / ${matches}`));
      await page.keyboard.press('Enter');
      await page.locator('.tl-row.selected.match').waitFor();
      await page.locator('.span-detail').waitFor();
      await shot(page, 'trace-find');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await page.locator('.span-detail').waitFor({ state: 'detached' });
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await page.keyboard.press('Escape');
    });

    test('span detail shows attributes, events and links; a link opens the linked trace at its span', async () => {
      await page.goto(`${base}/trace/${linked.downstreamTrace}`);
      await page.locator('[data-timeline-ready]').waitFor();
      assert.equal(await rowCount(page), 2);
      await page.locator(`.tl-row[data-span-id="${linked.downstreamSpan}"]`).click();
      const detail = page.locator(`.span-detail[data-span-id="${linked.downstreamSpan}"]`);
      await detail.waitFor();
      const text = await detail.innerText();
      assert.match(text, /job\.id\s+j-42/);
      assert.match(text, /job started/);
      assert.match(text, /queue\.depth\s+7/);
      assert.match(text, /host\.name\s+ui-e2e-consumer-host/);
      await shot(page, 'span-detail');
      await page.locator('.tl-row.error').click();
      await page.locator('.span-detail .status-error', { hasText: 'deadlock detected' }).waitFor();
      await page.locator(`.tl-row[data-span-id="${linked.downstreamSpan}"]`).click();
      await detail.locator('a.span-link').click();
      await page.waitForURL(
        new RegExp(`/trace/${linked.upstreamTrace}\\?span=${linked.upstreamSpan}$`),
      );
      await page.locator(`.tl-row.selected[data-span-id="${linked.upstreamSpan}"]`).waitFor();
      await page.locator('.span-detail', { hasText: 'enqueue job' }).waitFor();
      await shot(page, 'followed-link');
      await page.goBack();
      await page.locator(`.tl-row[data-span-id="${linked.downstreamSpan}"]`).waitFor();
    });

    test('the dependency graph shows the services and calls the API reports; a service opens its search', async () => {
      const api = (await (
        await fetch(`${base}/api/dependencies?endTs=${Date.now()}&lookback=86400000`)
      ).json()) as {
        data: { parent: string; child: string; callCount: number }[];
      };
      const expected = api.data.filter((d) => d.parent !== d.child);
      assert.ok(
        expected.some(
          (d) => d.parent === 'ui-e2e-consumer' && d.child === 'ui-e2e-db' && d.callCount === 1,
        ),
      );
      await page.goto(`${base}/dependencies`);
      await page.locator('.dep-node').first().waitFor();
      const nodes = await page
        .locator('.dep-node')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
      const services = new Set(expected.flatMap((d) => [d.parent, d.child]));
      assert.deepEqual(new Set(nodes), services);
      const edges = await page
        .locator('.dep-edge')
        .evaluateAll((els) =>
          els.map((e) => `${e.getAttribute('data-edge')}=${e.getAttribute('data-calls')}`),
        );
      assert.deepEqual(
        new Set(edges),
        new Set(expected.map((d) => `${d.parent}->${d.child}=${d.callCount}`)),
      );
      await shot(page, 'dependencies');
      await page.locator('.dep-node[data-service="ui-e2e-db"]').click();
      await page.waitForURL(/\/search\?service=ui-e2e-db/);
      await page.locator('.result').first().waitFor();
      assert.equal(await page.locator('.result').count(), 1);
    });

    test('upload: an OTLP JSON file and a Jaeger JSON file open in the trace view without being stored', async () => {
      const otlp = await (await fetch(`${base}/api/v3/traces/${linked.downstreamTrace}`)).text();
      const jaeger = await (await fetch(`${base}/api/traces/${biggest.traceId}`)).text();
      const otlpFile = join(dir, 'downstream.otlp.json');
      const jaegerFile = join(dir, 'biggest.jaeger.json');
      writeFileSync(otlpFile, otlp);
      writeFileSync(jaegerFile, jaeger);
      await page.goto(`${base}/upload`);
      await page.locator('input[type=file]').setInputFiles(otlpFile);
      await page.locator('[data-timeline-ready]').waitFor();
      assert.equal(await rowCount(page), 2);
      await page.locator('.notice', { hasText: 'not stored' }).waitFor();
      await page.locator('.tl-row.error').click();
      await page.locator('.span-detail', { hasText: 'deadlock detected' }).waitFor();
      await shot(page, 'upload-otlp');
      await page.locator('input[type=file]').setInputFiles(jaegerFile);
      await waitForRows(page, biggest.spanCount);
      await page.locator('input[type=file]').setInputFiles({
        name: 'bad.json',
        mimeType: 'application/json',
        buffer: Buffer.from('{"x":1}'),
      });
      await page.getByRole('alert').filter({ hasText: 'neither a Jaeger trace' }).waitFor();
      await shot(page, 'upload-jaeger-then-bad');

      // A server span recorded 5 ms before its client parent (another host's clock).
      const t0 = Date.now() * 1000;
      const span = (
        spanID: string,
        processID: string,
        startTime: number,
        duration: number,
        parent?: string,
      ) => ({
        traceID: 'ce11ce11ce11ce11ce11ce11ce11ce11',
        spanID,
        operationName: `op-${spanID}`,
        references: parent
          ? [{ refType: 'CHILD_OF', traceID: 'ce11ce11ce11ce11ce11ce11ce11ce11', spanID: parent }]
          : [],
        startTime,
        duration,
        tags: [],
        logs: [],
        processID,
      });
      const skewed = {
        data: [
          {
            traceID: 'ce11ce11ce11ce11ce11ce11ce11ce11',
            spans: [
              span('c000000000000001', 'p1', t0, 10_000),
              span('c000000000000002', 'p2', t0 - 5_000, 4_000, 'c000000000000001'),
            ],
            processes: {
              p1: { serviceName: 'client', tags: [] },
              p2: { serviceName: 'server', tags: [] },
            },
          },
        ],
      };
      await page.locator('input[type=file]').setInputFiles({
        name: 'skewed.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(skewed)),
      });
      await waitForRows(page, 2);
      const bar = page.locator('.tl-row[data-span-id="c000000000000002"] .tl-bar');
      const before = (await bar.boundingBox())!.x;
      const rootX = (await page
        .locator('.tl-row[data-span-id="c000000000000001"] .tl-bar')
        .boundingBox())!.x;
      assert.ok(before < rootX, 'recorded: the child starts before its parent');
      await page.getByLabel('Adjust clock skew').check();
      await page.locator('.notice', { hasText: 'Clock-skew adjustment is on: 1 span' }).waitFor();
      assert.ok((await bar.boundingBox())!.x > rootX, 'adjusted: the child is inside its parent');
      await shot(page, 'upload-skew-adjusted');
    });

    test('dark theme; a missing trace says what to do', async () => {
      await page.goto(`${base}/trace/${biggest.traceId}`);
      await page.locator('[data-timeline-ready]').waitFor();
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
      await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
      await shot(page, 'trace-dark');
      await page.goto(`${base}/trace/12345678901234567890123456789012`);
      await page.getByRole('alert').filter({ hasText: 'was not found' }).waitFor();
      assert.equal(
        await page.locator('html').getAttribute('data-theme'),
        'dark',
        'the theme is remembered',
      );
      await shot(page, 'trace-missing-dark');
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
    });
  },
);
