import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { SkeinConfig } from '../config/config.ts';
import { loadConfig } from '../config/load-config.ts';
import { metricValue } from '../pipeline/test-support/metric-value.ts';
import { ConfigReloader, changedPaths } from './config-reloader.ts';

/** A config file in a fresh directory, and a reloader on it with one target that records what it applied. */
function setup(initial: string) {
  const dir = mkdtempSync(join(tmpdir(), 'skein-reload-'));
  const file = join(dir, 'skein.yaml');
  writeFileSync(file, initial);
  const load = () => loadConfig({ file, env: {} });
  const logs: Array<{ level: number; msg: string; reason?: string; settings?: string[] }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const registry = new Registry();
  const reloader = new ConfigReloader({ load, current: load(), file, logger, registry });
  const applied: SkeinConfig[] = [];
  reloader.add({
    name: 'processors',
    covers: ['pipeline.processors'],
    prepare: (next) => {
      if (next.pipeline.processors.redaction.hashKey === 'refuse-me')
        throw new Error('hashKey refused by the target');
      return () => void applied.push(next);
    },
  });
  return { file, reloader, applied, logs, registry };
}

/** Polls `check` until it holds or the deadline passes (file events arrive asynchronously). */
async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ConfigReloader', () => {
  test('applies a changed processor setting, and only reports settings that need a restart', async () => {
    const { file, reloader, applied, logs } = setup(
      'pipeline:\n  processors:\n    redaction: { hashKey: k1 }\n',
    );
    writeFileSync(
      file,
      'query: { port: 16999 }\npipeline:\n  processors:\n    redaction: { hashKey: k2 }\n',
    );
    assert.equal(await reloader.reload('test'), 'applied');
    assert.equal(applied.length, 1);
    assert.equal(applied[0].pipeline.processors.redaction.hashKey, 'k2');
    const warn = logs.find((l) => /apply only at restart/.test(l.msg));
    assert.deepEqual(warn?.settings, ['query.port']);
    assert.equal(
      await reloader.reload('again'),
      'unchanged',
      'the same file again applies nothing',
    );
    assert.equal(applied.length, 1);
  });

  test('refuses an invalid file or a target that says no, and keeps the running settings', async () => {
    const { file, reloader, applied, logs, registry } = setup('log: { level: info }\n');
    writeFileSync(file, 'pipeline:\n  processors:\n    redaction: { hashKey: [oops }\n');
    assert.equal(await reloader.reload('test'), 'refused');
    assert.match(
      logs.at(-1)?.msg ?? '',
      /configuration reload refused: .*not valid YAML.*running settings stay/s,
    );
    writeFileSync(file, 'pipeline:\n  processors:\n    redaction: { hashKey: refuse-me }\n');
    assert.equal(await reloader.reload('test'), 'refused');
    assert.match(logs.at(-1)?.msg ?? '', /hashKey refused by the target/);
    assert.equal(applied.length, 0);
    assert.equal(
      await metricValue(registry, 'skein_config_reloads_total', { result: 'refused' }),
      2,
    );
  });

  test('reloads when the file is saved, and on SIGHUP', async () => {
    const { file, reloader, applied, registry } = setup('log: { level: info }\n');
    reloader.start();
    try {
      writeFileSync(file, 'pipeline:\n  processors:\n    redaction: { hashKey: saved }\n');
      await eventually(() => applied.length === 1, 'the file change to be applied');
      assert.equal(applied[0].pipeline.processors.redaction.hashKey, 'saved');
      reloader.stop();
      // Stopped: a save is ignored; start again to test the signal alone.
      const reloads = () =>
        metricValue(registry, 'skein_config_reloads_total', { result: 'applied' });
      reloader.start();
      // Written while watching would also reload; write first, then signal, and expect the new value either way.
      writeFileSync(file, 'pipeline:\n  processors:\n    redaction: { hashKey: signalled }\n');
      process.kill(process.pid, 'SIGHUP');
      await eventually(
        async () => applied.at(-1)?.pipeline.processors.redaction.hashKey === 'signalled',
        'SIGHUP',
      );
      assert.ok((await reloads()) >= 2);
    } finally {
      reloader.stop();
    }
  });
});

test('a target that reads its own files is applied on every reload, even with no setting changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-reload-files-'));
  const file = join(dir, 'skein.yaml');
  writeFileSync(file, 'log: { level: info }\n');
  const load = () => loadConfig({ file, env: {} });
  const reloader = new ConfigReloader({
    load,
    current: load(),
    file,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
  let reread = 0;
  let other = 0;
  reloader.add({
    name: 'strategies',
    covers: ['sampling'],
    readsFiles: true,
    prepare: () => () => void reread++,
  });
  reloader.add({
    name: 'processors',
    covers: ['pipeline.processors'],
    prepare: () => () => void other++,
  });
  assert.equal(await reloader.reload('SIGHUP'), 'applied');
  assert.deepEqual([reread, other], [1, 0]);
});

test('changedPaths lists differing leaves, lists compared whole', () => {
  assert.deepEqual(
    changedPaths({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { b: 1, c: [1, 3] }, d: 'y' }),
    ['a.c', 'd'],
  );
});
