import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

const HEADERS_TIMEOUT_MS = 600;
const VALUE_LIMIT = 1024;
const ATTRIBUTE_LIMIT = 50;

interface SlowClient {
  /** ms from connecting until the server closed the connection. */
  elapsedMs: number;
  /** Everything the server wrote before closing. */
  answer: string;
}

/**
 * A slowloris client: starts a request and sends one more header byte every
 * 100 ms, never finishing the headers; resolves when the server closes the
 * connection (or gives up after `giveUpMs`, which fails the test's bound).
 */
function slowHeaders(url: string, giveUpMs: number): Promise<SlowClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    let drip: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write('POST /v1/traces HTTP/1.1\r\nHost: skein\r\nX-Slow: ');
      drip = setInterval(() => {
        if (!socket.destroyed) socket.write('a');
      }, 100);
    });
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ elapsedMs: Date.now() - started, answer });
    });
  });
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('input limits on a real skein all', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-limits-'));
  let skein: SkeinProcess;
  before(async () => {
    skein = await startSkein('all', [
      `--storage.duckdb.path=${dir}`,
      `--limits.http.headersTimeoutMs=${HEADERS_TIMEOUT_MS}`,
      '--limits.http.requestTimeoutMs=5000',
      `--limits.span.maxAttributeValueLength=${VALUE_LIMIT}`,
      `--limits.span.maxAttributesPerSpan=${ATTRIBUTE_LIMIT}`,
    ]);
  });
  after(async () => {
    await skein?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a client dripping its headers is cut at limits.http.headersTimeoutMs on every HTTP port', async () => {
    for (const name of ['otlp-http', 'zipkin', 'jaeger-thrift-http', 'query', 'admin']) {
      const url = skein.urls.get(name);
      assert.ok(url, `banner lists ${name}: ${[...skein.urls.keys()].join(', ')}`);
      const client = await slowHeaders(url, 10_000);
      assert.ok(
        client.elapsedMs >= HEADERS_TIMEOUT_MS - 50,
        `${name}: cut after ${client.elapsedMs} ms, before the timeout`,
      );
      // The default check interval (30 s) would let it hang on far longer.
      assert.ok(
        client.elapsedMs < HEADERS_TIMEOUT_MS + 1500,
        `${name}: still connected ${client.elapsedMs} ms later`,
      );
      assert.match(client.answer, /^HTTP\/1\.1 408 /, `${name} answered ${client.answer}`);
    }
  });

  test('a span with a 2 MB attribute and 200 attributes is stored cut, marked and counted', async () => {
    const traceId = '7a1c0ffee0000000000000000000beef';
    const attributes = [
      { key: 'huge', value: { stringValue: 'x'.repeat(2 * 1024 * 1024) } },
      ...Array.from({ length: 199 }, (_, i) => ({ key: `a${i}`, value: { intValue: i } })),
    ];
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'limits' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: '00000000000000a1',
                  name: 'big',
                  kind: 2,
                  startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  endTimeUnixNano: String(BigInt(Date.now() + 5) * 1_000_000n),
                  attributes,
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
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), {});

    const query = skein.urls.get('query');
    const trace = await eventually(async () => {
      const { status, body } = await getJson(`${query}/api/traces/${traceId}`);
      return status === 200 && body.data?.[0]?.spans?.length === 1 ? body.data[0] : undefined;
    }, 'the cut span to be queryable');
    const tags = trace.spans[0].tags as { key: string; value: unknown }[];
    const huge = tags.find((t) => t.key === 'huge');
    assert.equal((huge?.value as string).length, VALUE_LIMIT);
    assert.deepEqual(
      tags.find((t) => t.key === 'skein.truncated')?.value,
      'attributes,value_length',
    );
    assert.equal(tags.filter((t) => /^a\d+$/.test(t.key)).length, ATTRIBUTE_LIMIT - 1);

    const metrics = await (await fetch(`${skein.urls.get('admin')}/metrics`)).text();
    for (const reason of ['attributes', 'value_length']) {
      assert.match(
        metrics,
        new RegExp(`skein_spans_truncated_total\\{protocol="otlp_http",reason="${reason}"\\} 1\\b`),
      );
    }
  });

  test('Zipkin: an all-zero trace id is answered 400 saying what to send', async () => {
    const res = await fetch(`${skein.urls.get('zipkin')}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          traceId: '0'.repeat(16),
          id: '00000000000000b1',
          name: 'zero',
          timestamp: Date.now() * 1000,
        },
      ]),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /all-zero traceId .*send random, non-zero ids/);
  });
});
