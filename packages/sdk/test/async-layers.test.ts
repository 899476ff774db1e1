import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { after, before, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { context, trace, type Span } from '@opentelemetry/api';
import {
  bindContext,
  bindEmitter,
  postTraced,
  runDetached,
  scheduleOnce,
  start,
  traceJob,
  traceWorker,
  TracedPromisePool,
  type SkeinKit,
} from '../src/index.ts';
import { eventually, parentOf, TestSkein, type JaegerSpan } from './support/skein.ts';

/**
 * Layer 3 against a real Skein: each helper's spans are read back from Skein's API
 * and their parent, trace and link ids checked across the boundary it bridges.
 */
const skein = new TestSkein();
let kit: SkeinKit;

before(async () => {
  await skein.start();
  kit = start({
    service: 'sdk-async-test',
    endpoint: skein.otlp,
    samplingEndpoint: false,
    leakCheck: true,
    shutdownOnExit: false,
  });
});

after(async () => {
  await kit.shutdown();
  await skein.stop();
});

/** Runs `fn` inside a new root span `name`, ends it, and returns the span. */
async function inRoot(name: string, fn: () => Promise<void> | void): Promise<Span> {
  const root = kit.tracer.startSpan(name, { root: true });
  await context.with(trace.setSpan(context.active(), root), fn);
  root.end();
  return root;
}

function links(span: JaegerSpan): string[] {
  return span.references.filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => r.spanID);
}

/** A stand-in for a callback library: it stores callbacks and calls them from its own timer. */
class CallbackQueue {
  readonly #pending: (() => void)[] = [];
  readonly #timer = setInterval(() => this.#pending.splice(0).forEach((cb) => cb()), 5);
  submit(cb: () => void): void {
    this.#pending.push(cb);
  }
  close(): void {
    clearInterval(this.#timer);
  }
}

test('worker_threads: traceWorker + postTraced continue the trace in the worker', async () => {
  const worker = traceWorker(new URL('./fixtures/traced-worker.mjs', import.meta.url), {
    workerData: { endpoint: skein.otlp },
  }) as Worker;
  try {
    const root = await inRoot('worker-root', async () => {
      postTraced(worker, 'pack', { op: 'work' });
      const [reply] = await once(worker, 'message');
      assert.equal(reply, 'done');
    });
    worker.postMessage({ op: 'flush' });
    assert.equal((await once(worker, 'message'))[0], 'flushed');
    await kit.forceFlush();
    const t = await skein.trace(root.spanContext().traceId, 4);
    const producer = t.byName('send pack');
    const consumer = t.byName('process pack');
    assert.equal(parentOf(producer), root.spanContext().spanId);
    assert.equal(
      parentOf(consumer),
      producer.spanID,
      'the worker’s CONSUMER span is a child of the PRODUCER',
    );
    assert.equal(
      parentOf(t.byName('worker-step')),
      consumer.spanID,
      'work in the worker stays in the trace',
    );
  } finally {
    await worker.terminate();
  }
});

test('callback library: without bindContext the callback loses the trace, with it the callback is a child', async () => {
  const queue = new CallbackQueue();
  let lost: Span | undefined;
  let bound: Span | undefined;
  const root = await inRoot('callback-root', async () => {
    await new Promise<void>((resolve) => {
      queue.submit(() => {
        lost = kit.tracer.startSpan('unbound-callback');
        lost.end();
      });
      queue.submit(
        bindContext(() => {
          bound = kit.tracer.startSpan('bound-callback');
          bound.end();
          resolve();
        }),
      );
    });
  });
  queue.close();
  assert.notEqual(lost!.spanContext().traceId, root.spanContext().traceId, 'the break is real');
  await kit.forceFlush();
  const t = await skein.trace(root.spanContext().traceId, 2);
  assert.equal(parentOf(t.byName('bound-callback')), root.spanContext().spanId);
});

test('EventEmitter: bindEmitter runs listeners in the binding request’s trace', async () => {
  const emitter = new EventEmitter();
  const root = await inRoot('emitter-root', () => {
    bindEmitter(emitter);
  });
  const done = new Promise<void>((resolve) =>
    emitter.on('progress', () => {
      kit.tracer.startSpan('listener').end();
      resolve();
    }),
  );
  // Emitted from an unrelated trace, as a shared socket or stream would.
  await inRoot('unrelated', () => void emitter.emit('progress'));
  await done;
  await kit.forceFlush();
  const t = await skein.trace(root.spanContext().traceId, 2);
  assert.equal(parentOf(t.byName('listener')), root.spanContext().spanId);
});

test('runDetached: child in the same trace, or a linked root of a new trace', async () => {
  let linkedTrace = '';
  const root = await inRoot('detach-root', async () => {
    await runDetached('detached-child', () => {});
    await runDetached(
      'detached-linked',
      (span) => {
        linkedTrace = span.spanContext().traceId;
      },
      { relation: 'link' },
    );
  });
  await kit.forceFlush();
  const t = await skein.trace(root.spanContext().traceId, 2);
  assert.equal(parentOf(t.byName('detached-child')), root.spanContext().spanId);
  assert.notEqual(linkedTrace, root.spanContext().traceId);
  const linked = (await skein.trace(linkedTrace, 1)).byName('detached-linked');
  assert.equal(parentOf(linked), '', 'a root span');
  assert.deepEqual(
    links(linked),
    [root.spanContext().spanId],
    'linked to the span that started it',
  );
});

test('timers: scheduleOnce records a PRODUCER now and runs a linked root CONSUMER later', async () => {
  let runTrace = '';
  const ran = new Promise<void>((resolve) => {
    void inRoot('schedule-root', () => {
      scheduleOnce('reminder', 20, (span) => {
        runTrace = span.spanContext().traceId;
        kit.tracer.startSpan('reminder-work').end();
        resolve();
      });
    }).then((root) => (scheduleRoot = root));
  });
  let scheduleRoot: Span | undefined;
  await ran;
  await eventually(async () => scheduleRoot, 'the scheduling span');
  await kit.forceFlush();
  const t = await skein.trace(scheduleRoot!.spanContext().traceId, 2);
  const producer = t.byName('schedule reminder');
  assert.equal(parentOf(producer), scheduleRoot!.spanContext().spanId);
  const run = await skein.trace(runTrace, 2);
  const consumer = run.byName('run reminder');
  assert.equal(parentOf(consumer), '');
  assert.deepEqual(links(consumer), [producer.spanID]);
  assert.equal(parentOf(run.byName('reminder-work')), consumer.spanID);
});

test('cron jobs: traceJob runs each run as a root span linked to where it was scheduled', async () => {
  let job: (() => Promise<string>) | undefined;
  const setup = await inRoot('cron-setup', () => {
    job = traceJob('nightly', async () => trace.getActiveSpan()!.spanContext().traceId);
  });
  // The scheduler calls it from whatever context it is in: here, an unrelated trace.
  let runTrace = '';
  const other = await inRoot('scheduler-tick', async () => {
    runTrace = await job!();
  });
  assert.notEqual(runTrace, other.spanContext().traceId, 'not a child of the scheduler’s context');
  await kit.forceFlush();
  const run = (await skein.trace(runTrace, 1)).byName('job nightly');
  assert.equal(parentOf(run), '');
  assert.deepEqual(links(run), [setup.spanContext().spanId]);
});

test('promise pool: a queued task runs in its submitter’s context, not the finishing task’s', async () => {
  const pool = new TracedPromisePool(1);
  let releaseFirst!: () => void;
  const first = new Promise<void>((r) => (releaseFirst = r));
  const a = await inRoot('pool-a', () => {
    void pool.run(() => first);
  });
  let taskSpan: Span | undefined;
  const b = await inRoot('pool-b', () => {
    void pool.run(async () => {
      taskSpan = kit.tracer.startSpan('pool-task');
      taskSpan.end();
    });
  });
  assert.equal(pool.pending, 1);
  await inRoot('pool-a-finish', () => releaseFirst());
  await eventually(async () => taskSpan, 'the queued task');
  assert.notEqual(a.spanContext().traceId, b.spanContext().traceId);
  await kit.forceFlush();
  const t = await skein.trace(b.spanContext().traceId, 2);
  assert.equal(parentOf(t.byName('pool-task')), b.spanContext().spanId);
});

test('leak check: a span never ended is reported at shutdown', async () => {
  const leaked = kit.tracer.startSpan('never-ended');
  const report = await kit.shutdown();
  assert.deepEqual(
    report.map((l) => l.spanId),
    [leaked.spanContext().spanId],
  );
});
