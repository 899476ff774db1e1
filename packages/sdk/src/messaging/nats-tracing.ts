import {
  context,
  propagation,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  type Attributes,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { JetStreamClient, JetStreamPublishOptions, JsMsg, PubAck } from '@nats-io/jetstream';
import {
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type PublishOptions,
} from '@nats-io/transport-node';
import { runInSpan } from '../async/run-detached.ts';

const TRACER = '@skein/node';

/** Reads propagation fields from NATS message headers (case as written by the setter). */
export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h === undefined ? [] : h.keys()),
  get: (h, key) => (h !== undefined && h.has(key) ? h.get(key) : undefined),
};

/** Writes propagation fields into NATS message headers. */
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set: (h, key, value) => h.set(key, value),
};

function producerAttributes(subject: string, size: number): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.message.body.size': size,
  };
}

/** Starts the PRODUCER span and returns it with headers carrying its context. */
function startProducer(
  subject: string,
  size: number,
  given: MsgHdrs | undefined,
): { span: Span; hdrs: MsgHdrs } {
  const span = trace.getTracer(TRACER).startSpan(`publish ${subject}`, {
    kind: SpanKind.PRODUCER,
    attributes: producerAttributes(subject, size),
  });
  const hdrs = given ?? headers();
  propagation.inject(trace.setSpan(context.active(), span), hdrs, natsHeaderSetter);
  return { span, hdrs };
}

/**
 * Publishes on core NATS as a traced message: a PRODUCER span `publish <subject>`
 * (messaging semantic conventions, `messaging.system` `nats`) whose context is
 * injected into the message headers (W3C `traceparent`/`tracestate`, plus whatever
 * propagators the kit installed). Existing headers in `options` are kept.
 */
export function natsPublish(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array | string,
  options: Partial<PublishOptions> = {},
): void {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const { span, hdrs } = startProducer(subject, size, options.headers);
  try {
    nc.publish(subject, payload, { ...options, headers: hdrs });
  } catch (err) {
    span.recordException(err as Error);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Publishes to JetStream as a traced message (as {@link natsPublish}); the PRODUCER
 * span ends when the stream acknowledged it and records the stream and sequence.
 */
export async function jetStreamPublish(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array | string,
  options: Partial<JetStreamPublishOptions> = {},
): Promise<PubAck> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const { span, hdrs } = startProducer(subject, size, options.headers);
  return runInSpan(span, async () => {
    const ack = await js.publish(subject, payload, { ...options, headers: hdrs });
    span.setAttribute('messaging.nats.stream', ack.stream);
    span.setAttribute('messaging.message.id', String(ack.seq));
    return ack;
  });
}

/** Options of {@link natsProcess}. */
export interface NatsProcessOptions {
  /** The consumer group: a queue group or a durable JetStream consumer name. */
  consumerGroup?: string;
}

/**
 * Runs `handler` for a received NATS or JetStream message in a CONSUMER span
 * `process <subject>`, a child of the producer's span carried in the headers (a new
 * trace when the message has none). The span ends when the handler settles and
 * records its error; the handler's result is returned.
 */
export function natsProcess<T>(
  msg: Msg | JsMsg,
  handler: (span: Span) => Promise<T> | T,
  options: NatsProcessOptions = {},
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, msg.headers, natsHeaderGetter);
  const attributes: Attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': msg.subject,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.message.body.size': msg.data.byteLength,
  };
  if (options.consumerGroup !== undefined)
    attributes['messaging.consumer.group.name'] = options.consumerGroup;
  if ('seq' in msg) attributes['messaging.message.id'] = String(msg.seq);
  const span = trace
    .getTracer(TRACER)
    .startSpan(`process ${msg.subject}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  return context.with(trace.setSpan(parent, span), () => runInSpan(span, handler));
}
