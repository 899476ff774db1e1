// Overhead of @skein/node on a small HTTP service (issue 11): requests/s and p99
// latency with no tracing, with the plain OpenTelemetry SDK (http instrumentation)
// at 100%, and with the kit sampling 100% and 10%, driven by autocannon.
// Each configuration runs in its own process (the SDK is process-wide); the spans go
// to an OTLP sink in this process that accepts and discards them. Configurations are
// interleaved over several rounds and the median is reported, against the untraced
// baseline of the same run.
//
//   node --import tsx packages/sdk/bench/sdk-overhead.ts [--seconds 10] [--rounds 3] [--connections 32]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const CONFIGS = ['none', 'otel-100', 'kit-100', 'kit-10'] as const;

async function child(
  file: string,
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(new URL(file, import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [msg] = (await once(proc, 'message')) as [{ port: number }];
  return { proc, port: msg.port };
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = once(proc, 'exit');
  proc.send('stop');
  await exited;
}

let spansBytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (d: Buffer) => (spansBytes += d.length));
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
const downstream = await child('./overhead-downstream.ts', {});

const results = new Map<string, { rps: number; p99: number }[]>(CONFIGS.map((c) => [c, []]));
for (let round = 0; round < ROUNDS; round++)
  for (const config of CONFIGS) {
    const service = await child('./overhead-service.ts', {
      BENCH_TRACING: config,
      BENCH_OTLP: otlp,
      BENCH_DOWNSTREAM: `http://127.0.0.1:${downstream.port}/`,
    });
    const url = `http://127.0.0.1:${service.port}/`;
    await autocannon({ url, connections: CONNECTIONS, duration: 2 }); // warm-up
    const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
    results.get(config)!.push({ rps: r.requests.average, p99: r.latency.p99 });
    process.stderr.write(
      `round ${round + 1} ${config}: ${r.requests.average.toFixed(0)} req/s, p99 ${r.latency.p99} ms, ${r.non2xx} non-2xx, ${r.errors} errors\n`,
    );
    await stop(service.proc);
  }
await stop(downstream.proc);
sink.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.get('none')!.map((r) => r.rps));
const lines = [
  `| tracing | req/s (median of ${ROUNDS}) | vs none | p99 ms (median) |`,
  '| --- | --- | --- | --- |',
];
for (const config of CONFIGS) {
  const rs = results.get(config)!;
  const rps = median(rs.map((r) => r.rps));
  lines.push(
    `| ${config} | ${rps.toFixed(0)} | ${(((rps - base) / base) * 100).toFixed(1)}% | ${median(rs.map((r) => r.p99))} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n(${(spansBytes / 1e6).toFixed(1)} MB of OTLP received by the sink)\n`,
);
