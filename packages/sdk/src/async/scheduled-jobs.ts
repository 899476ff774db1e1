import {
  context,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { runInSpan } from './run-detached.ts';

const TRACER = '@skein/node';

/**
 * Wraps a job function for any scheduler (setInterval, croner, node-cron, agenda):
 * each run starts a new trace whose root span `job <name>` links to the span that
 * was active when the job was wrapped (its schedule was set up), if any. A run is
 * never a child of whatever context the scheduler happens to call it from.
 */
export function traceJob<A extends unknown[], T>(
  name: string,
  job: (...args: A) => Promise<T> | T,
): (...args: A) => Promise<T> {
  const scheduledBy = trace.getActiveSpan()?.spanContext();
  return (...args: A) => {
    const span = trace.getTracer(TRACER).startSpan(
      `job ${name}`,
      {
        root: true,
        attributes: { 'job.name': name },
        links: scheduledBy !== undefined ? [{ context: scheduledBy }] : undefined,
      },
      ROOT_CONTEXT,
    );
    return context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
      runInSpan(span, () => job(...args)),
    );
  };
}

/**
 * A cron-style repeating job every `ms` (first run after `ms`), each run traced by
 * {@link traceJob}. Returns a function that stops it. The timer does not keep the
 * process alive.
 */
export function every(name: string, ms: number, job: () => Promise<unknown> | unknown): () => void {
  const run = traceJob(name, job);
  const timer = setInterval(() => void run().catch(() => {}), ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Deferred work as a message to the future: records a PRODUCER span `schedule
 * <name>` in the current trace now, and after `delayMs` runs `job` in the root
 * CONSUMER span `run <name>` of a new trace, linked to it (messaging attributes with
 * `messaging.system` `scheduler`), so Skein pairs the two like a queue hop. Returns
 * the timer (cancel with clearTimeout).
 */
export function scheduleOnce(
  name: string,
  delayMs: number,
  job: (span: Span) => Promise<unknown> | unknown,
): NodeJS.Timeout {
  const tracer = trace.getTracer(TRACER);
  const attributes = {
    'messaging.system': 'scheduler',
    'messaging.destination.name': name,
    'messaging.operation.type': 'send',
  };
  const producer = tracer.startSpan(`schedule ${name}`, { kind: SpanKind.PRODUCER, attributes });
  const link: SpanContext = producer.spanContext();
  producer.end();
  return setTimeout(() => {
    const span = tracer.startSpan(
      `run ${name}`,
      {
        kind: SpanKind.CONSUMER,
        root: true,
        links: [{ context: link }],
        attributes: { ...attributes, 'messaging.operation.type': 'process' },
      },
      ROOT_CONTEXT,
    );
    void context
      .with(trace.setSpan(ROOT_CONTEXT, span), () => runInSpan(span, job))
      .catch(() => {});
  }, delayMs);
}
