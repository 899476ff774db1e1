// The fulfilment worker thread: packs an order, reserving its stock at the catalog
// over gRPC. It runs its own tracing (each thread has its own SDK).
import { parentPort, workerData } from 'node:worker_threads';
import type * as Grpc from '@grpc/grpc-js';
import { onTracedMessage, workerContext } from '@skein/node';
import { loadCatalog, reserve } from '../grpc-catalog.ts';
import { naiveReceive } from '../naive-messaging.ts';
import type { ServiceConfig } from '../service-process.ts';
import { startTelemetry } from '../telemetry.ts';

/** A pack request: the order and where the catalog is. */
interface PackRequest {
  id: number;
  catalog: string;
}

const { data } = workerContext(workerData);
const config = JSON.parse((data as { config: string }).config) as ServiceConfig;
const telemetry = startTelemetry({
  service: 'fulfilment',
  mode: config.mode,
  otlp: config.otlp,
  sampling: config.sampling,
});
const { grpc, Catalog } = loadCatalog();
let catalog: Grpc.Client | undefined;
const port = parentPort!;

const packOrder = async ({ id, catalog: address }: PackRequest): Promise<void> => {
  catalog ??= new Catalog(address, grpc.credentials.createInsecure());
  try {
    await reserve(catalog, `sku-${id % 10}`, 1);
  } catch (err) {
    process.stderr.write(`pack ${id}: reserve failed: ${(err as Error).message}\n`);
  }
  port.postMessage({ packed: id });
};

if (config.mode === 'kit') onTracedMessage<PackRequest>(port, packOrder);
port.on('message', (m: PackRequest | 'stop') => {
  if (m === 'stop') {
    catalog?.close();
    void telemetry.shutdown().then(() => process.exit(0));
    return;
  }
  if (config.mode === 'naive' && 'id' in m)
    void naiveReceive(telemetry.tracer, 'worker_threads', `${config.mode}.pack`, () =>
      packOrder(m),
    );
});
port.postMessage('ready');
