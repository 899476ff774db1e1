// gateway: Fastify. POST /checkout reserves at the catalog (gRPC), places the order
// (orders, HTTP) and asks the scheduler for a receipt job; GET /report for the cron job.
import { loadCatalog, reserve } from '../grpc-catalog.ts';
import { serviceProcess } from '../service-process.ts';

await serviceProcess('gateway', async (config) => {
  const { default: Fastify } = await import('fastify');
  const { grpc, Catalog } = loadCatalog();
  let client: InstanceType<typeof Catalog> | undefined;
  // Created on first use, when the runner has sent the catalog's address.
  const catalog = (): InstanceType<typeof Catalog> =>
    (client ??= new Catalog(config.peers.catalog, grpc.credentials.createInsecure()));
  const app = Fastify();
  app.post('/checkout', async (req, reply) => {
    const { sku } = req.body as { sku: string };
    if (!(await reserve(catalog(), sku, 1)))
      return reply.code(409).send({ error: `${sku} is out of stock` });
    const order = (await (
      await fetch(`${config.peers.orders}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku }),
      })
    ).json()) as { id: number };
    await fetch(`${config.peers.scheduler}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'receipt', orderId: order.id, dueInMs: 50 }),
    });
    return reply.code(201).send(order);
  });
  app.get('/report', async () => ({ ok: await reserve(catalog(), 'sku-0', 0) }));
  const address = await app.listen({ port: 0, host: config.host });
  return {
    port: Number(new URL(address).port),
    async close() {
      await app.close();
      client?.close();
    },
  };
});
