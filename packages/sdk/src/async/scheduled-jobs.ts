import {
  context,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { extractCarrier, injectCarrier, type Carrier } from './carrier.ts';
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

const scheduleAttributes = (name: string, operation: 'send' | 'process'): Attributes => ({
  'messaging.system': 'scheduler',
  'messaging.destination.name': name,
  'messaging.operation.type': operation,
});

/**
 * For a job stored now and run later (a job table, a queue polled by a loop):
 * records a PRODUCER span `schedule <name>` in the current trace and returns the
 * carrier to store with the job. Run it with {@link runScheduled}.
 */
export function recordSchedule(name: string): Carrier {
  const producer = trace.getTracer(TRACER).startSpan(`schedule ${name}`, {
    kind: SpanKind.PRODUCER,
    attributes: scheduleAttributes(name, 'send'),
  });
  const carrier = injectCarrier(trace.setSpan(context.active(), producer));
  producer.end();
  return carrier;
}

/**
 * Runs a stored job in the root CONSUMER span `run <name>` of a new trace, linked to
 * the PRODUCER span whose carrier {@link recordSchedule} returned (not a child: a job
 * may run long after its request ended), so Skein pairs the two like a queue hop.
 * Ends the span when `job` settles; returns its result.
 */
export function runScheduled<T>(
  name: string,
  carrier: Carrier | undefined,
  job: (span: Span) => Promise<T> | T,
): Promise<T> {
  const scheduledBy = trace.getSpanContext(extractCarrier(carrier, ROOT_CONTEXT));
  const span = trace.getTracer(TRACER).startSpan(
    `run ${name}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links: scheduledBy !== undefined ? [{ context: scheduledBy }] : undefined,
      attributes: scheduleAttributes(name, 'process'),
    },
    ROOT_CONTEXT,
  );
  return context.with(trace.setSpan(ROOT_CONTEXT, span), () => runInSpan(span, job));
}

/**
 * Deferred work in this process: {@link recordSchedule} now, {@link runScheduled}
 * after `delayMs`. Returns the timer (cancel with clearTimeout).
 */
export function scheduleOnce(
  name: string,
  delayMs: number,
  job: (span: Span) => Promise<unknown> | unknown,
): NodeJS.Timeout {
  const carrier = recordSchedule(name);
  return setTimeout(() => void runScheduled(name, carrier, job).catch(() => {}), delayMs);
}
