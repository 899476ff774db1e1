// fulfilment: a JetStream consumer of orders.created that hands each order to a
// worker thread (pack-worker) and acknowledges when the worker answers.
import { Worker } from 'node:worker_threads';
import { postTraced, traceWorker } from '@skein/node';
import { natsProcess } from '@skein/node/nats';
import { naiveReceive, naiveSend } from '../naive-messaging.ts';
import { serviceProcess } from '../service-process.ts';

await serviceProcess('fulfilment', async (config, telemetry) => {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: config.natsUrl });
  const js = jetstream(nc);
  const waiting = new Map<number, () => void>();
  // The worker starts with the service (it takes a while to load), before any order.
  const url = new URL('./pack-worker.mjs', import.meta.url);
  const workerData = { config: JSON.stringify(config) };
  const packer =
    telemetry.mode === 'kit' ? traceWorker(url, { workerData }) : new Worker(url, { workerData });
  packer.on('error', (err) => process.stderr.write(`pack worker failed: ${err.stack ?? err}\n`));
  await new Promise<void>((resolve) => {
    packer.on('message', (m: { packed: number } | 'ready') => {
      if (m === 'ready') return resolve();
      waiting.get(m.packed)?.();
      waiting.delete(m.packed);
    });
  });
  const pack = (id: number): Promise<void> =>
    new Promise<void>((resolve) => {
      waiting.set(id, resolve);
      const request = { id, catalog: config.peers.catalog };
      if (telemetry.mode === 'kit') postTraced(packer, `${config.mode}.pack`, request);
      else
        void naiveSend(telemetry.tracer, 'worker_threads', `${config.mode}.pack`, () =>
          packer.postMessage(request),
        );
    });

  const consumer = await js.consumers.get(`${config.mode.toUpperCase()}_ORDERS`, 'fulfilment');
  const messages = await consumer.consume({ max_messages: 64 });
  // Up to 32 orders in flight: a backlog would make the worker's spans arrive long after
  // their trace went idle in Skein.
  const inflight = new Set<Promise<void>>();
  const loop = (async (): Promise<void> => {
    for await (const msg of messages) {
      const { id } = msg.json<{ id: number }>();
      const handle = async (): Promise<void> => {
        await pack(id);
        msg.ack();
      };
      const done: Promise<void> = (
        telemetry.mode === 'kit'
          ? natsProcess(msg, handle, { consumerGroup: 'fulfilment' })
          : naiveReceive(telemetry.tracer, 'nats', msg.subject, handle)
      )
        .catch((err: Error) => void process.stderr.write(`order ${id}: ${err.message}\n`))
        .finally(() => inflight.delete(done));
      inflight.add(done);
      if (inflight.size >= 32) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  })().catch((err: Error) => void process.stderr.write(`consumer loop failed: ${err.stack}\n`));
  return {
    port: 0,
    async close() {
      await messages.close();
      await loop;
      const exited = new Promise((r) => packer.once('exit', r));
      packer.postMessage('stop');
      await exited;
      await nc.drain();
    },
  };
});
