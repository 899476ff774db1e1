import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseBreakSpec } from '../../src/tracegen/break-spec.ts';
import { runTracegen, type TracegenResult } from '../../src/tracegen/tracegen.ts';
import type { TruthRates } from '../../src/tracegen/truth-tally.ts';
import { startSkein, type SkeinProcess } from '../e2e/skein-process.ts';
import { browserTestsUnavailable, launchChromium, SCREENSHOTS } from './browser.ts';

/*
 * Issue #10's "where it shows", in chromium against a real `skein all` fed by the real
 * tracegen with break injection: the Completeness page shows the injected causes and the
 * edges' answered rates, an example opens a split trace whose banner links its other
 * half, which says it is a fragment and links back, and the dependency graph colours the
 * broken edges red/amber and a whole one green. Rates are checked against the truth the
 * generator kept, as the page prints them (whole percents above 10%).
 */

/** What the page's percentages may differ from the truth: rounding to a whole percent. */
const PERCENT_TOLERANCE = 1;

interface Report {
  summary: { traces: number; complete: number };
  causes: { cause: string; count: number }[];
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Polls `/api/completeness` until every trace the generator sent has been judged. */
async function waitForCompleteness(base: string, truth: TruthRates): Promise<Report> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/api/completeness?lookback=1h`);
    const text = await res.text();
    last = `${res.status} ${text.slice(0, 400)}`;
    if (res.ok) {
      const report = (JSON.parse(text) as { data: Report }).data;
      const splits = report.causes.find((c) => c.cause === 'split_trace')?.count ?? 0;
      if (report.summary.traces >= truth.traces && splits >= (truth.causes.split_trace ?? 0))
        return report;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`completeness did not count the ${truth.traces} traces within 60 s; last: ${last}`);
}

/** The truth of a broken run plus a whole one: counts add up, shares are recomputed. */
function withWholeTraces(broken: TruthRates, whole: TruthRates): TruthRates {
  const traces = broken.traces + whole.traces;
  const complete = broken.complete + whole.complete;
  const edges = broken.edges.map((e) => {
    const w = whole.edges.find((x) => x.caller === e.caller && x.callee === e.callee);
    const calls = e.calls + (w?.calls ?? 0);
    const answered = e.answered + (w?.answered ?? 0);
    return { ...e, calls, answered, answeredShare: calls === 0 ? 1 : answered / calls };
  });
  return { ...broken, traces, complete, completeness: complete / traces, edges };
}

function truthEdge(truth: TruthRates, caller: string, callee: string) {
  const e = truth.edges.find((x) => x.caller === caller && x.callee === callee);
  assert.ok(e, `the truth has an edge ${caller}>${callee}`);
  return e;
}

function percentOf(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  assert.ok(m, `"${text}" is a percentage`);
  return Number(m[1]);
}

const unavailable = browserTestsUnavailable();

describe(
  'Completeness in chromium, against skein all fed by tracegen with injected breaks',
  { skip: unavailable !== null && !process.env.CI ? unavailable! : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-completeness-ui-'));
    let skein: SkeinProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base = '';
    let sent: TracegenResult;
    let truth: TruthRates;

    before(async () => {
      assert.equal(unavailable, null, unavailable ?? '');
      skein = await startSkein('all', [
        `--storage.duckdb.path=${dir}`,
        '--pipeline.traceBuffer.idleSeconds=1',
        '--pipeline.processors.completeness.flushIntervalSeconds=1',
      ]);
      base = skein.urls.get('query')!;
      const otlp = skein.urls.get('otlp-http')!;
      // Skein learns which services answer calls (and consume which queues) from the
      // traces it assembles: a whole warm-up run first, so every broken call is judged.
      const warmUp = await runTracegen({
        endpoint: otlp,
        protocol: 'http/protobuf',
        rate: 100,
        count: 60,
        durationSeconds: 0,
        seed: 9,
      });
      assert.equal(warmUp.failedSpans, 0, warmUp.lastError);
      const whole = warmUp.truth.rates();
      assert.equal(whole.completeness, 1);
      await waitForCompleteness(base, whole);
      // Rates chosen so each edge's truth lands clearly in one colour band: checkout>shipping
      // about 70% answered (red), frontend>catalog about 95% (amber), the rest 100% (green).
      sent = await runTracegen({
        endpoint: otlp,
        protocol: 'http/protobuf',
        rate: 100,
        count: 400,
        durationSeconds: 0,
        seed: 10,
        breaks: [
          parseBreakSpec('split:frontend>catalog=0.05'),
          parseBreakSpec('async:checkout>shipping=0.3'),
          parseBreakSpec('orphan:frontend>cart=0.05'),
        ],
      });
      assert.equal(sent.failedSpans, 0, sent.lastError);
      truth = withWholeTraces(sent.truth.rates(), whole);
      await waitForCompleteness(base, truth);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    });

    after(async () => {
      await browser?.close();
      await skein?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test('the truth has the colour bands this test relies on', () => {
      assert.ok(truthEdge(truth, 'checkout', 'shipping').answeredShare < 0.9);
      const catalog = truthEdge(truth, 'frontend', 'catalog').answeredShare;
      assert.ok(catalog >= 0.9 && catalog < 0.99, `frontend>catalog ${catalog}`);
      assert.equal(truthEdge(truth, 'frontend', 'checkout').answeredShare, 1);
      assert.ok((truth.causes.split_trace ?? 0) > 0 && (truth.causes.orphan ?? 0) > 0);
    });

    test('the nav opens the page: causes with their counts and explanations', async () => {
      await page.goto(`${base}/search`);
      await page.getByRole('link', { name: 'Completeness' }).click();
      await page.waitForURL(/\/completeness$/);
      await page.locator('.cause-card').first().waitFor();
      for (const cause of ['split_trace', 'async_break', 'orphan', 'fragment'] as const) {
        const card = page.locator(`.cause-card[data-cause=${cause}]`);
        assert.equal(
          Number(await card.locator('.cause-count').getAttribute('data-count')),
          truth.causes[cause],
          cause,
        );
      }
      assert.match(
        await page.locator('.cause-card[data-cause=split_trace] .cause-meaning').innerText(),
        /the trace context header was not injected by the caller or not extracted by the callee/,
      );
      // Propagation breaks first, the fragments (their other halves) after them.
      const order = await page
        .locator('.cause-card')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-cause')));
      assert.ok(order.indexOf('fragment') > order.indexOf('split_trace'), order.join());
      const rate = percentOf(await page.locator('[data-stat=rate] .stat-value').innerText());
      assert.ok(Math.abs(rate - truth.completeness * 100) <= PERCENT_TOLERANCE, `${rate}%`);
      await shot(page, 'completeness-page');
    });

    test('edges: most breaks first, with the right rates; headers sort from the keyboard', async () => {
      const rows = () =>
        page
          .locator('.completeness-edges tbody tr')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
      assert.deepEqual((await rows()).slice(0, 2), ['checkout->shipping', 'frontend->catalog']);
      for (const [caller, callee] of [
        ['checkout', 'shipping'],
        ['frontend', 'catalog'],
        ['frontend', 'checkout'],
      ]) {
        const cell = page.locator(`tr[data-edge="${caller}->${callee}"] td[data-column=rate]`);
        const shown = percentOf(await cell.innerText());
        const want = truthEdge(truth, caller, callee).answeredShare * 100;
        assert.ok(Math.abs(shown - want) <= PERCENT_TOLERANCE, `${caller}>${callee} ${shown}%`);
      }
      const rateHeader = page.locator('.completeness-edges button[data-column=rate]');
      await rateHeader.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/edgeSort=-rate/);
      await page.keyboard.press('Enter');
      await page.waitForURL(/edgeSort=rate/);
      assert.equal(await page.locator('.completeness-edges th[aria-sort=ascending]').count(), 1);
      assert.equal((await rows())[0], 'checkout->shipping');
    });

    test('a split example opens its trace; the banner links the other half, which links back', async () => {
      await page.goto(`${base}/completeness?lookback=1h&cause=split_trace`);
      const example = page.locator('.cause-card[data-cause=split_trace] .example').first();
      await example.waitFor();
      const traceId = (await example.getAttribute('data-trace-id'))!;
      const split = sent.splits.find((s) => s.traceId === traceId);
      assert.ok(split, `${traceId} is a split the generator injected`);
      assert.equal(split.cause, 'split_trace');
      assert.equal(
        await example.locator('a.other-half').getAttribute('data-other-trace-id'),
        split.fragmentTraceId,
      );

      await example.locator('a').first().click();
      await page.waitForURL(new RegExp(`/trace/${traceId}$`));
      const line = page.locator('.completeness-banner li[data-cause=split_trace]');
      await line.waitFor();
      assert.match(
        await line.innerText(),
        new RegExp(
          `This trace is split: frontend's call to catalog continued as trace ${split.fragmentTraceId.slice(0, 8)}`,
        ),
      );
      // The span at fault is selected and shown.
      await line.locator('button.show-span').click();
      await page.waitForURL(new RegExp(`/trace/${traceId}\\?span=${split.clientSpanId}$`));
      await page.locator(`.span-detail[data-span-id="${split.clientSpanId}"]`).waitFor();
      await shot(page, 'completeness-split-banner');

      await line.locator('a.other-half').click();
      await page.waitForURL(new RegExp(`/trace/${split.fragmentTraceId}$`));
      const fragment = page.locator('.completeness-banner li[data-cause=fragment]');
      await fragment.waitFor();
      assert.match(
        await fragment.innerText(),
        /This trace is a fragment: it continues frontend's call to catalog/,
      );
      assert.equal(await fragment.locator('a.other-half').getAttribute('data-trace-id'), traceId);
      await shot(page, 'completeness-fragment-banner');
      await fragment.locator('a.other-half').click();
      await page.waitForURL(new RegExp(`/trace/${traceId}$`));
      await page.locator('.completeness-banner li[data-cause=split_trace]').waitFor();
    });

    test('a complete trace has no banner', async () => {
      const res = await fetch(
        `${base}/api/v3/trace-summaries?query.service_name=search&query.searchDepth=20`,
      );
      const { summaries } = (await res.json()) as { summaries: { traceId: string }[] };
      // A trace rooted at frontend whose every call was answered: find one via the verdict.
      let complete = '';
      for (const s of summaries) {
        const v = (await (await fetch(`${base}/api/completeness/traces/${s.traceId}`)).json()) as {
          data: { complete: boolean };
        };
        if (v.data.complete) {
          complete = s.traceId;
          break;
        }
      }
      assert.ok(complete, 'a complete trace among the searched ones');
      const verdict = page.waitForResponse((r) =>
        r.url().endsWith(`/api/completeness/traces/${complete}`),
      );
      await page.goto(`${base}/trace/${complete}`);
      assert.equal((await verdict).status(), 200);
      await page.locator('.trace-header').waitFor();
      assert.equal(await page.locator('.completeness-banner').count(), 0);
    });

    test('the dependency graph: red and amber for the broken edges, green for a whole one', async () => {
      await page.goto(`${base}/dependencies?lookback=1h`);
      const edge = (name: string) => page.locator(`g.dep-edge[data-edge="${name}"]`);
      await edge('frontend->checkout').waitFor();
      assert.equal(await edge('checkout->shipping').getAttribute('data-tone'), 'bad');
      assert.equal(await edge('frontend->catalog').getAttribute('data-tone'), 'warn');
      assert.equal(await edge('frontend->checkout').getAttribute('data-tone'), 'good');
      const title = await edge('frontend->catalog').locator('title').first().textContent();
      assert.match(
        title ?? '',
        /% of \d+ judged calls answered in the same trace \(\d+ split trace\)/,
      );
      const stroke = (name: string) =>
        edge(name)
          .locator('path')
          // Runs in the page; the server's tsconfig has no DOM types.
          .evaluate(
            (p) =>
              (
                globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } }
              ).getComputedStyle(p).stroke,
          );
      assert.notEqual(await stroke('checkout->shipping'), await stroke('frontend->checkout'));
      assert.equal(await page.locator('.edge-legend .legend-item').count(), 4);
      await shot(page, 'completeness-dependencies');
    });
  },
);
