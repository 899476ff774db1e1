import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import httpSenderModule from 'jaeger-client/dist/src/reporters/http_sender.js';
import udpSenderModule from 'jaeger-client/dist/src/reporters/udp_sender.js';
import {
  collectorServiceClient,
  samplePostSpansRequest,
} from '../../src/receivers/jaeger/test-support/jaeger-api-v2.ts';
import {
  CLIENT_SERVICE,
  sendClientTrace,
} from '../../src/receivers/jaeger/test-support/jaeger-client-trace.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

const quiet = { info: () => {}, error: (m: string) => assert.fail(m) };

/** Polls `/api/traces/{id}` until it has `spans` spans (UDP has no answer to wait on). */
async function traceWhenStored(query: string, traceId: string, spans: number) {
  const giveUp = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${query}/api/traces/${traceId}`);
    if (res.status === 200) {
      const body: any = await res.json();
      if (body.data[0].spans.length === spans) return body.data[0];
    }
    if (Date.now() > giveUp) assert.fail(`trace ${traceId} not stored with ${spans} spans`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('skein all takes every Jaeger protocol by default', () => {
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
  });

  test('jaeger-client over UDP and HTTP, and an api_v2 gRPC client, read back through the query port', async () => {
    skein = await startSkein('all', ['--storage.duckdb.path=:memory:']);
    const { urls } = skein;
    for (const name of [
      'jaeger-thrift-http',
      'jaeger-grpc',
      'jaeger-agent-compact',
      'jaeger-agent-binary',
    ]) {
      assert.ok(urls.has(name), `banner lists ${name}: ${skein.output.join('\n')}`);
    }
    const query = urls.get('query')!;

    const udp = await sendClientTrace(
      new udpSenderModule.default({
        host: '127.0.0.1',
        port: Number(new URL(urls.get('jaeger-agent-binary')!).port),
        logger: quiet,
      }),
      true,
    );
    const http = await sendClientTrace(
      new httpSenderModule.default({
        endpoint: `${urls.get('jaeger-thrift-http')}/api/traces`,
        logger: quiet,
      }),
      false,
    );
    const grpcClient = collectorServiceClient(new URL(urls.get('jaeger-grpc')!).host);
    await new Promise((resolve, reject) =>
      grpcClient.PostSpans(samplePostSpansRequest(), (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    grpcClient.close();

    for (const sent of [udp, http]) {
      const trace = await traceWhenStored(query, sent.traceId, 3);
      const root = trace.spans.find(
        (s: { operationName: string }) => s.operationName === 'GET /cart',
      );
      assert.equal(trace.processes[root.processID].serviceName, CLIENT_SERVICE);
    }
    const grpcTrace = await traceWhenStored(query, '0af7651916cd43dd8494a2b3c4d5e6ff', 2);
    assert.deepEqual(
      grpcTrace.spans.map((s: { operationName: string }) => s.operationName).sort(),
      ['GET /cart', 'SELECT cart'],
    );
    assert.equal(await skein.stop(), 0, skein.output.join('\n'));
    skein = undefined;
  });
});
