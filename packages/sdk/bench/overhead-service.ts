// The service under test for sdk-overhead.ts: one HTTP handler doing about 1 ms of CPU
// work and one downstream HTTP call. BENCH_TRACING: none | otel-100 | kit-100 | kit-10
// (otel-100: the plain OpenTelemetry Node SDK with the http instrumentation, the
// reference for what the kit adds).
import { register } from 'node:module';
import type { AddressInfo } from 'node:net';
import { start } from '../src/index.ts';

const tracing = process.env.BENCH_TRACING ?? 'none';
const downstream = process.env.BENCH_DOWNSTREAM ?? '';
if (tracing === 'otel-100') {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  process.env.OTEL_METRICS_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  new NodeSDK({
    serviceName: 'bench-service',
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${process.env.BENCH_OTLP}/v1/traces` })),
    ],
    instrumentations: [new HttpInstrumentation()],
  }).start();
} else if (tracing !== 'none')
  start({
    service: 'bench-service',
    endpoint: process.env.BENCH_OTLP,
    samplingEndpoint: false,
    samplingRatio: tracing === 'kit-10' ? 0.1 : 1,
    shutdownOnExit: false,
  });

const http = await import('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function work(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

const server = http.createServer((_req, res) => {
  work(1);
  http
    .get(downstream, { agent }, (r) => {
      r.resume();
      r.on('end', () => res.end('ok'));
    })
    .on('error', (err) => res.writeHead(502).end(err.message));
});
server.listen(0, '127.0.0.1', () =>
  process.send?.({ port: (server.address() as AddressInfo).port }),
);
process.on('message', (m) => m === 'stop' && process.exit(0));
