import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Grpc from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

/** A reserve call on the catalog. */
export type ReserveFn = (
  req: { sku: string; quantity: number },
  cb: (err: Error | null, reply: { ok: boolean }) => void,
) => void;

/**
 * @grpc/grpc-js and the catalog service definition. Required (not imported) after
 * tracing started: under tsx the ESM view of a CommonJS package is not patched by
 * the gRPC instrumentation, the CommonJS one is.
 */
export function loadCatalog(): {
  grpc: typeof Grpc;
  Catalog: Grpc.ServiceClientConstructor;
} {
  const grpc = require('@grpc/grpc-js') as typeof Grpc;
  const loader = require('@grpc/proto-loader') as typeof ProtoLoader;
  const def = loader.loadSync(fileURLToPath(new URL('../catalog.proto', import.meta.url)));
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    catalog: { Catalog: Grpc.ServiceClientConstructor };
  };
  return { grpc, Catalog: pkg.catalog.Catalog };
}

/** A promise-returning Reserve on a catalog client. */
export function reserve(client: Grpc.Client, sku: string, quantity: number): Promise<boolean> {
  return new Promise((resolve, reject) =>
    (client as unknown as { Reserve: ReserveFn }).Reserve({ sku, quantity }, (err, reply) =>
      err ? reject(err) : resolve(reply.ok),
    ),
  );
}
