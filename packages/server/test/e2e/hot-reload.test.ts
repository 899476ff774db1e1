import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

const CONFIG = (key: string) => `pipeline:
  processors:
    redaction:
      rules:
        - keys: ["${key}"]
          action: drop
`;

let seq = 0;

describe('hot reload of the processor chain in a running skein', () => {
  let skein: SkeinProcess;
  let dir: string;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-reload-e2e-'));
    file = join(dir, 'skein.yaml');
    writeFileSync(file, CONFIG('first.secret'));
    skein = await startSkein('all', ['--config', file, '--storage.duckdb.path=:memory:']);
  });
  after(async () => {
    await skein.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends one span carrying first.secret and second.secret; returns the attributes stored for it. */
  async function roundTrip(): Promise<Record<string, unknown>> {
    const traceId = (++seq).toString(16).padStart(32, 'a');
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'reload-test' } }],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: '00000000000000a1',
                  name: 'op',
                  kind: 2,
                  startTimeUnixNano: String(now),
                  endTimeUnixNano: String(now + 1_000_000n),
                  attributes: [
                    { key: 'first.secret', value: { stringValue: 'one' } },
                    { key: 'second.secret', value: { stringValue: 'two' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${skein.urls.get('otlp-http')}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return eventually(async () => {
      const r = await fetch(`${skein.urls.get('query')}/api/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const json = (await r.json()) as {
        data: { spans: { tags: { key: string; value: unknown }[] }[] }[];
      };
      return Object.fromEntries(json.data[0].spans[0].tags.map((t) => [t.key, t.value]));
    }, `trace ${traceId} to be stored`);
  }

  async function reloads(result: string): Promise<number> {
    const text = await (
      await fetch(skein.urls.get('admin')!.replace(/\/metrics$/, '') + '/metrics')
    ).text();
    const m = new RegExp(`^skein_config_reloads_total\\{result="${result}"\\} (\\d+)`, 'm').exec(
      text,
    );
    return m ? Number(m[1]) : 0;
  }

  test('SIGHUP applies new redaction rules; a bad file is refused and the rules in force stay', async () => {
    const before = await roundTrip();
    assert.equal(before['first.secret'], undefined, 'dropped by the rules skein started with');
    assert.equal(before['second.secret'], 'two');

    writeFileSync(file, CONFIG('second.secret'));
    skein.child.kill('SIGHUP');
    await eventually(
      async () => ((await reloads('applied')) >= 1 ? true : undefined),
      'the reload',
    );
    const afterReload = await roundTrip();
    assert.equal(afterReload['first.secret'], 'one');
    assert.equal(afterReload['second.secret'], undefined, 'dropped by the reloaded rules');

    writeFileSync(
      file,
      'pipeline:\n  processors:\n    redaction:\n      rules: [{ keys: ["x"], action: explode }]\n',
    );
    skein.child.kill('SIGHUP');
    await eventually(
      async () => ((await reloads('refused')) >= 1 ? true : undefined),
      'the refusal',
    );
    // The counter can be scraped before the log line has come through the pipe.
    await eventually(
      async () =>
        skein.output.some((l) => /configuration reload refused: .*rules\[0\]\.action/.test(l))
          ? true
          : undefined,
      'the log line saying which key was wrong',
    );
    const stillSecond = await roundTrip();
    assert.equal(stillSecond['second.secret'], undefined, 'the previous rules still apply');
    assert.equal(stillSecond['first.secret'], 'one');
    assert.equal(skein.child.exitCode, null, 'skein is still running');
  });
});
