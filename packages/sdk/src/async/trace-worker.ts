import { context, trace, ROOT_CONTEXT, SpanKind, type Span } from '@opentelemetry/api';
import { Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import { extractCarrier, injectCarrier, type Carrier } from './carrier.ts';
import { runInSpan } from './run-detached.ts';

const TRACER = '@skein/node';
/** The `workerData` key carrying the creator's context. */
const DATA_KEY = '__skeinTraceContext';

/** A message sent with {@link postTraced}: the payload and the sender's context. */
interface TracedMessage<T> {
  __skein: Carrier;
  destination: string;
  payload: T;
}

/**
 * Creates a Worker whose `workerData` also carries the current trace context, so
 * {@link workerContext} in the worker continues the creator's trace (each thread
 * runs its own SDK: call `start` in the worker too). Options as `new Worker`.
 */
export function traceWorker(filename: string | URL, options: WorkerOptions = {}): Worker {
  const data = { [DATA_KEY]: injectCarrier(), data: options.workerData };
  return new Worker(filename, { ...options, workerData: data });
}

/**
 * In a worker made by {@link traceWorker}: the creator's context (ROOT_CONTEXT
 * elsewhere) and the original `workerData`.
 */
export function workerContext(workerData: unknown): {
  context: ReturnType<typeof context.active>;
  data: unknown;
} {
  const carrier = (workerData as Record<string, unknown> | null)?.[DATA_KEY] as Carrier | undefined;
  if (carrier === undefined) return { context: ROOT_CONTEXT, data: workerData };
  return {
    context: extractCarrier(carrier, ROOT_CONTEXT),
    data: (workerData as { data: unknown }).data,
  };
}

/**
 * Posts `payload` to a worker (or port) as a traced hand-off: a PRODUCER span
 * `send <destination>` in the current trace (messaging attributes, system
 * `worker_threads`) whose context travels with the message.
 */
export function postTraced<T>(target: Worker | MessagePort, destination: string, payload: T): void {
  const span = trace.getTracer(TRACER).startSpan(`send ${destination}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'worker_threads',
      'messaging.destination.name': destination,
      'messaging.operation.type': 'send',
    },
  });
  const message: TracedMessage<T> = {
    __skein: injectCarrier(trace.setSpan(context.active(), span)),
    destination,
    payload,
  };
  try {
    target.postMessage(message);
  } finally {
    span.end();
  }
}

/**
 * Listens on a port (the worker's `parentPort`, or a Worker) for messages from
 * {@link postTraced} and runs `handler` in a CONSUMER span `process <destination>`,
 * a child of the sender's PRODUCER span. Other messages are left to other listeners.
 */
export function onTracedMessage<T>(
  port: MessagePort | Worker,
  handler: (payload: T, span: Span) => Promise<unknown> | unknown,
): void {
  port.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null || !('__skein' in message)) return;
    const traced = message as TracedMessage<T>;
    const parent = extractCarrier(traced.__skein, ROOT_CONTEXT);
    const span = trace.getTracer(TRACER).startSpan(
      `process ${traced.destination}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'worker_threads',
          'messaging.destination.name': traced.destination,
          'messaging.operation.type': 'process',
        },
      },
      parent,
    );
    void context
      .with(trace.setSpan(parent, span), () => runInSpan(span, (s) => handler(traced.payload, s)))
      .catch(() => {});
  });
}
