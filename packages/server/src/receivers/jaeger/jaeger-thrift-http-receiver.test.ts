import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import httpSenderModule from 'jaeger-client/dist/src/reporters/http_sender.js';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import type { RawRequestOptions } from '../test-support/raw-http.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import { JaegerThriftHttpReceiver } from './jaeger-thrift-http-receiver.ts';
import {
  assertApiV3Trace,
  assertJaegerApiTrace,
  readBackApp,
  sendClientTrace,
} from './test-support/jaeger-client-trace.ts';
import { encodeBatch, sampleBatch } from './test-support/jaeger-thrift-payloads.ts';

const MAX_BODY = 64 * 1024;

/** A raw request to /api/traces, a thrift body unless `headers` say otherwise. */
function send(port: number, options: Partial<RawRequestOptions>, body?: Buffer | string) {
  const thrift = { 'content-type': 'application/x-thrift' };
  return rawRequest(port, { path: '/api/traces', headers: thrift, ...options }, body);
}

describe('Jaeger thrift HTTP receiver', () => {
  let harness: IngestHarness;
  let receiver: JaegerThriftHttpReceiver;
  let port: number;
  let app: FastifyInstance;

  before(async () => {
    ({ harness, receiver, port } = await startReceiver(JaegerThriftHttpReceiver, (c) => {
      c.receivers.maxBodyBytes = MAX_BODY;
    }));
    app = await readBackApp(harness.storage);
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
    assert.equal(res.text, '');
    await harness.written.atLeast(before + 2);
  });

  test('garbage gets 400 with a message; wrong type 415; too large 413; GET 405; other path 404', async () => {
    const garbage = await send(port, {}, Buffer.from('this is not thrift at all'));
    assert.equal(garbage.status, 400);
    assert.match(garbage.text, /^cannot decode Jaeger thrift \(binary\) payload: /);
    assert.equal(
      await metricValue(harness.registry, 'skein_receiver_requests_refused_total', {
        protocol: 'jaeger_thrift_http',
        reason: 'SKEIN_INVALID_PAYLOAD',
      }),
      1,
    );
    const json = await send(port, { headers: { 'content-type': 'application/json' } }, '{}');
    assert.equal(json.status, 415);
    assert.match(json.text, /application\/x-thrift/);
    const big = await send(port, {}, Buffer.alloc(MAX_BODY + 1));
    assert.equal(big.status, 413);
    assert.match(big.text, /raise receivers.maxBodyBytes/);
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
    assert.match(res.text, /^1 span rejected: span 0 has span id/);
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
    const { port, close } = await startReceiver(JaegerThriftHttpReceiver, (c) => {
      c.pipeline.queue.maxSpans = 1;
    });
    try {
      const res = await send(port, {}, encodeBatch('binary', sampleBatch()));
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '1');
      assert.match(res.text, /ingest queue is full/);
    } finally {
      await close();
    }
  });
});
