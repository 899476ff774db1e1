// catalog: a gRPC service (Reserve) reading stock from PostgreSQL.
import { loadCatalog } from '../grpc-catalog.ts';
import { serviceProcess } from '../service-process.ts';

await serviceProcess('catalog', async (config) => {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 4 });
  const { grpc, Catalog } = loadCatalog();
  const server = new grpc.Server();
  server.addService(Catalog.service, {
    Reserve: (
      call: { request: { sku: string; quantity: number } },
      cb: (err: Error | null, reply?: { ok: boolean }) => void,
    ) => {
      pool
        .query('SELECT stock FROM products WHERE sku = $1', [call.request.sku])
        .then((r) => cb(null, { ok: (r.rows[0]?.stock ?? 0) >= call.request.quantity }), cb);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:0`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    port,
    async close() {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      await pool.end();
    },
  };
});
