/**
 * Scale-out benchmark (issue 12): collector → NATS JetStream → ingester → ClickHouse
 * → query, every role a separate `skein` process, on a real ClickHouse cluster
 * (2 shards × 2 replicas + ZooKeeper) and a real nats-server, all started here from
 * the test-support starters and stopped by pid.
 *
 *   node --import tsx bench/scale-out.ts [--spans 1000000] [--steady-rate 5000]
 *        [--steady-seconds 30] [--batch 500] [--connections 4] [--partitions 8]
 *        [--shards 2] [--replicas 2] [--reads 30]
 *
 * Phases, OTLP/HTTP protobuf from this process (bench/payloads.ts, unique trace ids
 * per request, as bench/ingest-e2e.ts):
 * 1. steady: `--steady-rate` spans/s for `--steady-seconds`; the ingester's
 *    `skein_buffer_consumer_lag_batches{partition}` sampled every 500 ms.
 * 2. full: `--spans` spans as fast as the collector answers, over `--connections`
 *    keep-alive connections (503/429 retried after Retry-After). "Accepted" stops
 *    when the last request was answered 200 (JetStream acknowledged it); "end to
 *    end" when the ingester's `skein_spans_written_total` covers every span sent
 *    (a ClickHouse write returns after each shard stored its part, so written is
 *    queryable), checked by a count through the Distributed table and a trace read
 *    back through the query role.
 * CPU per span: user + system ticks of each process over the full phase
 * (/proc/<pid>/stat, so per core), divided by the spans of that phase. Bytes per
 * span: active parts of `spans_local` on every node, compressed bytes / rows (per
 * copy). Reads: trace by id and search p50/p95 through the query role after the load.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { startSkein } from '../packages/server/test/e2e/skein-process.ts';
import type { SkeinProcess } from '../packages/server/test/e2e/skein-process.ts';
import { startClickHouseCluster } from '../packages/server/test/support/clickhouse-cluster.ts';
import { startNatsServer } from '../packages/server/test/support/nats-server.ts';
import { buildOtlpJsonRequest, buildOtlpRequest } from './payloads.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const fullSpans = Number(arg('spans', '1000000'));
const steadyRate = Number(arg('steady-rate', '5000'));
const steadySeconds = Number(arg('steady-seconds', '30'));
const batch = Number(arg('batch', '500'));
const connections = Number(arg('connections', '4'));
const partitions = Number(arg('partitions', '8'));
const shards = Number(arg('shards', '2'));
const replicas = Number(arg('replicas', '2'));
const reads = Number(arg('reads', '30'));

const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();
const log = (msg: string): void => console.log(`[${new Date().toISOString()}] ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

// ---- payloads: PAYLOADS distinct requests; request i rewrites the trace ids in place
const PAYLOADS = 100;
const nowNs = `${Date.now()}000000`;
const payloads: Buffer[] = [];
const idOffsets: number[][] = [];
for (let p = 0; p < PAYLOADS; p++) {
  const opts = { spans: batch, seed: p + 1, startTimeUnixNano: nowNs, serviceName: `svc-${p % 8}` };
  const bytes = Buffer.from(buildOtlpRequest(opts));
  const json = buildOtlpJsonRequest(opts) as {
    resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
  };
  const offsets: number[] = [];
  const traceIds = new Set(
    json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.traceId))),
  );
  for (const id of traceIds) {
    const needle = Buffer.from(id, 'hex');
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
      offsets.push(at);
  }
  payloads.push(bytes);
  idOffsets.push(offsets);
}
const payloadBytes = payloads.reduce((n, b) => n + b.length, 0) / PAYLOADS;

/** Request i with unique trace ids: i's round number goes into the first 4 id bytes. */
function payloadFor(i: number): Buffer {
  const p = i % PAYLOADS;
  const round = Math.floor(i / PAYLOADS);
  const buf = payloads[p];
  for (const at of idOffsets[p]) buf.writeUInt32BE(round, at);
  return buf;
}

/** The first trace id of request i (hex). */
function traceIdOf(i: number): string {
  return payloadFor(i)
    .subarray(idOffsets[i % PAYLOADS][0], idOffsets[i % PAYLOADS][0] + 16)
    .toString('hex');
}

// ---- the servers
log(`start; ${uptime()}`);
const started = await Promise.allSettled([
  startClickHouseCluster({ shards, replicas }),
  startNatsServer(),
]);
if (started[0].status === 'rejected' || started[1].status === 'rejected') {
  // Stop whichever did start before reporting why the other did not.
  if (started[0].status === 'fulfilled') await started[0].value.stop();
  if (started[1].status === 'fulfilled') await started[1].value.stop();
  throw started[0].status === 'rejected'
    ? started[0].reason
    : (started[1] as PromiseRejectedResult).reason;
}
const cluster = started[0].value;
const nats = started[1].value;
const database = `skein_bench_${process.pid}`;
const roleArgs = [
  '--storage.backend=clickhouse',
  `--storage.clickhouse.urls=${cluster.urls.join(',')}`,
  `--storage.clickhouse.cluster=${cluster.cluster}`,
  `--storage.clickhouse.database=${database}`,
  '--storage.clickhouse.createSchema=true',
  '--buffer.kind=nats',
  `--buffer.nats.urls=${nats.url}`,
  `--buffer.nats.partitions=${partitions}`,
];
const roles: SkeinProcess[] = [];
async function cleanup(): Promise<void> {
  await Promise.all(roles.map((p) => p.stop('SIGKILL').catch(() => undefined)));
  await Promise.all([cluster.stop(), nats.stop()]);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  // The ingester first: it creates the schema (ON CLUSTER) before the others look.
  const ingester = await startSkein('ingester', roleArgs);
  roles.push(ingester);
  const collector = await startSkein('collector', roleArgs);
  roles.push(collector);
  const query = await startSkein('query', roleArgs);
  roles.push(query);
  const ingesterAdmin = ingester.urls.get('admin')!;
  const collectorAdmin = collector.urls.get('admin')!;
  const queryUrl = query.urls.get('query')!;
  const otlp = new URL(collector.urls.get('otlp-http')!);
  for (const p of [ingester, collector, query]) {
    for (let t = Date.now(); ; await sleep(200)) {
      const r = await fetch(`${p.urls.get('admin')}/ready`).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() - t > 60_000) throw new Error(`role not ready:\n${p.output.join('\n')}`);
    }
  }
  log(`roles ready; ${uptime()}`);

  // Every process to account CPU to: the roles, ClickHouse nodes, ZooKeeper, nats-server.
  const procs = new Map<string, number[]>();
  const add = (name: string, pid: number | undefined): void => {
    if (pid !== undefined) procs.set(name, [...(procs.get(name) ?? []), pid]);
  };
  add('collector', collector.child.pid);
  add('ingester', ingester.child.pid);
  add('query', query.child.pid);
  for (const n of cluster.nodes) add('clickhouse (all nodes)', n.process?.pid);
  add('nats-server', nats.pid);
  // ZooKeeper: the java child of this process.
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(stat[1]) !== process.pid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ZooKeeperServerMain'))
        add('zookeeper', Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  function cpuSeconds(pids: number[]): number {
    let ticks = 0;
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / ticksPerSecond;
  }
  function cpuSnapshot(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [name, pids] of procs) m.set(name, cpuSeconds(pids));
    const self = process.cpuUsage();
    m.set('load generator (this process)', (self.user + self.system) / 1e6);
    return m;
  }

  async function metric(admin: string, pattern: RegExp): Promise<number> {
    const text = await (await fetch(`${admin}/metrics`)).text();
    const m = pattern.exec(text);
    return m ? Number(m[1]) : 0;
  }
  const written = (): Promise<number> => metric(ingesterAdmin, /^skein_spans_written_total (\d+)/m);
  const published = (): Promise<number> =>
    metric(collectorAdmin, /^skein_buffer_published_spans_total (\d+)/m);

  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let refused = 0;
  function post(body: Buffer): Promise<{ status: number; retryAfter: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: otlp.hostname,
          port: otlp.port,
          path: '/v1/traces',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
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
  async function send(i: number): Promise<void> {
    for (;;) {
      const res = await post(payloadFor(i));
      if (res.status === 200) return;
      if (res.status !== 429 && res.status !== 503)
        throw new Error(`request ${i}: HTTP ${res.status}`);
      refused++;
      await sleep(res.retryAfter * 1000);
    }
  }
  let nextRequest = 0;

  // ---- 1. steady phase: one request every batch/rate seconds, lag sampled
  const steadyRequests = Math.round((steadyRate * steadySeconds) / batch);
  log(`steady: ${steadyRate} spans/s for ${steadySeconds} s (${steadyRequests} requests)`);
  const lagSamples = new Map<string, number[]>();
  const backlogSamples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      backlogSamples.push((await published()) - (await written()));
      const text = await (await fetch(`${ingesterAdmin}/metrics`)).text();
      for (const m of text.matchAll(
        /^skein_buffer_consumer_lag_batches\{partition="(\d+)"\} (\d+)/gm,
      )) {
        lagSamples.set(m[1], [...(lagSamples.get(m[1]) ?? []), Number(m[2])]);
      }
      await sleep(500);
    }
  })();
  const steadyLoad = uptime();
  const steadyT0 = performance.now();
  const inFlight: Promise<void>[] = [];
  let steadyLate = 0;
  for (let k = 0; k < steadyRequests; k++) {
    const due = steadyT0 + (k * batch * 1000) / steadyRate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -1000) steadyLate++;
    inFlight.push(send(nextRequest++));
  }
  await Promise.all(inFlight);
  const steadySpans = steadyRequests * batch;
  for (let t = Date.now(); (await written()) < steadySpans; await sleep(100)) {
    if (Date.now() - t > 300_000) throw new Error('steady phase not written in 5 minutes');
  }
  const steadyEnd = performance.now();
  sampling = false;
  await sampler;
  const steadyAchieved = steadySpans / ((steadyEnd - steadyT0) / 1000);
  log(`steady done: ${steadyAchieved.toFixed(0)} spans/s written; ${uptime()}`);

  // ---- 2. full rate
  const fullRequests = Math.ceil(fullSpans / batch);
  const fullSent = fullRequests * batch;
  const totalSent = steadySpans + fullSent;
  log(`full: ${fullSent} spans in ${fullRequests} requests`);
  const fullLoadBefore = uptime();
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const fullFirst = nextRequest;
  const fullEnd = nextRequest + fullRequests;
  let progressAt = Date.now();
  let maxLagFull = 0;
  let maxBacklogFull = 0;
  const progress = setInterval(() => {
    void (async () => {
      const w = await written().catch(() => -1);
      const p = await published().catch(() => -1);
      maxBacklogFull = Math.max(maxBacklogFull, p - w);
      const text = await (await fetch(`${ingesterAdmin}/metrics`)).text().catch(() => '');
      for (const m of text.matchAll(/^skein_buffer_consumer_lag_batches\{[^}]*\} (\d+)/gm))
        maxLagFull = Math.max(maxLagFull, Number(m[1]));
      if (Date.now() - progressAt > 10_000) {
        progressAt = Date.now();
        log(`  published ${p}, written ${w} of ${totalSent}`);
      }
    })();
  }, 1000);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (nextRequest < fullEnd) await send(nextRequest++);
    }),
  );
  const acceptedAt = performance.now();
  const fullLoadAccepted = uptime();
  const cpuAccepted = cpuSnapshot();
  for (let t = Date.now(); (await written()) < totalSent; await sleep(100)) {
    if (Date.now() - t > 1_800_000) throw new Error('not written within 30 minutes');
  }
  const writtenAt = performance.now();
  clearInterval(progress);
  const cpu1 = cpuSnapshot();
  const fullLoadAfter = uptime();
  log(`full done; ${fullLoadAfter}`);

  // ---- checks: every span in ClickHouse, a trace through the query role
  async function clickhouse(url: string, sql: string): Promise<string> {
    const r = await fetch(`${url}/?query=${encodeURIComponent(sql)}`);
    const text = await r.text();
    if (!r.ok) throw new Error(`ClickHouse ${r.status}: ${text}`);
    return text.trim();
  }
  const stored = await clickhouse(
    cluster.urls[0],
    `SELECT count(), uniqExact(trace_id, span_id) FROM ${database}.spans`,
  );
  const probe = traceIdOf(fullFirst);
  const probeStatus = (await fetch(`${queryUrl}/api/traces/${probe}`)).status;

  // ---- bytes per span: spans_local's active parts on every node (per copy)
  let compressed = 0;
  let rows = 0;
  let allTablesCompressed = 0;
  for (const url of cluster.urls) {
    const [c, n] = (
      await clickhouse(
        url,
        `SELECT sum(data_compressed_bytes), sum(rows) FROM system.parts WHERE active AND database = '${database}' AND table = 'spans_local'`,
      )
    )
      .split('\t')
      .map(Number);
    compressed += c;
    rows += n;
    allTablesCompressed += Number(
      await clickhouse(
        url,
        `SELECT sum(data_compressed_bytes) FROM system.parts WHERE active AND database = '${database}'`,
      ),
    );
  }

  // ---- reads through the query role
  const readLoad = uptime();
  async function timed(path: string): Promise<number> {
    const t = performance.now();
    const r = await fetch(`${queryUrl}${path}`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return performance.now() - t;
  }
  const traceMs: number[] = [];
  const searchMs: number[] = [];
  const tagSearchMs: number[] = [];
  for (let k = 0; k < reads; k++) {
    const i = Math.floor((k * (nextRequest - 1)) / Math.max(1, reads - 1));
    traceMs.push(await timed(`/api/traces/${traceIdOf(i)}`));
    searchMs.push(await timed(`/api/traces?service=svc-${k % 8}&lookback=1h&limit=20`));
    const tags = encodeURIComponent(JSON.stringify({ 'http.request.method': 'POST' }));
    tagSearchMs.push(
      await timed(`/api/traces?service=svc-${k % 8}&lookback=1h&limit=20&tags=${tags}`),
    );
  }

  // ---- report
  const lagRows = [...lagSamples.entries()]
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(
      ([p, xs]) =>
        `p${p} mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)} max ${Math.max(...xs)}`,
    );
  const accepted = fullSent / ((acceptedAt - t0) / 1000);
  const e2e = fullSent / ((writtenAt - t0) / 1000);
  const rowsOut: [string, string][] = [
    ['cluster', `${shards} shards × ${replicas} replicas, ${partitions} NATS partitions`],
    [
      'steady phase',
      `${steadySpans} spans at ${steadyRate}/s target, ${steadyAchieved.toFixed(0)}/s written, ${steadyLate} requests > 1 s late; load: ${steadyLoad}`,
    ],
    ['steady lag, batches not yet delivered, per partition (500 ms samples)', lagRows.join('; ')],
    [
      'steady backlog, spans published − written (mean / max)',
      `${(backlogSamples.reduce((a, b) => a + b, 0) / backlogSamples.length).toFixed(0)} / ${Math.max(...backlogSamples)}`,
    ],
    [
      'full phase',
      `${fullSent} spans in ${fullRequests} requests of ${batch} (${(payloadBytes / 1024).toFixed(1)} KiB), ${connections} connections`,
    ],
    [
      'load before / at accepted / after',
      `${fullLoadBefore} | ${fullLoadAccepted} | ${fullLoadAfter}`,
    ],
    ['accepted at the collector (JetStream-acked)', `${accepted.toFixed(0)} spans/s`],
    ['end to end (written = queryable)', `${e2e.toFixed(0)} spans/s`],
    ['max lag during full phase (batches, one partition)', String(maxLagFull)],
    ['max backlog during full phase (spans published − written)', String(maxBacklogFull)],
    ['503/429 answers (retried)', String(refused)],
  ];
  for (const [name, before] of cpu0) {
    const total = cpu1.get(name)! - before;
    const untilAccepted = cpuAccepted.get(name)! - before;
    rowsOut.push([
      `CPU µs/span: ${name}`,
      `${((total * 1e6) / fullSent).toFixed(1)} (${total.toFixed(1)} s; ${untilAccepted.toFixed(1)} s until accepted)`,
    ]);
  }
  rowsOut.push(
    ['wall time of the full phase', `${((writtenAt - t0) / 1000).toFixed(1)} s`],
    ['spans in ClickHouse: count(), unique', `${stored.replace('\t', ', ')} (sent ${totalSent})`],
    [
      'bytes/span, spans_local compressed / rows (per copy)',
      `${(compressed / rows).toFixed(1)} (${rows} rows over ${cluster.urls.length} nodes)`,
    ],
    [
      'bytes/span, every local table compressed / span rows',
      (allTablesCompressed / rows).toFixed(1),
    ],
    [
      `trace by id, ${reads} reads, p50 / p95`,
      `${quantile(traceMs, 0.5).toFixed(0)} / ${quantile(traceMs, 0.95).toFixed(0)} ms`,
    ],
    [
      'search service, 1 h, limit 20, p50 / p95',
      `${quantile(searchMs, 0.5).toFixed(0)} / ${quantile(searchMs, 0.95).toFixed(0)} ms`,
    ],
    [
      'search service + tag, 1 h, limit 20, p50 / p95',
      `${quantile(tagSearchMs, 0.5).toFixed(0)} / ${quantile(tagSearchMs, 0.95).toFixed(0)} ms`,
    ],
    ['load during reads', readLoad],
    ['trace read back through query role', `HTTP ${probeStatus}`],
  );
  const w = Math.max(...rowsOut.map((r) => r[0].length));
  console.log('\nscale-out: collector → NATS → ingester → ClickHouse → query');
  for (const [k, v] of rowsOut) console.log(`  ${k.padEnd(w)}  ${v}`);
  agent.destroy();
} finally {
  await cleanup();
}
