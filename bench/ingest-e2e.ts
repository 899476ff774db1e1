/**
 * End-to-end ingest benchmark: a separate `skein all` process on the DuckDB file store,
 * this process as the load generator sending OTLP/HTTP protobuf, and a decode-only
 * baseline over the same payloads measured in the same run.
 *
 *   node --import tsx bench/ingest-e2e.ts [--spans 2000000] [--batch 500] [--connections 4]
 *        [--store file|memory] [--queue-spans N] [--batch-spans N]
 *        [--processors default|off|realistic|completeness|tail] [--intake on|off]
 *        [--security on|off] [--protocol http|grpc] [--source synthetic|otel-sdk]
 *        [--skein-node-options "--max-old-space-size=192"]
 *
 * `--set path=value` (repeatable) passes a config override to skein (`--path=value`).
 * The server's CPU is also reported per thread name (/proc/<pid>/task: the main
 * thread `node`, DuckDB's and libuv's pools, V8's GC helpers).
 *
 * `--protocol grpc` sends the same requests over OTLP/gRPC (unary Export calls on
 * `connections` channels) instead of OTLP/HTTP. `--source otel-sdk` sends what the
 * OpenTelemetry JS SDK sends (bench/otel-sdk-payloads.ts: spans of a real tracer in
 * BatchSpanProcessor's 512-span batches, serialised by exporter-trace-otlp-proto's
 * serializer) instead of bench/payloads.ts's requests (`--batch` is then 512).
 *
 * `--processors`: `default` runs the shipped chain (redaction's default rules, span
 * metrics, completeness); `off` runs none; `realistic` runs the same chain with
 * redaction's rules from issue #8's example (key drops, a hash rule, every value
 * detector, a user regex, SQL literals, URL query masking); `completeness` runs trace
 * completeness alone; `tail` runs tail sampling alone with three policies (errors,
 * latency ≥ 500 ms, 10 % probabilistic) and the default 10 s decision wait, the trace
 * buffer sized to hold the whole run. With tail sampling, spans it drops count as
 * done (written + dropped), and the clock includes the last decision wait, so compare
 * its "accepted" rate too.
 *
 * `--security on`: every listener with a static token bound to tenant `bench` required (the
 * sender sends it; its spans are stamped with the tenant and pass the per-tenant rate
 * limiter) and TLS (a test CA made by openssl); `off` (default) neither (issue 15's ratio).
 *
 * `--intake`: the durable intake (pipeline.intake.enabled; on by default in skein):
 * each batch is fsync'd to the intake log before its 200. `off` measures the
 * in-memory queue alone.
 *
 * "End to end" ends when skein reports every accepted span written
 * (skein_spans_written_total), i.e. committed and queryable; one trace is then read
 * back through the query API to prove it.
 */
import { statSync, mkdtempSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request, get as httpGet } from 'node:http';
import { Agent as TlsAgent, request as tlsRequest, get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import { columnBytes } from './duckdb-column-bytes.ts';
import { SDK_BATCH, buildOtelSdkRequests } from './otel-sdk-payloads.ts';
import { buildOtlpJsonRequest, buildOtlpRequest } from './payloads.ts';
import { makeTestPki } from './test-pki.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const totalSpans = Number(arg('spans', '2000000'));
const source = arg('source', 'synthetic');
if (source !== 'synthetic' && source !== 'otel-sdk')
  throw new Error('--source: synthetic or otel-sdk');
const protocol = arg('protocol', 'http');
if (protocol !== 'http' && protocol !== 'grpc') throw new Error('--protocol: http or grpc');
const batch = source === 'otel-sdk' ? SDK_BATCH : Number(arg('batch', '500'));
const connections = Number(arg('connections', '4'));
const store = arg('store', 'file');
const extra: string[] = [];
if (arg('queue-spans', '') !== '')
  extra.push(`--pipeline.queue.maxSpans=${arg('queue-spans', '')}`);
if (arg('batch-spans', '') !== '')
  extra.push(`--pipeline.batch.maxSpans=${arg('batch-spans', '')}`);

for (let i = 0; i < process.argv.length; i++)
  if (process.argv[i] === '--set' && process.argv[i + 1] !== undefined)
    extra.push(`--${process.argv[i + 1]}`);

const intake = arg('intake', 'on');
if (intake !== 'on' && intake !== 'off') throw new Error('--intake: on or off');
extra.push(`--pipeline.intake.enabled=${intake === 'on'}`);

// ---- security: a token on every listener and TLS with a test CA (--security on)
const security = arg('security', 'off');
if (security !== 'on' && security !== 'off') throw new Error('--security: on or off');
if (security === 'on' && protocol === 'grpc')
  throw new Error('--security on: with --protocol http only');
const TOKEN = 'bench-token-0123456789abcdef';
let ca: Buffer | undefined;
if (security === 'on') {
  const pki = makeTestPki();
  ca = pki.ca;
  extra.push(
    `--security.tokens=${JSON.stringify([{ name: 'bench', secret: TOKEN, scopes: ['ingest', 'read', 'admin'], tenant: 'bench' }])}`,
    // A tenant rate high enough never to refuse: the limiter's cost is measured, not its refusals.
    '--tenants.maxSpansPerSecond=100000000',
    `--security.tls.certFile=${pki.certFile}`,
    `--security.tls.keyFile=${pki.keyFile}`,
  );
}
const authHeaders: Record<string, string> =
  security === 'on' ? { authorization: `Bearer ${TOKEN}` } : {};

/** GET a URL of the server (http or https with the test CA, with the token); resolves with status and body. */
function getText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = { headers: authHeaders, ...(ca === undefined ? {} : { ca }) };
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
}

const processors = arg('processors', 'default');
if (processors === 'off') extra.push('--pipeline.processors.order=');
else if (processors === 'realistic') {
  const file = join(mkdtempSync(join(tmpdir(), 'skein-bench-config-')), 'skein.yaml');
  writeFileSync(
    file,
    `pipeline:
  processors:
    order: [redaction, spanMetrics, completeness]
    redaction:
      hashKey: bench-hash-key-0123456789
      sqlLiterals: true
      urlQuery: [token, key, password]
      rules:
        - keys: ["*.password", "http.request.header.authorization", "db.connection_string"]
          action: drop
        - keys: ["enduser.id", "user.email"]
          action: hash
        - values: [email, credit_card, phone, jwt, cn_id_card, ipv4]
          action: mask
        - values: ['secret-[0-9a-f]{16}']
          action: replace
          with: "[redacted]"
`,
  );
  extra.push('--config', file);
} else if (processors === 'completeness') extra.push('--pipeline.processors.order=completeness');
else if (processors === 'tail') {
  const file = join(mkdtempSync(join(tmpdir(), 'skein-bench-config-')), 'skein.yaml');
  writeFileSync(
    file,
    `pipeline:
  traceBuffer: { maxHeldBytes: 1073741824 }
  processors:
    order: [tailSampling]
    tailSampling:
      enabled: true
      policies:
        - { name: errors, type: statusCode, statusCodes: [ERROR] }
        - { name: slow, type: latency, thresholdMs: 500 }
        - { name: some, type: probabilistic, samplingPercentage: 10 }
`,
  );
  extra.push('--config', file);
} else if (processors !== 'default')
  throw new Error('--processors: default, off, realistic, completeness or tail');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- payloads: PAYLOADS distinct requests; each round rewrites the trace ids in place
const PAYLOADS = 100;
const nowNs = `${Date.now()}000000`;
const payloads: Buffer[] = [];
const idOffsets: number[][] = [];
for (let p = 0; p < PAYLOADS; p++) {
  const opts = { spans: batch, seed: p + 1, startTimeUnixNano: nowNs, serviceName: `svc-${p % 8}` };
  let bytes: Buffer;
  let traceIds: Set<string>;
  if (source === 'otel-sdk') {
    bytes = buildOtelSdkRequests(1, opts.serviceName, opts.seed)[0];
    traceIds = new Set(decodeOtlpProto(bytes).spans.map((x) => x.traceId));
  } else {
    bytes = Buffer.from(buildOtlpRequest(opts));
    const json = buildOtlpJsonRequest(opts) as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
    };
    traceIds = new Set(
      json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.traceId))),
    );
  }
  const offsets: number[] = [];
  for (const id of traceIds) {
    const needle = Buffer.from(id, 'hex');
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
      offsets.push(at);
  }
  payloads.push(bytes);
  idOffsets.push(offsets);
}
const requests = Math.ceil(totalSpans / batch);
const spansSent = requests * batch;
const payloadBytes = payloads.reduce((n, b) => n + b.length, 0) / PAYLOADS;

/** Makes request i's trace ids unique: the round number goes into the first 4 id bytes. */
function payloadFor(i: number): Buffer {
  const p = i % PAYLOADS;
  const round = Math.floor(i / PAYLOADS);
  const buf = payloads[p];
  for (const at of idOffsets[p]) buf.writeUInt32BE(round, at);
  return buf;
}

// ---- decode-only baseline, same payloads, same process layout (one core)
const decodeRates: number[] = [];
for (let r = 0; r < 5; r++) {
  const n = Math.min(requests, 1000);
  const t0 = performance.now();
  let spans = 0;
  for (let i = 0; i < n; i++) spans += decodeOtlpProto(payloadFor(i)).spans.length;
  decodeRates.push(spans / ((performance.now() - t0) / 1000));
}

// ---- the server
const dir = mkdtempSync(join(tmpdir(), 'skein-bench-'));
// `--skein-node-options "<flags>"`: node's own flags for the server alone (e.g. a V8 heap cap).
const skeinNodeOptions = arg('skein-node-options', '')
  .split(' ')
  .filter((f) => f !== '');
const skein = await startSkein(
  'all',
  [`--storage.duckdb.path=${store === 'memory' ? ':memory:' : dir}`, ...extra],
  skeinNodeOptions,
);
const otlp = new URL(skein.urls.get('otlp-http')!);
const admin = skein.urls.get('admin')!;
const query = skein.urls.get('query')!;
const pid = skein.child.pid!;

/** The server's CPU time (user + system), seconds, from /proc: robust to a busy machine. */
function cpuSeconds(): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/**
 * CPU seconds per thread of the server, keyed `name[tid]` (the main thread `main`);
 * threads that ended in between are not counted.
 */
function cpuByThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const key = tid === String(pid) ? 'main' : `${name.replace(/[0-9]+$/, '').trim()}[${tid}]`;
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(key, (out.get(key) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}
/** Each thread's µs/span over the run, busiest first; threads under 0.5 µs/span summed as `others`. */
function threadCpuSummary(start: Map<string, number>, end: Map<string, number>): string {
  const rows: [string, number][] = [];
  let others = 0;
  for (const [name, s] of end) {
    const us = ((s - (start.get(name) ?? 0)) * 1e6) / spansSent;
    if (us >= 0.5) rows.push([name, us]);
    else if (us > 0) others += us;
  }
  rows.sort((a, b) => b[1] - a[1]);
  if (others > 0) rows.push(['others', others]);
  return rows.map(([name, us]) => `${name} ${us.toFixed(2)}`).join(', ');
}
const cpuAtStart = cpuSeconds();
const threadsAtStart = cpuByThread();
const rss: number[] = [];
const heap: number[] = [];
const heapTotal: number[] = [];
const external: number[] = [];
const threadHeapTotal: number[] = [];
/** At each scrape: RSS and the parts /metrics names, MB, to split the largest RSS seen. */
let atMaxRss = { rss: 0, heap: 0, external: 0, threadHeap: 0, threadExternal: 0 };
const gaugeMb = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) / 2 ** 20 : undefined;
};
const heapTimer = setInterval(() => {
  getText(`${admin.replace(/\/metrics$/, '')}/metrics`)
    .then((r) => r.text)
    .then((text) => {
      const h = gaugeMb(text, 'nodejs_heap_size_used_bytes');
      if (h !== undefined) heap.push(h);
      const t = gaugeMb(text, 'nodejs_heap_size_total_bytes');
      if (t !== undefined) heapTotal.push(t);
      const x = gaugeMb(text, 'nodejs_external_memory_bytes');
      if (x !== undefined) external.push(x);
      const th = gaugeMb(text, 'skein_storage_thread_heap_size_bytes');
      if (th !== undefined) threadHeapTotal.push(th);
      const rssNow = rss.at(-1) ?? 0;
      if (rssNow > atMaxRss.rss) {
        atMaxRss = {
          rss: rssNow,
          heap: t ?? 0,
          external: x ?? 0,
          threadHeap: th ?? 0,
          threadExternal: gaugeMb(text, 'skein_storage_thread_external_memory_bytes') ?? 0,
        };
      }
    })
    .catch(() => undefined);
}, 500);
const rssTimer = setInterval(() => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) rss.push(Number(m[1]) / 1024);
  } catch {
    /* the process is gone */
  }
}, 200);

const agent =
  ca === undefined
    ? new Agent({ keepAlive: true, maxSockets: connections })
    : new TlsAgent({ keepAlive: true, maxSockets: connections, ca });
let refused = 0;
let next = 0;

function post(body: Buffer): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const req = (ca === undefined ? request : tlsRequest)(
      {
        host: otlp.hostname,
        port: otlp.port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-length': body.length,
          ...authHeaders,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Number(res.headers['retry-after'] ?? 1),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const grpcClients =
  protocol === 'grpc'
    ? Array.from(
        { length: connections },
        (_, i) =>
          new Client(new URL(skein.urls.get('otlp-grpc')!).host, credentials.createInsecure(), {
            // One channel per connection, as separate exporters would have.
            'grpc.channel_id': i,
            'grpc.max_send_message_length': 64 * 1024 * 1024,
          } as Record<string, unknown>),
      )
    : [];

/** One OTLP/gRPC Export call; RESOURCE_EXHAUSTED / UNAVAILABLE map to 429 / 503 (retry after 1 s). */
function exportGrpc(client: Client, body: Buffer): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      EXPORT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err: ServiceError | null) => {
        if (err === null) resolve({ status: 200, retryAfter: 0 });
        else if (err.code === grpcStatus.RESOURCE_EXHAUSTED)
          resolve({ status: 429, retryAfter: 1 });
        else if (err.code === grpcStatus.UNAVAILABLE) resolve({ status: 503, retryAfter: 1 });
        else reject(err);
      },
    );
  });
}

async function worker(_: unknown, w: number): Promise<void> {
  while (next < requests) {
    const i = next++;
    for (;;) {
      const body = payloadFor(i);
      const res = protocol === 'grpc' ? await exportGrpc(grpcClients[w], body) : await post(body);
      if (res.status === 200) break;
      if (res.status !== 429 && res.status !== 503)
        throw new Error(`request ${i}: HTTP ${res.status}`);
      refused++;
      await new Promise((r) => setTimeout(r, res.retryAfter * 1000));
    }
  }
}

/** Spans done with: written, or dropped on purpose by a processor (tail sampling). */
async function written(): Promise<number> {
  const { text } = await getText(`${admin.replace(/\/metrics$/, '')}/metrics`);
  const m = /^skein_spans_written_total (\d+)/m.exec(text);
  const d = /^skein_spans_dropped_total\{reason="processor"\} (\d+)/m.exec(text);
  return (m ? Number(m[1]) : 0) + (d ? Number(d[1]) : 0);
}

const t0 = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const acceptedAt = performance.now();
while ((await written()) < spansSent) await new Promise((r) => setTimeout(r, 50));
const writtenAt = performance.now();
const serverCpu = cpuSeconds() - cpuAtStart;
const threadsAtEnd = cpuByThread();
clearInterval(rssTimer);
clearInterval(heapTimer);

const probe =
  idOffsets[0].length > 0
    ? payloadFor(0)
        .subarray(idOffsets[0][0], idOffsets[0][0] + 16)
        .toString('hex')
    : '';
const readBack = await getText(`${query}/api/traces/${probe}`);
// Each processor's CPU time (skein_processor_seconds_total), per span.
const metricsText = (await getText(`${admin.replace(/\/metrics$/, '')}/metrics`)).text;
const processorCost = [
  ...metricsText.matchAll(/^skein_processor_seconds_total\{processor="([^"]+)"\} ([0-9.e+-]+)/gm),
].map((m) => `${m[1]} ${((Number(m[2]) * 1e9) / spansSent).toFixed(0)}`);
const exitCode = await skein.stop();
const fileBytes = store === 'memory' ? 0 : statSync(join(dir, 'skein.duckdb')).size;
// Where the bytes go: estimated bytes per span of each `spans` column (duckdb-column-bytes.ts).
const columns =
  store === 'memory' ? [] : await columnBytes(join(dir, 'skein.duckdb'), 'spans').catch(() => []);
rmSync(dir, { recursive: true, force: true });

const e2e = spansSent / ((writtenAt - t0) / 1000);
const decode = median(decodeRates);
const rows: [string, string][] = [
  [
    'spans sent',
    `${spansSent} in ${requests} requests of ${batch} spans (${(payloadBytes / 1024).toFixed(1)} KiB each), ${connections} connections`,
  ],
  ['decode-only (median of 5)', `${Math.round(decode)} spans/s`],
  ['accepted (all 200s)', `${Math.round(spansSent / ((acceptedAt - t0) / 1000))} spans/s`],
  ['end to end (written, queryable)', `${Math.round(e2e)} spans/s`],
  ['end to end / decode-only', (e2e / decode).toFixed(3)],
  [
    'server CPU per span (user+sys)',
    `${((serverCpu * 1e6) / spansSent).toFixed(2)} µs (${serverCpu.toFixed(1)} s over the run)`,
  ],
  ['server CPU by thread, µs/span', threadCpuSummary(threadsAtStart, threadsAtEnd)],
  ['429/503 answers (retried)', String(refused)],
  ['server RSS median / max', `${median(rss).toFixed(0)} / ${Math.max(...rss).toFixed(0)} MB`],
  [
    'server JS heap used median / max',
    `${median(heap).toFixed(0)} / ${Math.max(...heap).toFixed(0)} MB`,
  ],
  [
    'JS heap committed / external (ArrayBuffers) max',
    `${Math.max(...heapTotal).toFixed(0)} / ${Math.max(...external).toFixed(0)} MB` +
      (threadHeapTotal.length > 0
        ? `; storage thread heap committed max ${Math.max(...threadHeapTotal).toFixed(0)} MB`
        : ''),
  ],
  [
    'at the largest RSS scraped',
    `${atMaxRss.rss.toFixed(0)} MB = main heap ${atMaxRss.heap.toFixed(0)} + main external ` +
      `${atMaxRss.external.toFixed(0)} + thread heap ${atMaxRss.threadHeap.toFixed(0)} + thread ` +
      `external ${atMaxRss.threadExternal.toFixed(0)} + native (DuckDB, Node, allocator) ` +
      `${(atMaxRss.rss - atMaxRss.heap - atMaxRss.external - atMaxRss.threadHeap - atMaxRss.threadExternal).toFixed(0)}`,
  ],
  [
    'bytes per span on disk',
    store === 'memory' ? 'n/a (memory)' : (fileBytes / spansSent).toFixed(1),
  ],
  [
    'spans columns, B/span (est.)',
    columns.map(([c, b]) => `${c} ${(b / spansSent).toFixed(1)}`).join(', ') || 'n/a',
  ],
  ['processor CPU, ns/span', processorCost.length === 0 ? 'none' : processorCost.join(', ')],
  ['trace read back after run', `HTTP ${readBack.status}`],
  ['server exit code', String(exitCode)],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(
  `\ningest-e2e (store=${store}, processors=${processors}, intake=${intake}, security=${security}, protocol=${protocol}, source=${source})`,
);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
agent.destroy();
for (const c of grpcClients) c.close();
