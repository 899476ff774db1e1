import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/*
 * Issue 14's memory test, on a real `skein all` with the shipped query limits:
 * a ~50 MB trace (40,000 spans, ~1.25 KB of OTLP JSON each) is stored, then — while a
 * load process keeps ingesting — concurrent reads of that trace, of a normal trace,
 * searches with limit=1000000000 and big /api/transform bodies. Every answer must be
 * correct or one of the documented refusals (413 SKEIN_ANSWER_TOO_LARGE /
 * SKEIN_BODY_TOO_LARGE, 415, 503 SKEIN_QUERY_BUSY with Retry-After), and the server's
 * peak RSS (VmHWM) must stay under RSS_BOUND_MB. Before the limits the same reads
 * took RSS to 2.6-3.5 GB and answered 500 with DuckDB's text.
 */
/**
 * The stated bound. 1 GB until the DuckDB store moved to its own thread
 * (storage.duckdb.workerThread): its second JS heap and the faster ingest alongside
 * (~3× the spans in the same seconds) raised this test's peak from 608-868 MB to
 * 860-1070 MB (Node 20 and 24; BENCHMARKS.md, "Memory under big answers").
 */
const RSS_BOUND_MB = 1280;
const BIG_SPANS = 40_000;
const BATCH_SPANS = 2_000;
/** query.maxResponseBytes's default. */
const MAX_RESPONSE = 16 * 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'skein-query-memory-'));
let skein: SkeinProcess;
let query: string;
let otlp: string;

const BIG = 'b16b16b16b16b16b16b16b16b16b16b1';
const NORMAL = '0123456789abcdef0123456789abcdef';

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** OTLP JSON for spans [from, to) of `traceId`, each ~1.25 KB. */
function otlpBatch(traceId: string, from: number, to: number, startNs: bigint): string {
  const spans = [];
  for (let i = from; i < to; i++) {
    spans.push({
      traceId,
      spanId: hex(i + 1, 16),
      parentSpanId: i === 0 ? '' : hex(Math.floor(i / 8) + 1, 16),
      name: `GET /catalog/items/${i % 50}`,
      kind: 2,
      startTimeUnixNano: String(startNs + BigInt(i) * 1000n),
      endTimeUnixNano: String(startNs + BigInt(i) * 1000n + 500_000n),
      attributes: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'http.url', value: { stringValue: `https://shop.example/catalog/items/${i}` } },
        { key: 'payload', value: { stringValue: 'p'.repeat(900) } },
      ],
      status: {},
    });
  }
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'catalog' } }] },
        scopeSpans: [{ scope: { name: 'e2e' }, spans }],
      },
    ],
  });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function sendSpans(body: string): Promise<void> {
  for (;;) {
    const res = await post(otlp, body, { 'content-type': 'application/json' });
    if (res.status === 200) return;
    // The documented overload answer: retry after the delay it names.
    assert.ok(res.status === 429 || res.status === 503, `ingest ${res.status} ${res.text}`);
    const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function rssOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Answers seen, by kind of request and status, for the log and the last checks. */
const seen = new Map<string, number>();
function count(what: string, status: number): void {
  const key = `${what.replace(/ \d+$/, '')} ${status}`;
  seen.set(key, (seen.get(key) ?? 0) + 1);
}

/** An answer is correct, or one of the documented refusals. */
function assertRefusal(what: string, status: number, text: string, headers: Headers): void {
  count(what, status);
  if (status === 503) {
    assert.ok(headers.get('retry-after'), `${what}: 503 without Retry-After`);
    assert.match(text, /busy|out of memory/, `${what}: 503 ${text}`);
    return;
  }
  assert.equal(status, 413, `${what}: ${status} ${text.slice(0, 300)}`);
  assert.match(text, /query\.maxResponseBytes|query\.maxTransformBodyBytes/);
}

before(async () => {
  skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
  query = skein.urls.get('query')!;
  otlp = skein.urls.get('otlp-http')! + '/v1/traces';
  const start = BigInt(Date.now() - 60_000) * 1_000_000n;
  for (let from = 0; from < BIG_SPANS; from += BATCH_SPANS) {
    await sendSpans(otlpBatch(BIG, from, from + BATCH_SPANS, start));
  }
  await sendSpans(otlpBatch(NORMAL, 0, 40, start));
  // Stored once the big trace is past the answer limit and the normal one is whole.
  await eventually(
    async () => {
      const res = await fetch(`${query}/api/traces/${BIG}`);
      await res.arrayBuffer();
      return res.status === 413 ? true : undefined;
    },
    'the big trace to be stored',
    60_000,
  );
  await eventually(async () => {
    const res = await fetch(`${query}/api/traces/${NORMAL}`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { data: { spans: unknown[] }[] };
    return body.data[0].spans.length === 40 ? true : undefined;
  }, 'the normal trace to be stored');
});

after(async () => {
  if (skein !== undefined) await skein.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('concurrent big reads, huge searches and big transforms while ingesting stay under the RSS bound', async () => {
  const pid = skein.child.pid!;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid, 'VmRSS'));
  }, 50);
  let ingesting = true;
  let ingested = 0;
  const ingest = (async () => {
    const start = BigInt(Date.now()) * 1_000_000n;
    // Bounded: at most 200 batches, stopped when the reads are done.
    for (let b = 0; ingesting && b < 200; b++) {
      await sendSpans(otlpBatch(hex(b + 1, 32), 0, 200, start + BigInt(b) * 1_000_000n));
      ingested += 200;
    }
  })();

  const bigRead = async (n: number) => {
    const res = await fetch(`${query}/api/traces/${BIG}`);
    assertRefusal(`big read ${n}`, res.status, await res.text(), res.headers);
  };
  const normalRead = async (n: number) => {
    const res = await fetch(`${query}/api/traces/${NORMAL}`);
    const text = await res.text();
    if (res.status !== 200) return assertRefusal(`normal read ${n}`, res.status, text, res.headers);
    count('normal read', 200);
    const body = JSON.parse(text) as { data: { spans: unknown[] }[] };
    assert.equal(body.data[0].spans.length, 40);
  };
  const hugeSearch = async (n: number) => {
    const end = Date.now() * 1000 + 60e6;
    const res = await fetch(
      `${query}/api/traces?service=catalog&start=${end - 3600e6}&end=${end}&limit=1000000000`,
    );
    const text = await res.text();
    if (res.status !== 200) return assertRefusal(`search ${n}`, res.status, text, res.headers);
    count('search', 200);
    assert.ok(Buffer.byteLength(text) <= MAX_RESPONSE, `search ${n}: ${text.length} bytes`);
    const body = JSON.parse(text) as { data: { traceID: string }[]; errors: unknown };
    // The big trace does not fit: it is left out and said so.
    assert.ok(!body.data.some((t) => t.traceID === BIG));
    assert.match(JSON.stringify(body.errors), /query\.maxResponseBytes/);
  };
  const bigTransform = async (n: number) => {
    // ~10 MB of OTLP JSON (under the 16 MiB body limit), some of it gzipped.
    const json = otlpBatch(hex(0xf000 + n, 32), 0, 8_000, 1_700_000_000_000_000_000n);
    const gzip = n % 2 === 0;
    const res = await post(`${query}/api/transform`, gzip ? gzipSync(json) : json, {
      'content-type': 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    if (res.status !== 200)
      return assertRefusal(`transform ${n}`, res.status, res.text, res.headers);
    count('transform', 200);
    const body = JSON.parse(res.text) as { data: { spans: unknown[] }[] };
    assert.equal(body.data[0].spans.length, 8_000);
  };
  const tooBigTransform = async () => {
    const res = await post(`${query}/api/transform`, 'x'.repeat(20 * 1024 * 1024), {
      'content-type': 'application/json',
    });
    assert.equal(res.status, 413);
    assert.match(res.text, /query\.maxTransformBodyBytes/);
  };
  const wrongType = async () => {
    const res = await post(`${query}/api/transform`, '<xml/>', {
      'content-type': 'application/xml',
    });
    assert.equal(res.status, 415);
    assert.match(res.text, /send one of: application\/json/);
  };

  try {
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 1; round++) {
      for (let i = 0; i < 4; i++) work.push(bigRead(round * 10 + i));
      for (let i = 0; i < 4; i++) work.push(normalRead(round * 10 + i));
      for (let i = 0; i < 3; i++) work.push(hugeSearch(round * 10 + i));
      for (let i = 0; i < 3; i++) work.push(bigTransform(round * 10 + i));
      work.push(tooBigTransform(), wrongType());
    }
    await Promise.all(work);
  } finally {
    ingesting = false;
    await ingest;
    clearInterval(sampler);
  }
  const hwm = rssOf(pid, 'VmHWM');
  assert.ok(ingested > 0, 'ingest ran alongside the reads');
  assert.ok(
    Math.max(peak, hwm) < RSS_BOUND_MB,
    `server RSS peaked at ${Math.round(Math.max(peak, hwm))} MB (bound ${RSS_BOUND_MB} MB)`,
  );
  // The limits did their work: the big trace was refused for its size, not only for load.
  assert.ok((seen.get('big read 413') ?? 0) > 0, JSON.stringify([...seen]));
  // Still serving.
  const res = await fetch(`${query}/api/traces/${NORMAL}`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  console.log(
    `query-memory: peak RSS ${Math.round(Math.max(peak, hwm))} MB, ${ingested} spans ingested alongside; answers ${JSON.stringify([...seen])}`,
  );
});
