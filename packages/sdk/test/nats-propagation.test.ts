import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { context, trace } from '@opentelemetry/api';
import { start, type SkeinKit } from '../src/index.ts';
import { jetStreamPublish, natsProcess, natsPublish } from '../src/messaging/index.ts';
import { parentOf, tagOf, TestSkein } from './support/skein.ts';
import { natsServerInstalled, startNatsServer, type NatsServer } from './support/nats-server.ts';

/**
 * Layer 4, NATS: a real nats-server (Debian's) and the official @nats-io clients.
 * Core NATS and JetStream messages carry the producer's context in their headers; the
 * CONSUMER span read back from Skein is the PRODUCER span's child.
 */
const skip = natsServerInstalled()
  ? false
  : 'nats-server is not installed (apt-get install nats-server)';
const skein = new TestSkein();
let kit: SkeinKit;
let nats: NatsServer;
let nc: NatsConnection;

before(async () => {
  if (skip) return;
  [nats] = await Promise.all([startNatsServer(), skein.start()]);
  kit = start({
    service: 'sdk-nats-test',
    endpoint: skein.otlp,
    samplingEndpoint: false,
    shutdownOnExit: false,
  });
  nc = await connect({ servers: nats.url });
});

after(async () => {
  if (skip) return;
  await nc?.close();
  await kit?.shutdown();
  await Promise.all([nats?.stop(), skein.stop()]);
});

test(
  'core NATS: publish injects, subscribe extracts, CONSUMER is a child of PRODUCER',
  { skip },
  async () => {
    const sub = nc.subscribe('orders.created', { max: 1 });
    const root = kit.tracer.startSpan('nats-root', { root: true });
    context.with(trace.setSpan(context.active(), root), () =>
      natsPublish(nc, 'orders.created', '{"id":1}'),
    );
    root.end();
    for await (const msg of sub) {
      assert.ok(msg.headers?.get('traceparent').includes(root.spanContext().traceId));
      await natsProcess(msg, () => kit.tracer.startSpan('handle-order').end());
    }
    await kit.forceFlush();
    const t = await skein.trace(root.spanContext().traceId, 4);
    const producer = t.byName('publish orders.created');
    const consumer = t.byName('process orders.created');
    assert.equal(tagOf(producer, 'span.kind'), 'producer');
    assert.equal(tagOf(consumer, 'span.kind'), 'consumer');
    assert.equal(tagOf(producer, 'messaging.system'), 'nats');
    assert.equal(tagOf(consumer, 'messaging.destination.name'), 'orders.created');
    assert.equal(parentOf(producer), root.spanContext().spanId);
    assert.equal(parentOf(consumer), producer.spanID);
    assert.equal(parentOf(t.byName('handle-order')), consumer.spanID);
  },
);

test('JetStream: a durable consumer continues the publisher’s trace', { skip }, async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'ORDERS', subjects: ['jsorders.>'] });
  await jsm.consumers.add('ORDERS', { durable_name: 'fulfilment', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  const root = kit.tracer.startSpan('js-root', { root: true });
  const ack = await context.with(trace.setSpan(context.active(), root), () =>
    jetStreamPublish(js, 'jsorders.created', '{"id":2}'),
  );
  root.end();
  assert.equal(ack.stream, 'ORDERS');
  const consumer = await js.consumers.get('ORDERS', 'fulfilment');
  const msg = await consumer.next({ expires: 5000 });
  assert.ok(msg, 'the message is delivered');
  await natsProcess(msg, () => msg.ack(), { consumerGroup: 'fulfilment' });
  await kit.forceFlush();
  const t = await skein.trace(root.spanContext().traceId, 3);
  const producer = t.byName('publish jsorders.created');
  const processed = t.byName('process jsorders.created');
  assert.equal(parentOf(processed), producer.spanID);
  assert.equal(tagOf(producer, 'messaging.nats.stream'), 'ORDERS');
  assert.equal(tagOf(processed, 'messaging.consumer.group.name'), 'fulfilment');
});

test('a message without trace headers starts a new trace at the consumer', { skip }, async () => {
  const sub = nc.subscribe('plain.subject', { max: 1 });
  nc.publish('plain.subject', 'x');
  for await (const msg of sub) {
    const traceId = await natsProcess(msg, (span) => span.spanContext().traceId);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    await kit.forceFlush();
    const t = await skein.trace(traceId, 1);
    assert.equal(parentOf(t.byName('process plain.subject')), '');
  }
});
