/**
 * Query latency with auth, tenants and TLS on vs off (issue 15: "query latency with
 * auth on unchanged within noise").
 *
 *   node --import tsx bench/query-auth.ts [--spans 200000] [--reps 300] [--rounds 3] [--tls on|off]
 *
 * Starts two `skein all` processes on DuckDB files in a temp dir: `on` requires a token
 * bound to tenant "bench" on every listener and serves TLS with a test CA (`--tls off`:
 * token and tenant without TLS, to tell the two costs apart); `off` has
 * neither. Loads the same OTLP/protobuf payloads (bench/payloads.ts) into both, then
 * times the same reads over keep-alive connections, alternating the two processes
 * each round: trace by id, services, and a service search (1 h, limit 20). Prints
 * p50/p95 per mode and the on/off ratio of the medians.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSkein, type SkeinProcess } from '../packages/server/test/e2e/skein-process.ts';
import { buildOtlpJsonRequest } from './payloads.ts';
import { encodeOtlpJsonAsProto } from '../packages/server/src/receivers/otlp/test-support/reference-otlp.ts';
import { makeTestPki } from './test-pki.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const SPANS = Number(arg('spans', '200000'));
const REPS = Number(arg('reps', '300'));
const ROUNDS = Number(arg('rounds', '3'));
const BATCH = 500;
const TOKEN = 'bench-query-token-0123456789abcdef';
const TLS = arg('tls', 'on') === 'on';

interface Mode {
  name: 'on' | 'off';
  skein: SkeinProcess;
  dir: string;
  get(path: string): Promise<{ status: number; body: string }>;
  post(path: string, body: Uint8Array, base: string): Promise<number>;
}

const pki = makeTestPki();

async function start(name: 'on' | 'off'): Promise<Mode> {
  const dir = mkdtempSync(join(tmpdir(), `skein-bench-qauth-${name}-`));
  const args = [`--storage.duckdb.path=${join(dir, 'skein.duckdb')}`];
  if (name === 'on') {
    args.push(
      `--security.tokens=${JSON.stringify([{ name: 'bench', secret: TOKEN, scopes: ['ingest', 'read', 'admin'], tenant: 'bench' }])}`,
    );
    if (TLS)
      args.push(`--security.tls.certFile=${pki.certFile}`, `--security.tls.keyFile=${pki.keyFile}`);
  }
  const skein = await startSkein('all', args);
  const tls = name === 'on' && TLS;
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: pki.ca })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const headers: Record<string, string> = name === 'on' ? { authorization: `Bearer ${TOKEN}` } : {};
  const request = tls ? httpsRequest : httpRequest;
  const query = skein.urls.get('query')!;
  const call = (
    url: string,
    method: string,
    extra: Record<string, string>,
    body?: Uint8Array,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method, agent, headers: { ...headers, ...extra } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    name,
    skein,
    dir,
    get: (path) => call(`${query}${path}`, 'GET', {}),
    post: async (path, body, base) =>
      (await call(`${base}${path}`, 'POST', { 'content-type': 'application/x-protobuf' }, body))
        .status,
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const modes = [await start('on'), await start('off')];
const nowNs = BigInt(Date.now() - 30 * 60_000) * 1_000_000n;
const traceIds: string[] = [];
for (let i = 0; i < SPANS / BATCH; i++) {
  const json = buildOtlpJsonRequest({
    spans: BATCH,
    seed: i + 1,
    serviceName: `svc-${i % 8}`,
    startTimeUnixNano: String(nowNs + BigInt(i) * 1_000_000_000n),
  }) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
  traceIds.push(json.resourceSpans[0].scopeSpans[0].spans[0].traceId);
  const body = encodeOtlpJsonAsProto(json);
  for (const m of modes) {
    const status = await m.post('/v1/traces', body, m.skein.urls.get('otlp-http')!);
    if (status !== 200) throw new Error(`${m.name}: load request ${i} got ${status}`);
  }
}
// Written and queryable: the last trace of the load is found in both.
for (const m of modes) {
  const last = traceIds[traceIds.length - 1];
  for (;;) {
    const res = await m.get(`/api/traces/${last}`);
    if (res.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const start1h = (Date.now() - 3_600_000) * 1000;
const end1h = (Date.now() + 60_000) * 1000;
const reads: Record<string, (i: number) => string> = {
  'trace by id': (i) => `/api/traces/${traceIds[(i * 7919) % traceIds.length]}`,
  services: () => '/api/services',
  'search service, 1 h, limit 20': (i) =>
    `/api/traces?service=svc-${i % 8}&start=${start1h}&end=${end1h}&limit=20`,
};
const times = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? modes : [...modes].reverse();
  for (const m of order) {
    for (const [name, path] of Object.entries(reads)) {
      const key = `${name}|${m.name}`;
      const list = times.get(key) ?? [];
      const reps = name.startsWith('search') ? Math.ceil(REPS / 5) : REPS;
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        const res = await m.get(path(i + round * reps));
        list.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`${m.name} ${path(i)}: ${res.status}`);
      }
      times.set(key, list);
    }
  }
}
for (const m of modes) {
  await m.skein.stop();
  rmSync(m.dir, { recursive: true, force: true });
}
rmSync(pki.dir, { recursive: true, force: true });

console.log(
  `\nquery-auth: ${SPANS} spans in each store, ${ROUNDS} alternating rounds, TLS ${TLS ? 'on' : 'off'} in the on mode; load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `| read | token + tenant${TLS ? ' + TLS' : ''} on p50 / p95 ms | off p50 / p95 ms | on / off (p50) |`,
);
console.log('| --- | --- | --- | --- |');
for (const name of Object.keys(reads)) {
  const on = [...times.get(`${name}|on`)!].sort((a, b) => a - b);
  const off = [...times.get(`${name}|off`)!].sort((a, b) => a - b);
  console.log(
    `| ${name} | ${pct(on, 0.5).toFixed(2)} / ${pct(on, 0.95).toFixed(2)} | ${pct(off, 0.5).toFixed(2)} / ${pct(off, 0.95).toFixed(2)} | ${(pct(on, 0.5) / pct(off, 0.5)).toFixed(2)} |`,
  );
}
