// orders: HTTP, writes to PostgreSQL, then publishes orders.created to NATS JetStream
// from the callback of a callback-style library (StockBook).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindContext } from '@skein/node';
import { jetStreamPublish } from '@skein/node/nats';
import { naiveSend } from '../naive-messaging.ts';
import { serviceProcess } from '../service-process.ts';
import { StockBook } from '../stock-book.ts';

await serviceProcess('orders', async (config, telemetry) => {
  const http = await import('node:http');
  const { default: pg } = await import('pg');
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 4 });
  const nc = await connect({ servers: config.natsUrl });
  const js = jetstream(nc);
  const book = new StockBook();
  const subject = `${config.mode}.orders.created`;

  const publish = (id: number): Promise<unknown> => {
    const body = JSON.stringify({ id });
    if (telemetry.mode === 'kit') return jetStreamPublish(js, subject, body);
    return naiveSend(telemetry.tracer, 'nats', subject, () => js.publish(subject, body));
  };

  const placeOrder = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const { sku } = JSON.parse(raw) as { sku: string };
    const r = await pool.query('INSERT INTO orders (sku, status) VALUES ($1, $2) RETURNING id', [
      sku,
      'placed',
    ]);
    const id = r.rows[0].id as number;
    await new Promise<void>((resolve, reject) => {
      const onHeld = (err: Error | null): void => {
        if (err) return reject(err);
        publish(id).then(() => resolve(), reject);
      };
      book.hold(sku, telemetry.mode === 'kit' ? bindContext(onHeld) : onHeld);
    });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
  };

  const receipt = async (id: number, res: ServerResponse): Promise<void> => {
    await pool.query('UPDATE orders SET status = $1 WHERE id = $2', ['receipted', id]);
    res.writeHead(204).end();
  };

  const server = http.createServer((req, res) => {
    const m = /^\/orders\/(\d+)\/receipt$/.exec(req.url ?? '');
    const work =
      req.method === 'POST' && req.url === '/orders'
        ? placeOrder(req, res)
        : req.method === 'POST' && m
          ? receipt(Number(m[1]), res)
          : Promise.resolve(void res.writeHead(404).end());
    work.catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((r) => server.listen(0, config.host, r));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      book.close();
      await new Promise((r) => server.close(r));
      await nc.drain();
      await pool.end();
    },
  };
});
