import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import udpSenderModule from 'jaeger-client/dist/src/reporters/udp_sender.js';
import { startIngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import { ThriftMessageType, ThriftType as T } from '../thrift/thrift-type.ts';
import { encodeThriftMessage } from '../thrift/test-support/thrift-writer.ts';
import { JaegerAgentBinaryReceiver, JaegerAgentCompactReceiver } from './jaeger-agent-receiver.ts';
import {
  assertApiV3Trace,
  assertJaegerApiTrace,
  readBackApp,
  sendClientTrace,
} from './test-support/jaeger-client-trace.ts';
import { encodeEmitBatch, sampleBatch, str } from './test-support/jaeger-thrift-payloads.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';

/** UDP has no answer: tests wait for the effect, never longer than this. */
const DEADLINE_MS = 10_000;

/** Resolves once `check` holds, polling; fails after DEADLINE_MS. */
async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const giveUp = Date.now() + DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > giveUp) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function sendPacket(port: number, packet: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(packet, port, '127.0.0.1', (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

describe('Jaeger agent UDP receivers', () => {
  let harness: IngestHarness;
  let compact: JaegerAgentCompactReceiver;
  let binary: JaegerAgentBinaryReceiver;
  let compactPort: number;
  let binaryPort: number;
  let app: FastifyInstance;

  before(async () => {
    harness = await startIngestHarness((c) => {
      const udp = { enabled: true, host: '127.0.0.1', port: 0, receiveBufferBytes: 1 << 20 };
      c.receivers.jaegerAgentCompact = udp;
      c.receivers.jaegerAgentBinary = { ...udp };
    });
    compact = new JaegerAgentCompactReceiver(
      harness.config,
      harness.pipeline,
      harness.metrics,
      harness.logger,
    );
    binary = new JaegerAgentBinaryReceiver(
      harness.config,
      harness.pipeline,
      harness.metrics,
      harness.logger,
    );
    compactPort = (await compact.start()).port;
    binaryPort = (await binary.start()).port;
    app = await readBackApp(harness.storage);
  });

  after(async () => {
    await app.close();
    await compact.stop();
    await binary.stop();
    await harness.close();
  });

  test('jaeger-client UDPSender (binary thrift) round-trips through both query APIs', async () => {
    const before = harness.written.count;
    const UDPSender = udpSenderModule.default;
    const sender = new UDPSender({
      host: '127.0.0.1',
      port: binaryPort,
      logger: { info: () => {}, error: (m: string) => assert.fail(m) },
    });
    const sent = await sendClientTrace(sender, true);
    await harness.written.atLeast(before + 3);
    await assertJaegerApiTrace(app, sent);
    await assertApiV3Trace(app, sent);
  });

  test('compact emitBatch reads back through /api/traces as Jaeger shows it', async () => {
    const before = harness.written.count;
    await sendPacket(compactPort, encodeEmitBatch('compact', sampleBatch()));
    await harness.written.atLeast(before + 2);
    const res = await app.inject({
      method: 'GET',
      url: '/api/traces/0af7651916cd43dd8494a2b3c4d5e6ff',
    });
    assert.equal(res.statusCode, 200);
    const [trace] = res.json().data;
    const server = trace.spans.find((s: { spanID: string }) => s.spanID === '1111111111111111');
    const client = trace.spans.find((s: { spanID: string }) => s.spanID === '2222222222222222');
    assert.deepEqual(trace.processes[server.processID], {
      serviceName: 'checkout',
      tags: [
        { key: 'hostname', type: 'string', value: 'host-1' },
        { key: 'jaeger.version', type: 'string', value: 'Node-3.19.0' },
        { key: 'pid', type: 'int64', value: 4242 },
      ],
    });
    assert.deepEqual(server.tags, [
      { key: 'otel.scope.name', type: 'string', value: 'cart-lib' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
      { key: 'http.method', type: 'string', value: 'GET' },
      { key: 'ratio', type: 'float64', value: 0.25 },
      { key: 'cache.hit', type: 'bool', value: false },
      { key: 'http.status_code', type: 'int64', value: 200 },
      { key: 'big', type: 'int64', value: '9007199254740993' },
      { key: 'blob', type: 'binary', value: Buffer.from([0, 1, 2, 255]).toString('base64') },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'w3c.tracestate', type: 'string', value: 'vendor=abc' },
    ]);
    assert.deepEqual(server.logs[0], {
      timestamp: 1_700_000_000_000_010,
      fields: [
        { key: 'event', type: 'string', value: 'cache miss' },
        { key: 'key', type: 'string', value: 'cart:1' },
      ],
    });
    assert.deepEqual(client.references, [
      { refType: 'CHILD_OF', traceID: trace.traceID, spanID: '1111111111111111' },
      {
        refType: 'FOLLOWS_FROM',
        traceID: '00000000000000000000000000000005',
        spanID: '3333333333333333',
      },
    ]);
    assert.deepEqual(
      client.tags.filter((t: { key: string }) => t.key.startsWith('otel') || t.key === 'error'),
      [
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_description', type: 'string', value: 'connection reset' },
      ],
    );
  });

  test('emitZipkinBatch (zipkincore spans) is stored with the Zipkin mapping', async () => {
    const before = harness.written.count;
    const endpoint = {
      struct: [
        [1, T.I32, 0x7f000001],
        [2, T.I16, 8080],
        [3, T.String, 'zipkin-agent-client'],
      ],
    } as const;
    const annotation = (timestamp: bigint, value: string) => ({
      struct: [
        [1, T.I64, timestamp],
        [2, T.String, value],
        [3, T.Struct, endpoint],
      ],
    });
    const span = {
      struct: [
        [1, T.I64, 0x77n],
        [3, T.String, 'get /users'],
        [4, T.I64, 0x78n],
        [
          6,
          T.List,
          {
            list: [
              annotation(1_700_000_000_000_000n, 'cs'),
              annotation(1_700_000_000_000_900n, 'cr'),
            ],
            elemType: T.Struct,
          },
        ],
        [10, T.I64, 1_700_000_000_000_000n],
        [11, T.I64, 900n],
      ],
    };
    const packet = encodeThriftMessage('compact', 'emitZipkinBatch', ThriftMessageType.Oneway, 1, [
      [1, T.List, { list: [span as never], elemType: T.Struct }],
    ]);
    await sendPacket(compactPort, packet);
    await harness.written.atLeast(before + 1);
    const res = await app.inject({
      method: 'GET',
      url: '/api/traces/00000000000000000000000000000077',
    });
    assert.equal(res.statusCode, 200);
    const [trace] = res.json().data;
    assert.equal(trace.spans.length, 1);
    assert.equal(trace.spans[0].operationName, 'get /users');
    assert.equal(trace.spans[0].duration, 900);
    assert.equal(trace.processes[trace.spans[0].processID].serviceName, 'zipkin-agent-client');
    assert.ok(
      trace.spans[0].tags.some(
        (t: { key: string; value: unknown }) => t.key === 'span.kind' && t.value === 'client',
      ),
    );
  });

  test('a bad packet is counted and the port keeps working', async () => {
    const labels = { protocol: 'jaeger_agent_compact', reason: 'SKEIN_INVALID_PAYLOAD' };
    const bad = await metricValue(
      harness.registry,
      'skein_receiver_requests_refused_total',
      labels,
    );
    await sendPacket(compactPort, Buffer.from('definitely not thrift'));
    await eventually(
      'the bad packet to be counted',
      async () =>
        (await metricValue(harness.registry, 'skein_receiver_requests_refused_total', labels)) ===
        bad + 1,
    );
    const before = harness.written.count;
    await sendPacket(compactPort, encodeEmitBatch('compact', sampleBatch()));
    await harness.written.atLeast(before + 2);
  });

  test('over-limit tags are cut and counted; an int64-maximum start time is refused and counted', async () => {
    const batch = sampleBatch(1_700_000_200_000_000n);
    batch.spans[0].tags = Array.from({ length: 1100 }, (_, i) => str(`k${i}`, 'v'));
    batch.spans[1].startTime = 2n ** 63n - 1n;
    const cut = { protocol: 'jaeger_agent_compact', reason: 'attributes' };
    const time = { protocol: 'jaeger_agent_compact', reason: 'invalid_time' };
    const cutBefore = await metricValue(harness.registry, 'skein_spans_truncated_total', cut);
    const timeBefore = await metricValue(harness.registry, 'skein_spans_refused_total', time);
    await sendPacket(compactPort, encodeEmitBatch('compact', batch));
    await eventually(
      'the cut span and the refused one to be counted',
      async () =>
        (await metricValue(harness.registry, 'skein_spans_truncated_total', cut)) ===
          cutBefore + 1 &&
        (await metricValue(harness.registry, 'skein_spans_refused_total', time)) === timeBefore + 1,
    );
  });

  test('a packet near 65,000 bytes is received whole', async () => {
    const batch = sampleBatch(1_700_000_100_000_000n);
    batch.spans[0].traceIdHigh = 0x1234n;
    batch.spans[1].traceIdHigh = 0x1234n;
    batch.spans[0].tags?.push(str('big.value', 'x'.repeat(63_000)));
    const packet = encodeEmitBatch('binary', batch);
    assert.ok(
      packet.length > 63_000 && packet.length <= 65_000,
      `packet is ${packet.length} bytes`,
    );
    const before = harness.written.count;
    await sendPacket(binaryPort, packet);
    await harness.written.atLeast(before + 2);
    const stored = await harness.storage.getTrace(
      DEFAULT_TENANT,
      '00000000000012348494a2b3c4d5e6ff',
    );
    const big = stored?.spans.flatMap((s) => s.attributes).find((a) => a.key === 'big.value');
    assert.equal(big?.value, 'x'.repeat(63_000));
  });
});

describe('Jaeger agent UDP receiver when the pipeline is full', () => {
  test('drops the packet and counts its spans as refused (queue_full)', async () => {
    const { harness, port, close } = await startReceiver(JaegerAgentCompactReceiver, (c) => {
      c.receivers.jaegerAgentCompact.receiveBufferBytes = 1 << 20;
      c.pipeline.queue.maxSpans = 1;
    });
    try {
      await sendPacket(port, encodeEmitBatch('compact', sampleBatch()));
      const refused = { protocol: 'jaeger_agent_compact', reason: 'queue_full' };
      await eventually(
        'the refused spans to be counted',
        async () =>
          (await metricValue(harness.registry, 'skein_spans_refused_total', refused)) === 2,
      );
      assert.equal(
        await metricValue(harness.registry, 'skein_receiver_requests_refused_total', {
          protocol: 'jaeger_agent_compact',
          reason: 'SKEIN_PIPELINE_FULL',
        }),
        1,
      );
      assert.equal(harness.written.count, 0);
    } finally {
      await close();
    }
  });
});
