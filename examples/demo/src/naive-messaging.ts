import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';

/**
 * What a team writes at an async boundary after reading the messaging semantic
 * conventions, before propagating anything: a PRODUCER span around the send and a
 * CONSUMER span around the handling, but no context in the message. Skein sees each
 * such hop as an `async_break`.
 */
export async function naiveSend<T>(
  tracer: Tracer,
  system: string,
  destination: string,
  send: () => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(
    `publish ${destination}`,
    { kind: SpanKind.PRODUCER, attributes: attributes(system, destination, 'send') },
    async (span) => finish(span, send),
  );
}

/** The consumer side of {@link naiveSend}: the CONSUMER span starts wherever the callback runs. */
export async function naiveReceive<T>(
  tracer: Tracer,
  system: string,
  destination: string,
  handle: () => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(
    `process ${destination}`,
    { kind: SpanKind.CONSUMER, attributes: attributes(system, destination, 'process') },
    async (span) => finish(span, handle),
  );
}

function attributes(
  system: string,
  destination: string,
  operation: string,
): Record<string, string> {
  return {
    'messaging.system': system,
    'messaging.destination.name': destination,
    'messaging.operation.type': operation,
  };
}

async function finish<T>(span: Span, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } finally {
    span.end();
  }
}
