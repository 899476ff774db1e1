/** How long `stop` waits for requests in flight by default. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** Where a receiver listens once started (the actual port when configured with 0). */
export interface ReceiverAddress {
  host: string;
  port: number;
}

/**
 * What every protocol receiver implements, so the CLI starts and stops them alike.
 *
 * Receivers are constructed with `(config: SkeinConfig, consumer: SpanConsumer,
 * metrics: IngestMetrics, logger: Logger)` and do nothing until `start`.
 *
 * Contract:
 * - `start` resolves once the receiver accepts connections, with its address; it
 *   rejects if it cannot listen (port in use...). Call it once.
 * - `stop` stops accepting new connections and requests, lets requests already
 *   being handled finish (their spans are handed to the consumer or refused), and
 *   resolves when none is left. Connections still busy after `graceMs` are closed
 *   (their clients retry; spans already handed over stay accepted). Safe to call
 *   more than once (later calls return the first call's promise) and before `start`.
 * - `listening` is true between a successful `start` and the beginning of `stop`
 *   (readiness checks read it).
 */
export interface Receiver {
  /** Short name used in logs and metrics, e.g. "otlp_grpc". */
  readonly name: string;
  readonly listening: boolean;
  start(): Promise<ReceiverAddress>;
  stop(graceMs?: number): Promise<void>;
}
