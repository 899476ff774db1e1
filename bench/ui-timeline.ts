/**
 * Web UI timeline benchmark, in headless Debian chromium against `skein all`:
 *  - time from navigation to a usable timeline (first rows painted) for one trace of
 *    1k, 10k and 50k spans, with the share spent fetching
 *    the trace (server + transfer + JSON parse);
 *  - frame times while scrolling the 50k-span trace (smooth scroll, then jumps as when
 *    dragging the scrollbar).
 * Goals (issue 4): 50k spans usable in ≤ 1.5 s; no frame over 50 ms while scrolling.
 *
 *   npm run build && node --import tsx bench/ui-timeline.ts [--runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSkein, type SkeinProcess } from '../packages/server/test/e2e/skein-process.ts';
import {
  browserTestsUnavailable,
  launchChromium,
  SCREENSHOTS,
} from '../packages/server/test/ui/browser.ts';

const sizesArg = process.argv.indexOf('--sizes');
const SIZES =
  sizesArg > 0 ? process.argv[sizesArg + 1].split(',').map(Number) : [1_000, 10_000, 50_000];
const SERVICES = [
  'frontend',
  'checkout',
  'cart',
  'catalog',
  'payments',
  'shipping',
  'search',
  'ads',
];
const FANOUT = 4;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * OTLP JSON requests (one per `chunk` spans) for one trace of `n` spans: a tree with
 * fan-out 4 (depth ~8 at 50k), each child inside its parent, 8 services, 6 attributes
 * per span, an event on every 10th span and an error on every 50th.
 */
export function traceRequests(
  traceNo: number,
  n: number,
  chunk: number,
): { traceId: string; bodies: string[] } {
  const traceId = hex(0xabc000 + traceNo, 32);
  const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  const interval = new Float64Array(n * 2);
  interval[0] = 0;
  interval[1] = 2_000_000_000; // 2 s, in ns
  const bodies: string[] = [];
  let spansByService = new Map<string, object[]>();
  const flush = () => {
    const resourceSpans = [...spansByService].map(([service, spans]) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: service } },
          { key: 'host.name', value: { stringValue: `${service}-7f9c` } },
        ],
      },
      scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans }],
    }));
    bodies.push(JSON.stringify({ resourceSpans }));
    spansByService = new Map();
  };
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? -1 : Math.floor((i - 1) / FANOUT);
    if (parent >= 0) {
      const k = (i - 1) % FANOUT;
      const ps = interval[parent * 2];
      const pd = interval[parent * 2 + 1];
      const slot = pd / FANOUT;
      interval[i * 2] = ps + k * slot + slot * 0.05;
      interval[i * 2 + 1] = slot * 0.85;
    }
    const s = BigInt(Math.round(interval[i * 2]));
    const d = BigInt(Math.max(1000, Math.round(interval[i * 2 + 1])));
    const service = SERVICES[i === 0 ? 0 : (parent * 3 + i) % SERVICES.length];
    const span: Record<string, unknown> = {
      traceId,
      spanId: hex(i + 1, 16),
      name: i === 0 ? 'GET /bench' : `op-${i % 37}`,
      kind: i === 0 ? 2 : (i % 3) + 1,
      startTimeUnixNano: String(startNs + s),
      endTimeUnixNano: String(startNs + s + d),
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: `/items/{id}/${i % 11}` } },
        { key: 'http.response.status_code', value: { intValue: String(i % 50 === 0 ? 500 : 200) } },
        { key: 'db.statement', value: { stringValue: `SELECT * FROM items WHERE id = ${i}` } },
        { key: 'retry', value: { boolValue: i % 7 === 0 } },
        { key: 'ratio', value: { doubleValue: (i % 100) / 100 } },
      ],
      events:
        i % 10 === 0
          ? [{ timeUnixNano: String(startNs + s + d / 2n), name: 'cache miss', attributes: [] }]
          : [],
      links: [],
      status: i % 50 === 0 ? { code: 2, message: 'upstream failed' } : {},
    };
    if (parent >= 0) span.parentSpanId = hex(parent + 1, 16);
    const list = spansByService.get(service);
    if (list) list.push(span);
    else spansByService.set(service, [span]);
    if ((i + 1) % chunk === 0) flush();
  }
  if (spansByService.size > 0) flush();
  return { traceId, bodies };
}

/** POSTs OTLP JSON, waiting as told (Retry-After) while the pipeline's queue is full. */
async function exportJson(url: string, body: string): Promise<void> {
  for (;;) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (res.ok) return;
    const text = await res.text();
    if (res.status !== 429 && res.status !== 503)
      throw new Error(`OTLP export answered ${res.status}: ${text}`);
    const seconds = Number(res.headers.get('retry-after') ?? '1') || 1;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

interface LoadResult {
  /** Navigation start → the first rows painted. */
  usableMs: number;
  /** Request start → trace JSON parsed (the request starts in index.html, during page load). */
  fetchMs: number;
  /** Trace JSON parsed → first rows painted (conversion, model, first render and paint). */
  buildMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const why = browserTestsUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'skein-ui-bench-'));
  const args = [`--storage.duckdb.path=${dir}`];
  let skein: SkeinProcess = await startSkein('all', args);
  const browser = await launchChromium();
  try {
    const otlp = skein.urls.get('otlp-http')!;
    const ids = new Map<number, string>();
    for (const [no, n] of SIZES.entries()) {
      const { traceId, bodies } = traceRequests(no, n, 5000);
      for (const body of bodies) await exportJson(`${otlp}/v1/traces`, body);
      ids.set(n, traceId);
    }
    // A graceful stop writes everything accepted; restart on the same store.
    await skein.stop();
    skein = await startSkein('all', args);
    const base = skein.urls.get('query')!;

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const load = async (traceId: string): Promise<LoadResult> => {
      await page.goto('about:blank');
      await page.goto(`${base}/trace/${traceId}`);
      await page.locator('[data-timeline-ready]').waitFor({ timeout: 60_000 });
      // Usable = the timeline's first rows painted. The app marks it in an effect, and
      // Preact runs effects after the browser has painted the committed rows. (Timing the
      // waitFor above instead would add Playwright's polling interval, up to 500 ms.)
      return page.evaluate(`(() => {
        const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
        return {
          usableMs: mark('skein:timeline-ready'),
          fetchMs: mark('skein:trace-fetched') - mark('skein:trace-fetch'),
          buildMs: mark('skein:timeline-ready') - mark('skein:trace-fetched'),
        };
      })()`) as Promise<LoadResult>;
    };

    for (const n of SIZES) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/traces/${ids.get(n)}`);
      const bytes = (await res.arrayBuffer()).byteLength;
      const ms = performance.now() - t0;
      console.log(
        `GET /api/traces/{id} for ${n} spans: ${ms.toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB`,
      );
    }
    console.log(`UI timeline: navigation → usable timeline, median of ${RUNS} runs (1280×800)`);
    console.log('spans    usable ms   fetch+parse ms   build+render ms   runs (usable ms)');
    for (const n of SIZES) {
      const traceId = ids.get(n)!;
      await load(traceId); // warm-up: server caches, chromium's code cache
      const results: LoadResult[] = [];
      for (let r = 0; r < RUNS; r++) results.push(await load(traceId));
      const usable = median(results.map((x) => x.usableMs));
      const fetchMs = median(results.map((x) => x.fetchMs));
      const buildMs = median(results.map((x) => x.buildMs));
      console.log(
        `${String(n).padEnd(8)} ${usable.toFixed(0).padStart(9)}   ${fetchMs.toFixed(0).padStart(14)}   ${buildMs.toFixed(0).padStart(15)}   ${results.map((x) => x.usableMs.toFixed(0)).join(', ')}`,
      );
      if (n === 50_000) await page.screenshot({ path: join(SCREENSHOTS, 'bench-50k.png') });
    }

    // Scrolling the 50k trace: one step per frame, timed by requestAnimationFrame.
    const frames = (await page.evaluate(`new Promise((resolve) => {
      const body = document.querySelector('.tl-body');
      const deltas = { smooth: [], jump: [] };
      let last = 0;
      let frame = 0;
      const SMOOTH = 300, JUMP = 120;
      const step = (t) => {
        if (last) deltas[frame <= SMOOTH ? 'smooth' : 'jump'].push(t - last);
        last = t;
        frame++;
        if (frame <= SMOOTH) body.scrollTop += 96;
        else if (frame <= SMOOTH + JUMP) body.scrollTop = ((frame * 7919) % 997) / 997 * (body.scrollHeight - body.clientHeight);
        else return resolve(deltas);
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    })`)) as Record<'smooth' | 'jump', number[]>;
    await page.screenshot({ path: join(SCREENSHOTS, 'bench-50k-scrolled.png') });
    console.log('\nScrolling the 50k-span trace: frame intervals (ms)');
    console.log('phase                 frames   median    p95     max   over 50 ms');
    for (const [phase, list] of Object.entries(frames)) {
      const sorted = [...list].sort((a, b) => a - b);
      const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      const label = phase === 'smooth' ? 'smooth (4 rows/frame)' : 'jumps (random rows)';
      console.log(
        `${label.padEnd(21)} ${String(list.length).padStart(6)} ${p(0.5).toFixed(1).padStart(8)} ${p(0.95).toFixed(1).padStart(6)} ${sorted[sorted.length - 1].toFixed(1).padStart(7)} ${String(list.filter((d) => d > 50).length).padStart(8)}`,
      );
    }
  } finally {
    await browser.close();
    await skein.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
