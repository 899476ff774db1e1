import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatFigures, runDemo } from '../../../examples/demo/src/demo.ts';
import { natsServerInstalled } from './support/nats-server.ts';
import { postgresInstalled } from './support/postgres-server.ts';
import { TestSkein } from './support/skein.ts';

/**
 * The demo in CI's short mode: the shop runs in both modes at once for a few seconds
 * against a `skein all` started here, and what Skein measured is asserted: ≥ 99%
 * complete with the kit, strictly (and clearly) lower without it.
 */
const skip =
  natsServerInstalled() && postgresInstalled()
    ? false
    : 'needs nats-server and postgresql (apt-get install nats-server postgresql)';
const skein = new TestSkein();

before(async () => {
  if (!skip) await skein.start(['--pipeline.traceBuffer.idleSeconds=5']);
});

after(async () => {
  if (!skip) await skein.stop();
});

test(
  'demo short mode: kit ≥ 99% complete, naive strictly lower',
  { skip, timeout: 300_000 },
  async () => {
    const figures = await runDemo({
      modes: ['naive', 'kit'],
      durationS: Number(process.env.DEMO_SECONDS ?? 8),
      rate: 5,
      otlp: skein.otlp,
      query: skein.query,
      sampling: skein.sampling,
      settleS: 3,
      log: () => {},
    });
    const table = formatFigures(figures);
    const naive = figures.find((f) => f.mode === 'naive')!;
    const kit = figures.find((f) => f.mode === 'kit')!;
    assert.equal(kit.failedCheckouts + naive.failedCheckouts, 0, table);
    assert.ok(kit.traces >= kit.checkouts, `every kit checkout is a trace in Skein\n${table}`);
    assert.ok(kit.rate >= 0.99, `kit completeness ≥ 99%\n${table}`);
    assert.ok(naive.rate < kit.rate - 0.2, `naive completeness is clearly lower\n${table}`);
    assert.ok((naive.breaks.async_break ?? 0) > 0, `naive breaks are async breaks\n${table}`);
  },
);
