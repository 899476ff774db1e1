import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

const CONFIG = `pipeline:
  traceBuffer: { idleSeconds: 1 }
  processors:
    tailSampling:
      enabled: true
      policies:
        - { name: health, type: drop, policies: [{ name: health-route, type: stringAttribute, key: http.route, values: [/health] }] }
        - { name: errors, type: statusCode, statusCodes: [ERROR] }
        - { name: slow, type: latency, thresholdMs: 500 }
`;

let seq = 0;
const traceId = () => (++seq).toString(16).padStart(32, 'c');

interface SpanSpec {
  traceId: string;
  spanId: string;
  parent?: string;
  ms: number;
  error?: boolean;
  attributes?: Record<string, string>;
}

function otlp(spans: SpanSpec[]): object {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tail-e2e' } }] },
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parent ?? '',
              name: 'op',
              kind: 2,
              startTimeUnixNano: String(now),
              endTimeUnixNano: String(now + BigInt(s.ms) * 1_000_000n),
              status: s.error ? { code: 2 } : {},
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({
                key,
                value: { stringValue: v },
              })),
            })),
          },
        ],
      },
    ],
  };
}

describe('tail sampling in a running skein', () => {
  let skein: SkeinProcess;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-tail-'));
    writeFileSync(join(dir, 'skein.yaml'), CONFIG);
    skein = await startSkein('all', [
      '--config',
      join(dir, 'skein.yaml'),
      '--storage.duckdb.path=:memory:',
    ]);
  });
  after(async () => {
    await skein.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function send(spans: SpanSpec[]): Promise<void> {
    const res = await fetch(`${skein.urls.get('otlp-http')}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlp(spans)),
    });
    assert.equal(res.status, 200, await res.text());
  }

  async function spanCount(id: string): Promise<number> {
    const res = await fetch(`${skein.urls.get('query')}/api/traces/${id}`);
    if (res.status === 404) return 0;
    const body = (await res.json()) as { data: { spans: unknown[] }[] };
    return body.data[0].spans.length;
  }

  async function decided(decision: string): Promise<number> {
    const text = await (
      await fetch(skein.urls.get('admin')!.replace(/\/metrics$/, '') + '/metrics')
    ).text();
    let n = 0;
    for (const m of text.matchAll(
      new RegExp(`^skein_tail_sampling_traces_total\\{decision="${decision}"[^}]*\\} (\\d+)`, 'gm'),
    ))
      n += Number(m[1]);
    return n;
  }

  test('keeps whole traces the policies sample, drops the rest whole, and late spans follow the decision', async () => {
    const failed = traceId();
    const slow = traceId();
    const plain = traceId();
    const health = traceId();
    const debug = traceId();
    await send([
      { traceId: failed, spanId: 'a000000000000001', ms: 5 },
      {
        traceId: failed,
        spanId: 'a000000000000002',
        parent: 'a000000000000001',
        ms: 2,
        error: true,
      },
      { traceId: slow, spanId: 'b000000000000001', ms: 800 },
      { traceId: plain, spanId: 'c000000000000001', ms: 5 },
      { traceId: plain, spanId: 'c000000000000002', parent: 'c000000000000001', ms: 1 },
      {
        traceId: health,
        spanId: 'd000000000000001',
        ms: 900,
        error: true,
        attributes: { 'http.route': '/health' },
      },
      {
        traceId: debug,
        spanId: 'e000000000000001',
        ms: 1,
        attributes: { 'http.route': '/health', 'jaeger-debug-id': 'x1' },
      },
    ]);
    assert.equal(await spanCount(failed), 0, 'nothing is written before the decision');
    await eventually(
      async () => ((await decided('kept')) + (await decided('dropped')) >= 5 ? true : undefined),
      'the decisions',
    );
    assert.equal(await decided('kept'), 3);
    assert.equal(await decided('dropped'), 2);
    await eventually(
      async () => ((await spanCount(failed)) === 2 ? true : undefined),
      'the failed trace, whole',
    );
    assert.equal(await spanCount(slow), 1);
    assert.equal(await spanCount(debug), 1, 'a debug trace is kept over a drop policy');
    assert.equal(await spanCount(plain), 0, 'no policy sampled it');
    assert.equal(await spanCount(health), 0, 'the drop policy wins over error and latency');

    // Late spans follow the decision of their trace.
    await send([
      { traceId: failed, spanId: 'a000000000000003', parent: 'a000000000000001', ms: 1 },
      { traceId: plain, spanId: 'c000000000000003', parent: 'c000000000000001', ms: 1 },
    ]);
    await eventually(
      async () => ((await spanCount(failed)) === 3 ? true : undefined),
      'the late span of the kept trace',
    );
    const text = await (
      await fetch(skein.urls.get('admin')!.replace(/\/metrics$/, '') + '/metrics')
    ).text();
    assert.match(text, /^skein_tail_sampling_late_spans_total\{decision="dropped"\} 1$/m);
    assert.equal(await spanCount(plain), 0);
  });
});
