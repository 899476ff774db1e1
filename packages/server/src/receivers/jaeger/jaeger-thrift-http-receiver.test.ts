import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import httpSenderModule from 'jaeger-client/dist/src/reporters/http_sender.js';
import { startIngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import { createQueryApp } from '../../query/query-app.ts';
import { JaegerThriftHttpReceiver } from './jaeger-thrift-http-receiver.ts';
import {
  assertApiV3Trace,
  assertJaegerApiTrace,
  sendClientTrace,
} from './test-support/jaeger-client-trace.ts';
import { encodeBatch, sampleBatch } from './test-support/jaeger-thrift-payloads.ts';

const MAX_BODY = 64 * 1024;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | number> },
  body?: Buffer | string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/api/traces',
        headers: options.headers ?? { 'content-type': 'application/x-thrift' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Jaeger thrift HTTP receiver', () => {
  let harness: IngestHarness;
  let receiver: JaegerThriftHttpReceiver;
  let port: number;
  let app: FastifyInstance;

  before(async () => {
    harness = await startIngestHarness((c) => {
      c.receivers.jaegerThriftHttp = { enabled: true, host: '127.0.0.1', port: 0 };
      c.receivers.maxBodyBytes = MAX_BODY;
    });
    receiver = new JaegerThriftHttpReceiver(
      harness.config,
      harness.pipeline,
      harness.metrics,
      harness.logger,
    );
    port = (await receiver.start()).port;
    app = await createQueryApp({
      reader: harness.storage,
      logger: false,
      defaultLimit: 20,
      maxLimit: 100,
    });
  });

  after(async () => {
    await app.close();
    await receiver.stop();
    await harness.close();
  });

  for (const traceId128bit of [true, false]) {
    test(`jaeger-client HTTPSender (${traceId128bit ? 128 : 64}-bit trace ids) round-trips through both query APIs`, async () => {
      const before = harness.written.count;
      const HTTPSender = httpSenderModule.default;
      const sender = new HTTPSender({
        endpoint: `http://127.0.0.1:${port}/api/traces?format=jaeger.thrift`,
        logger: { info: () => {}, error: (m: string) => assert.fail(m) },
      });
      const sent = await sendClientTrace(sender, traceId128bit);
      if (!traceId128bit) assert.match(sent.traceId, /^0{16}[0-9a-f]{16}$/);
      await harness.written.atLeast(before + 3);
      await assertJaegerApiTrace(app, sent);
      await assertApiV3Trace(app, sent);
    });
  }

  test('gzip body and the vnd.apache.thrift.binary type are accepted with 202', async () => {
    const before = harness.written.count;
    const body = gzipSync(encodeBatch('binary', sampleBatch()));
    const res = await send(
      port,
      {
        headers: {
          'content-type': 'application/vnd.apache.thrift.binary',
          'content-encoding': 'gzip',
        },
      },
      body,
    );
    assert.equal(res.status, 202);
    assert.equal(res.body, '');
    await harness.written.atLeast(before + 2);
  });

  test('garbage gets 400 with a message; wrong type 415; too large 413; GET 405; other path 404', async () => {
    const garbage = await send(port, {}, Buffer.from('this is not thrift at all'));
    assert.equal(garbage.status, 400);
    assert.match(garbage.body, /^cannot decode Jaeger thrift \(binary\) payload: /);
    assert.equal(
      await metricValue(harness.registry, 'skein_receiver_requests_refused_total', {
        protocol: 'jaeger_thrift_http',
        reason: 'SKEIN_INVALID_PAYLOAD',
      }),
      1,
    );
    const json = await send(port, { headers: { 'content-type': 'application/json' } }, '{}');
    assert.equal(json.status, 415);
    assert.match(json.body, /application\/x-thrift/);
    const big = await send(port, {}, Buffer.alloc(MAX_BODY + 1));
    assert.equal(big.status, 413);
    assert.match(big.body, /raise receivers.maxBodyBytes/);
    const get = await send(port, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const other = await send(port, { path: '/api/v2/spans' }, Buffer.alloc(1));
    assert.equal(other.status, 404);
  });

  test('?format=jaeger.thrift without a Content-Type is thrift', async () => {
    const res = await send(
      port,
      { path: '/api/traces?format=jaeger.thrift', headers: {} },
      encodeBatch('binary', sampleBatch()),
    );
    assert.equal(res.status, 202);
  });

  test('spans with bad ids are refused and named; the rest are accepted', async () => {
    const batch = sampleBatch();
    batch.spans[0].spanId = 0n;
    const res = await send(port, {}, encodeBatch('binary', batch));
    assert.equal(res.status, 202);
    assert.match(res.body, /^1 span rejected: span 0 has span id/);
    assert.equal(
      await metricValue(harness.registry, 'skein_spans_refused_total', {
        protocol: 'jaeger_thrift_http',
        reason: 'invalid',
      }),
      1,
    );
  });
});

describe('Jaeger thrift HTTP receiver when the pipeline is full', () => {
  test('answers 429 with Retry-After', async () => {
    const harness = await startIngestHarness((c) => {
      c.receivers.jaegerThriftHttp = { enabled: true, host: '127.0.0.1', port: 0 };
      c.pipeline.queue.maxSpans = 1;
    });
    const receiver = new JaegerThriftHttpReceiver(
      harness.config,
      harness.pipeline,
      harness.metrics,
      harness.logger,
    );
    const { port } = await receiver.start();
    try {
      const res = await send(port, {}, encodeBatch('binary', sampleBatch()));
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '1');
      assert.match(res.body, /ingest queue is full/);
    } finally {
      await receiver.stop();
      await harness.close();
    }
  });
});
