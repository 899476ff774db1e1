import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Browser } from 'playwright-core';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { eventually } from '../e2e/eventually.ts';
import { startSkein, type SkeinProcess } from '../e2e/skein-process.ts';
import { browserTestsUnavailable, launchChromium } from './browser.ts';

/** Script payloads: each one, if ever parsed as HTML or followed as a URL, bumps window.__xss. */
const PAYLOADS = [
  '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
  '<script>window.__xss=(window.__xss||0)+1</script>',
  '"><svg onload="window.__xss=(window.__xss||0)+1">',
  'javascript:window.__xss=(window.__xss||0)+1',
  '{{constructor.constructor("window.__xss=1")()}}',
];
const SERVICE = `xss-svc ${PAYLOADS[0]}`;

/** One trace whose every text field holds a payload: service, resource, span names, attributes, events, status, links. */
async function sendXssTrace(otlpUrl: string): Promise<string> {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }));
  const resource: Record<string, string> = { 'service.name': SERVICE };
  PAYLOADS.forEach((p, i) => (resource[`host.${i}${p}`] = p));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer(PAYLOADS[1], PAYLOADS[2]);
  const attributes: Record<string, string> = {
    'http.url': PAYLOADS[3],
    'peer.service': PAYLOADS[2],
  };
  PAYLOADS.forEach((p, i) => (attributes[`attr.${i}${p}`] = p));
  const root = tracer.startSpan(`GET ${PAYLOADS[0]}`, { kind: SpanKind.SERVER, attributes });
  const other = tracer.startSpan(PAYLOADS[4]);
  other.end();
  const child = tracer.startSpan(
    PAYLOADS[1],
    { kind: SpanKind.CLIENT, attributes, links: [{ context: other.spanContext(), attributes }] },
    trace.setSpan(context.active(), root),
  );
  for (const p of PAYLOADS) child.addEvent(p, { [p]: p });
  child.setStatus({ code: SpanStatusCode.ERROR, message: PAYLOADS.join(' ') });
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(exporter.failed, 0, exporter.lastError);
  return root.spanContext().traceId;
}

const skip = browserTestsUnavailable();

describe(
  'the UI under its Content-Security-Policy, with script payloads in every span field',
  { skip: skip ?? false },
  () => {
    let skein: SkeinProcess;
    let browser: Browser;
    let base: string;
    let traceId: string;
    before(async () => {
      skein = await startSkein('all', [
        '--storage.duckdb.path=:memory:',
        '--security.cors.query=["https://ui.example.com"]',
      ]);
      base = skein.urls.get('query') ?? '';
      traceId = await sendXssTrace(skein.urls.get('otlp-http') ?? '');
      await eventually(async () => {
        const res = await fetch(`${base}/api/traces/${traceId}`);
        return res.status === 200 ? true : undefined;
      }, 'the payload trace to be stored');
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await skein?.stop('SIGKILL');
    });

    test('pages carry CSP (no inline script but the page’s own, by hash; no framing), nosniff and a referrer policy', async () => {
      const page = await fetch(`${base}/`, { headers: { 'accept-encoding': 'gzip' } });
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      assert.doesNotMatch(csp, /unsafe-inline'[^;]*;?\s*$|script-src[^;]*unsafe-inline/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      const api = await fetch(`${base}/api/services`);
      assert.equal(
        api.headers.get('content-security-policy'),
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      );
      assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
    });

    test('CORS: an allowed origin gets its preflight and headers; any other origin gets none', async () => {
      const preflight = (origin: string) =>
        fetch(`${base}/api/services`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
      const ok = await preflight('https://ui.example.com');
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://ui.example.com');
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /authorization/);
      assert.equal(ok.headers.get('access-control-allow-credentials'), null);
      const denied = await preflight('https://evil.example.com');
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.get('access-control-allow-origin'), null);
      const simple = await fetch(`${base}/api/services`, {
        headers: { origin: 'https://evil.example.com' },
      });
      assert.equal(simple.headers.get('access-control-allow-origin'), null);
      // The Zipkin port allows no origin by default (Zipkin itself answers *).
      const zipkin = await fetch(`${skein.urls.get('zipkin')}/api/v2/services`, {
        headers: { origin: 'https://ui.example.com' },
      });
      assert.equal(zipkin.headers.get('access-control-allow-origin'), null);
    });

    test('every UI page shows the payloads as text: no script runs and no CSP violation is reported', async () => {
      const page = await browser.newPage();
      await page.addInitScript({
        content: `window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`,
      });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const service = encodeURIComponent(SERVICE);
      const visits: [string, string][] = [
        [`/search?service=${service}`, '.result'],
        [`/trace/${traceId}`, '[data-timeline-ready]'],
        ['/dependencies', 'main'],
        ['/monitor', 'main'],
        ['/completeness', 'main'],
        ['/sampling', 'main'],
      ];
      for (const [path, ready] of visits) {
        await page.goto(`${base}${path}`);
        await page.locator(ready).first().waitFor();
        if (path.startsWith('/trace/')) {
          // Open every span's details so attributes, events, links and status render.
          const rows = page.locator('.tl-row');
          for (let i = 0; i < (await rows.count()); i++) await rows.nth(i).click();
          assert.ok(
            (await page.content()).includes('&lt;img src=x onerror='),
            'the payload is shown, escaped',
          );
        }
        const state = (await page.evaluate(
          '({ xss: window.__xss ?? 0, violations: window.__violations })',
        )) as { xss: number; violations: string[] };
        assert.equal(state.xss, 0, `${path}: a payload ran`);
        assert.deepEqual(state.violations, [], `${path}: CSP violations`);
      }
      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  },
);
