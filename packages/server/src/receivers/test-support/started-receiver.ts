import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import { startIngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import type { Receiver } from '../receiver.ts';

/** A receiver class, constructed as the CLI does. */
export type ReceiverClass<R extends Receiver> = new (
  config: SkeinConfig,
  consumer: SpanConsumer,
  metrics: IngestMetrics,
  logger: Logger,
) => R;

export interface StartedReceiver<R extends Receiver> {
  harness: IngestHarness;
  receiver: R;
  port: number;
  /** Stops the receiver, then the harness (flushing the pipeline). */
  close(): Promise<void>;
}

/**
 * A receiver listening on 127.0.0.1, on a free port, in front of a real ingest
 * path (startIngestHarness). Every listener in the config is moved to
 * 127.0.0.1:0 before `adjust` runs.
 */
export async function startReceiver<R extends Receiver>(
  Receiver: ReceiverClass<R>,
  adjust: (config: SkeinConfig) => void = () => {},
): Promise<StartedReceiver<R>> {
  const harness = await startIngestHarness((config) => {
    for (const listener of Object.values(config.receivers)) {
      if (typeof listener === 'object') Object.assign(listener, { host: '127.0.0.1', port: 0 });
    }
    adjust(config);
  });
  const receiver = new Receiver(harness.config, harness.pipeline, harness.metrics, harness.logger);
  const { port } = await receiver.start();
  return {
    harness,
    receiver,
    port,
    async close() {
      await receiver.stop();
      await harness.close();
    },
  };
}
