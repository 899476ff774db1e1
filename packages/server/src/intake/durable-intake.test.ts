import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { decodeSpanBatch } from '../codecs/span-batch/index.ts';
import { DEFAULT_TENANT, type Span } from '../model/span.ts';
import { makeTestSpans } from '../pipeline/test-support/test-spans.ts';
import { DurableIntake, type DurableIntakeOptions } from './durable-intake.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

const logger = pino({ level: 'silent' });

/** A batch of `tenant`'s on a resource of its own. */
function spansOf(tenant: string, count: number): Span[] {
  const spans = makeTestSpans(count);
  const resource = { ...spans[0].resource, tenant };
  for (const s of spans) s.resource = resource;
  return spans;
}

test('replay after an upgrade: records of the old span-batch version come back as the default tenant, new ones with theirs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skein-intake-tenant-'));
  const options = (): DurableIntakeOptions => ({
    dir,
    segmentBytes: 1 << 20,
    retryAfterSeconds: 1,
    logger,
    registry: new Registry(),
  });
  try {
    // What the previous version left: a batch written by the version-1 encoder, never committed.
    const old = await WriteAheadLog.open({ ...options() });
    const v1 = readFileSync(
      new URL('../../test/fixtures/span-batch/version-1.skb', import.meta.url),
    );
    assert.equal(v1[3], 1);
    await old.log.append(v1).durable;
    await old.log.close();
    // This version records a batch of tenant acme and one of the default tenant, then dies.
    const intake = await DurableIntake.open(options());
    const acme = intake.record(spansOf('acme', 2));
    assert.ok(acme.batch !== undefined, 'record hands back the span-batch it wrote');
    await acme.durable;
    await intake.record(spansOf(DEFAULT_TENANT, 1)).durable;
    await intake.close();

    const reopened = await DurableIntake.open(options());
    const replayed: Span[][] = [];
    const payloads: Uint8Array[] = [];
    await reopened.replay({
      whenRoom: () => Promise.resolve(),
      replay: (spans, _bytes, _seq, batch) => {
        replayed.push(spans);
        payloads.push(batch);
      },
    });
    await reopened.close();
    assert.deepEqual(
      replayed.map((batch) => batch.map((s) => s.resource.tenant)),
      [[DEFAULT_TENANT, DEFAULT_TENANT, DEFAULT_TENANT], ['acme', 'acme'], [DEFAULT_TENANT]],
    );
    assert.deepEqual(
      replayed[0].map((s) => s.name),
      ['op-0', 'op-1', 'op-2'],
    );
    // Each replayed batch comes with the payload its spans were decoded from.
    assert.deepEqual(Buffer.from(payloads[0]), v1);
    assert.deepEqual(Buffer.from(payloads[1]), Buffer.from(acme.batch!));
    assert.deepEqual(decodeSpanBatch(payloads[2]), replayed[2]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
