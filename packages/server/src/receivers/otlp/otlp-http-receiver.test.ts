import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcStatus } from '../../errors.ts';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import {
  assertStoredTrace,
  exportSpans,
  makeOtelTrace,
} from '../../pipeline/test-support/otel-test-trace.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import type { RawRequestOptions, RawResponse } from '../test-support/raw-http.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import { OtlpHttpReceiver } from './otlp-http-receiver.ts';
import { loadOtlpRoot } from './test-support/reference-otlp.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';

type Compression = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>['compression'];

const Status = loadOtlpRoot().lookupType('google.rpc.Status');

const MAX_BODY = 64 * 1024;

/** A minimal valid OTLP/JSON request: one span per id pair. */
function jsonRequest(spans: Array<{ traceId: string; spanId: string }>): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-client' } }] },
        scopeSpans: [
          {
            scope: { name: 'raw' },
            spans: spans.map(({ traceId, spanId }) => ({
              traceId,
              spanId,
              name: 'raw span',
              kind: 2,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000001000000',
            })),
          },
        ],
      },
    ],
  });
}

function ids(n: number, trace: number): Array<{ traceId: string; spanId: string }> {
  return Array.from({ length: n }, (_, i) => ({
    traceId: trace.toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
  }));
}

/** A raw request to /v1/traces unless `path` says otherwise. */
function send(port: number, options: Partial<RawRequestOptions>, body?: Buffer | string) {
  return rawRequest(port, { path: '/v1/traces', ...options }, body);
}

const json = { 'content-type': 'application/json' };
const proto = { 'content-type': 'application/x-protobuf' };

describe('OtlpHttpReceiver', () => {
  let harness: IngestHarness;
  let receiver: OtlpHttpReceiver;
  let port = 0;
  let url = '';

  before(async () => {
    ({ harness, receiver, port } = await startReceiver(OtlpHttpReceiver, (c) => {
      c.receivers.maxBodyBytes = MAX_BODY;
      c.pipeline.retryAfterSeconds = 3;
    }));
    url = `http://127.0.0.1:${port}/v1/traces`;
    assert.equal(receiver.listening, true);
  });
  after(async () => {
    await receiver.stop();
    await harness.close();
  });

  for (const [label, makeExporter] of [
    ['protobuf', () => new ProtoExporter({ url })],
    ['protobuf + gzip', () => new ProtoExporter({ url, compression: 'gzip' as Compression })],
    ['JSON', () => new JsonExporter({ url })],
    ['JSON + gzip', () => new JsonExporter({ url, compression: 'gzip' as Compression })],
  ] as const) {
    test(`stores every field of spans sent by the OTel JS ${label} exporter`, async () => {
      const service = `http-${label}`;
      const spans = await makeOtelTrace(service);
      const exporter = makeExporter();
      const before = harness.written.count;
      await exportSpans(exporter, spans);
      await exporter.shutdown();
      await harness.written.atLeast(before + spans.length);
      await assertStoredTrace(harness.storage, spans, service);
    });
  }

  test('answers partial_success (JSON) for spans the decoder rejected and counts them', async () => {
    const good = ids(2, 0xa1);
    const bad = { traceId: 'abc', spanId: '0000000000000003' };
    const res = await send(port, { headers: json }, jsonRequest([...good, bad]));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const body = JSON.parse(res.body.toString()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /1 span rejected/);
    assert.equal(
      await metricValue(harness.registry, 'skein_spans_refused_total', {
        protocol: 'otlp_http',
        reason: 'invalid',
      }),
      1,
    );
  });

  test('gzip JSON sent by a raw client is accepted', async () => {
    const before = harness.written.count;
    const body = gzipSync(jsonRequest(ids(4, 0xa2)));
    const res = await send(port, { headers: { ...json, 'content-encoding': 'gzip' } }, body);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{}');
    await harness.written.atLeast(before + 4);
    const stored = await harness.storage.getTrace(DEFAULT_TENANT, ids(1, 0xa2)[0].traceId);
    assert.equal(stored?.spans.length, 4);
  });

  test('400 with a protobuf google.rpc.Status for a malformed protobuf body', async () => {
    const res = await send(port, { headers: proto }, Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    const status = Status.toObject(Status.decode(res.body)) as { code: number; message: string };
    assert.equal(status.code, GrpcStatus.InvalidArgument);
    assert.match(status.message, /cannot decode .*protobuf|cannot decode OTLP/i);
  });

  test('400 with a JSON google.rpc.Status for malformed JSON and for a bad gzip stream', async () => {
    const res = await send(port, { headers: json }, '{"resourceSpans": [');
    assert.equal(res.status, 400);
    const status = JSON.parse(res.body.toString()) as { code: number; message: string };
    assert.equal(status.code, GrpcStatus.InvalidArgument);
    assert.match(status.message, /cannot decode OTLP\/JSON payload/);
    const shape = await send(port, { headers: json }, '{"resourceSpans": 7}');
    assert.equal(shape.status, 400);
    assert.match(JSON.parse(shape.body.toString()).message, /resourceSpans/);
    const gzip = await send(
      port,
      { headers: { ...json, 'content-encoding': 'gzip' } },
      Buffer.from('not gzip at all'),
    );
    assert.equal(gzip.status, 400);
    assert.match(JSON.parse(gzip.body.toString()).message, /cannot decode gzip payload/);
    assert.ok(
      (await metricValue(harness.registry, 'skein_receiver_requests_refused_total', {
        protocol: 'otlp_http',
        reason: 'SKEIN_INVALID_PAYLOAD',
      })) >= 3,
    );
  });

  test('413 for a body over maxBodyBytes, raw or after decompression', async () => {
    const big = Buffer.alloc(MAX_BODY + 1, 0x20);
    const raw = await send(port, { headers: json }, big);
    assert.equal(raw.status, 413);
    assert.match(JSON.parse(raw.body.toString()).message, /over the limit of 65536 bytes/);
    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 4, 0x20));
    assert.ok(bomb.length < MAX_BODY);
    const inflated = await send(port, { headers: { ...proto, 'content-encoding': 'gzip' } }, bomb);
    assert.equal(inflated.status, 413);
    const status = Status.toObject(Status.decode(inflated.body)) as { message: string };
    assert.match(status.message, /raise receivers.maxBodyBytes/);
  });

  test('413 for a chunked body (no Content-Length) that grows over the limit', async () => {
    const res = await send(
      port,
      { headers: { ...json, 'transfer-encoding': 'chunked' } },
      Buffer.alloc(MAX_BODY * 2, 0x20),
    ).catch((err: NodeJS.ErrnoException) => err);
    // The server answers and closes without reading the rest; depending on timing
    // the client sees the 413 or a reset while still writing.
    if ('status' in res) assert.equal(res.status, 413);
    else assert.match(String(res.code), /ECONNRESET|EPIPE/);
  });

  test('415 for another content type or content encoding', async () => {
    const type = await send(port, { headers: { 'content-type': 'text/plain' } }, 'hello');
    assert.equal(type.status, 415);
    assert.match(
      JSON.parse(type.body.toString()).message,
      /application\/x-protobuf, application\/json/,
    );
    const encoding = await send(port, { headers: { ...proto, 'content-encoding': 'br' } }, 'x');
    assert.equal(encoding.status, 415);
    const status = Status.toObject(Status.decode(encoding.body)) as { message: string };
    assert.match(status.message, /Content-Encoding "br"/);
  });

  test('405 for other methods and 404 for other paths', async () => {
    const get = await send(port, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const other = await send(port, { path: '/v1/metrics', headers: json }, '{}');
    assert.equal(other.status, 404);
    assert.match(JSON.parse(other.body.toString()).message, /no endpoint POST \/v1\/metrics/);
  });

  test('random bytes never crash the receiver: each answer is 200 or 400', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const body = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      const headers = i % 2 === 0 ? proto : json;
      statuses.add((await send(port, { headers }, body)).status);
    }
    assert.ok(
      [...statuses].every((s) => s === 200 || s === 400),
      `statuses: ${[...statuses]}`,
    );
    assert.ok(statuses.has(400));
    assert.equal((await send(port, { headers: json }, jsonRequest(ids(1, 0xa4)))).status, 200);
  });

  test('content type parameters and case are accepted', async () => {
    const res = await send(
      port,
      { headers: { 'content-type': 'Application/JSON; charset=utf-8' } },
      jsonRequest(ids(1, 0xa3)),
    );
    assert.equal(res.status, 200);
  });
});

describe('OtlpHttpReceiver backpressure and shutdown', () => {
  test('429 with Retry-After when the queue is full, counting the refused spans', async () => {
    const { harness, port, close } = await startReceiver(OtlpHttpReceiver, (c) => {
      c.pipeline.queue.maxSpans = 3;
      c.pipeline.retryAfterSeconds = 4;
    });
    try {
      const res = await send(port, { headers: json }, jsonRequest(ids(5, 0xb1)));
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '4');
      const status = JSON.parse(res.body.toString()) as {
        code: number;
        message: string;
        details: Array<{ retryDelay: string }>;
      };
      assert.equal(status.code, GrpcStatus.ResourceExhausted);
      assert.match(status.message, /ingest queue is full/);
      assert.equal(status.details[0].retryDelay, '4s');
      const refused = await metricValue(harness.registry, 'skein_spans_refused_total', {
        protocol: 'otlp_http',
        reason: 'queue_full',
      });
      assert.equal(refused, 5);
    } finally {
      await close();
    }
  });

  test('503 with Retry-After once the pipeline is shutting down', async () => {
    const { harness, port, close } = await startReceiver(OtlpHttpReceiver);
    try {
      await harness.pipeline.stop();
      const res = await send(port, { headers: proto }, Buffer.alloc(0));
      assert.equal(res.status, 503);
      assert.equal(res.headers['retry-after'], String(harness.config.pipeline.retryAfterSeconds));
      const status = Status.toObject(Status.decode(res.body)) as { code: number; message: string };
      assert.equal(status.code, GrpcStatus.Unavailable);
      assert.match(status.message, /shutting down/);
    } finally {
      await close();
    }
  });

  test('stop() finishes a request in flight and nothing accepted is lost', async () => {
    const { harness, receiver, port } = await startReceiver(OtlpHttpReceiver, (c) => {
      // Nothing is written by time: only stop() can flush what was accepted.
      c.pipeline.batch.maxDelayMs = 60_000;
    });
    const accepted = await Promise.all(
      [0xc1, 0xc2, 0xc3].map((trace) => send(port, { headers: json }, jsonRequest(ids(10, trace)))),
    );
    assert.deepEqual(
      accepted.map((r) => r.status),
      [200, 200, 200],
    );

    // A request the server has started (it answered 100-continue) but whose body
    // is sent only after stop() was called.
    const body = Buffer.from(jsonRequest(ids(7, 0xc4)));
    let stopped: Promise<void> | undefined;
    const inFlight = new Promise<Pick<RawResponse, 'status' | 'headers'>>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/traces',
          headers: { ...json, 'content-length': body.length, expect: '100-continue' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.on('continue', () => {
        stopped = receiver.stop();
        req.end(body);
      });
      req.flushHeaders();
    });
    const late = await inFlight;
    assert.equal(late.status, 200);
    assert.equal(late.headers.connection, 'close');
    assert.ok(stopped, 'stop() was called while the request was in flight');
    await stopped;
    assert.equal(receiver.listening, false);

    await harness.pipeline.stop();
    assert.equal(harness.written.count, 37);
    for (const trace of [0xc1, 0xc2, 0xc3, 0xc4]) {
      const stored = await harness.storage.getTrace(DEFAULT_TENANT, ids(1, trace)[0].traceId);
      assert.equal(stored?.spans.length, trace === 0xc4 ? 7 : 10);
    }
    await harness.close();
  });
});

describe('OtlpHttpReceiver stop grace', () => {
  test('stop(graceMs) closes a connection whose body never arrives', async () => {
    const { harness, receiver, port } = await startReceiver(OtlpHttpReceiver);
    const stalled = new Promise<Error>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        headers: { ...json, 'content-length': 100, expect: '100-continue' },
      });
      req.on('error', resolve);
      req.on('response', () => resolve(new Error('unexpected response')));
      // The server has the request; the body is never sent.
      req.on('continue', () => void receiver.stop(10));
      req.flushHeaders();
    });
    const err = await stalled;
    assert.match(err.message, /socket hang up|ECONNRESET/);
    await receiver.stop();
    assert.equal(harness.written.count, 0);
    await harness.close();
  });
});
