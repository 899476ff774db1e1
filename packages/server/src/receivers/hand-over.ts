import type { Span } from '../model/span.ts';
import type { SpanConsumer } from '../pipeline/span-consumer.ts';

/**
 * Hands a decoded request's spans to the pipeline and settles with `answer` once the
 * pipeline has them durably (the client is acknowledged then); a refusal, which
 * `consume` throws, comes back as a rejection.
 *
 * Not an async function, and its callers must not be either around the call: V8 keeps
 * an async function's parameters and locals until it returns, even those no code after
 * the `await` reads (measured on Node 20 and 24, see hand-over.test.ts). A receiver
 * that awaited `consume` with the decoded request in a local kept that request's span
 * objects alive while the durable intake synced, so they outlived scavenges and died in
 * the old generation. Only `answer` is kept here.
 */
export function handOver<T>(
  consumer: SpanConsumer,
  spans: Span[],
  bytes: number,
  protocol: string,
  tenant: string,
  answer: T,
): Promise<T> {
  try {
    return consumer.consume(spans, bytes, protocol, tenant).then(() => answer);
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
