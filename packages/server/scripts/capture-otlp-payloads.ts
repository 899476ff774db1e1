/**
 * Regenerates test/fixtures/otlp/: runs the real OpenTelemetry JS exporters against
 * local servers and saves the request bodies they send.
 *
 *   cd packages/server && node --import tsx scripts/capture-otlp-payloads.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { captureExporterPayloads } from '../src/receivers/otlp/test-support/exporter-payloads.ts';

const dir = new URL('../test/fixtures/otlp/', import.meta.url);
const modules = [
  'exporter-trace-otlp-proto',
  'exporter-trace-otlp-http',
  'exporter-trace-otlp-grpc',
];
const versions = modules.map((m) => {
  const pkg = new URL(`../../../node_modules/@opentelemetry/${m}/package.json`, import.meta.url);
  return `@opentelemetry/${m}@${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}`;
});

const payloads = await captureExporterPayloads();
writeFileSync(new URL('exporter-proto.bin', dir), payloads.proto);
writeFileSync(new URL('exporter-http.json', dir), payloads.json);
writeFileSync(new URL('exporter-grpc.bin', dir), payloads.grpc);
writeFileSync(
  new URL('versions.json', dir),
  `${JSON.stringify({ exporters: versions, spanCount: payloads.spanCount }, null, 2)}\n`,
);
console.log(`saved ${payloads.spanCount} spans per payload from ${versions.join(', ')}`);
