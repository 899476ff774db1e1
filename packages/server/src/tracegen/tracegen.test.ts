import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { runTracegen } from './tracegen.ts';

/** One span as an OTLP/JSON receiver sees it, with when it arrived. */
interface Received {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  arrivedMs: number;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string;
      }[];
    }[];
  }[];
}

/** A plain OTLP/HTTP JSON endpoint on a real socket that keeps what it is sent. */
function startReceiver(spans: Received[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrivedMs = Date.now();
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const doc = JSON.parse(body.toString('utf8')) as OtlpJson;
      for (const rs of doc.resourceSpans ?? []) {
        const service =
          rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              startNs: BigInt(s.startTimeUnixNano),
              arrivedMs,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const SERVER = 2;
const CLIENT = 3;

describe('runTracegen with break injection, against a real OTLP/JSON endpoint', () => {
  const spans: Received[] = [];
  let server: Server;
  let endpoint: string;
  before(async () => {
    server = await startReceiver(spans);
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('fragments, orphans, unanswered calls, late spans and skew arrive as the truth says', async () => {
    spans.length = 0;
    const lateDelayMs = 400;
    const result = await runTracegen({
      endpoint,
      protocol: 'http/json',
      rate: 2000,
      count: 400,
      durationSeconds: 0,
      seed: 21,
      lateDelayMs,
      skewMs: { payments: 5 },
      breaks: [
        { cause: 'split', caller: 'frontend', callee: 'catalog', rate: 0.3 },
        { cause: 'async', caller: 'checkout', callee: 'shipping', rate: 0.5 },
        { cause: 'unanswered', caller: 'frontend', callee: 'search', rate: 0.3 },
        { cause: 'orphan', caller: 'frontend', callee: 'cart', rate: 0.3 },
        { cause: 'late', caller: '*', callee: '*', rate: 0.05 },
      ],
    });
    assert.equal(result.failedSpans, 0, result.lastError);
    assert.equal(spans.length, result.spans);
    assert.equal(result.exportedSpans, result.spans);
    assert.equal(result.heldLateSpans, 0);
    assert.equal(result.truncated, false);

    const byTrace = new Map<string, Received[]>();
    for (const s of spans) {
      const list = byTrace.get(s.traceId) ?? [];
      list.push(s);
      byTrace.set(s.traceId, list);
    }
    const rates = result.truth.rates();
    assert.equal(byTrace.size, rates.traces, 'one trace id per emitted trace');
    assert.equal(rates.roots.find((r) => r.service === 'frontend')?.traces, 400);

    // Splits: the client span stays in its trace, the callee side is the root of another.
    const splitsBy = (cause: string) => result.splits.filter((s) => s.cause === cause);
    assert.ok(splitsBy('split_trace').length > 20 && splitsBy('async_break').length > 20);
    for (const split of result.splits) {
      assert.notEqual(split.traceId, split.fragmentTraceId);
      const client = byTrace.get(split.traceId)?.find((s) => s.spanId === split.clientSpanId);
      assert.ok(client !== undefined && client.service === split.caller);
      const fragment = byTrace.get(split.fragmentTraceId) ?? [];
      const root = fragment.find((s) => s.spanId === split.fragmentRootSpanId);
      assert.ok(root !== undefined, 'fragment root sent');
      assert.equal(root.parentSpanId, '');
      assert.equal(root.service, split.callee);
      assert.equal(fragment.filter((s) => s.parentSpanId === '').length, 1);
      assert.ok(root.startNs >= client.startNs, 'the fragment starts after the call');
    }
    const count = (cause: string) => result.injected.filter((b) => b.cause === cause).length;
    assert.equal(count('fragment'), result.splits.length);
    assert.equal(rates.causes.split_trace, splitsBy('split_trace').length);

    // Orphans: the cart span's parent is a span that was never sent.
    assert.ok(count('orphan') > 20);
    for (const b of result.injected.filter((x) => x.cause === 'orphan')) {
      const trace = byTrace.get(b.traceId) ?? [];
      const ids = new Set(trace.map((s) => s.spanId));
      const orphans = trace.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId));
      assert.deepEqual(
        orphans.map((s) => `${s.service} ${s.kind}`),
        [`cart ${SERVER}`],
      );
    }

    // Unanswered: the frontend's call to search has no search span in the trace.
    assert.ok(count('unanswered_call') > 20);
    for (const b of result.injected.filter((x) => x.cause === 'unanswered_call')) {
      const trace = byTrace.get(b.traceId) ?? [];
      assert.ok(
        trace.some((s) => s.service === 'frontend' && s.kind === CLIENT && s.name === 'GET /query'),
      );
      assert.ok(!trace.some((s) => s.service === 'search'));
    }

    // Late spans arrive at least lateDelayMs after everything else of their trace.
    const lates = result.injected.filter((b) => b.cause === 'late_span');
    assert.ok(lates.length > 20, `${lates.length} late spans`);
    for (const traceId of new Set(lates.map((b) => b.traceId))) {
      const trace = byTrace.get(traceId) ?? [];
      const arrivals = [...new Set(trace.map((s) => s.arrivedMs))].sort((a, b) => a - b);
      assert.ok(arrivals.length >= 2, 'late spans come in a later request');
      const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
      assert.ok(
        Math.max(...gaps) >= lateDelayMs - 5,
        `trace ${traceId}: arrivals ${arrivals.map((t) => t - arrivals[0]).join(',')} ms`,
      );
    }

    // Skew: payments' spans start 5 ms (plus the network time) after checkout's call.
    let skewed = 0;
    for (const trace of byTrace.values()) {
      const ids = new Map(trace.map((s) => [s.spanId, s]));
      for (const s of trace) {
        if (s.service !== 'payments' || s.kind !== SERVER) continue;
        const client = ids.get(s.parentSpanId);
        assert.ok(client !== undefined);
        const gapUs = Number(s.startNs - client.startNs) / 1000;
        assert.ok(gapUs >= 5200 && gapUs <= 6000, `payments starts ${gapUs}µs after its caller`);
        skewed++;
      }
    }
    assert.ok(skewed > 20);
  });

  test('without breaks every call is answered in its own trace and nothing is held', async () => {
    spans.length = 0;
    const result = await runTracegen({
      endpoint,
      protocol: 'http/json',
      rate: 2000,
      count: 200,
      durationSeconds: 0,
      seed: 2,
    });
    assert.equal(spans.length, result.spans);
    const rates = result.truth.rates();
    assert.equal(rates.completeness, 1);
    assert.deepEqual(result.injected, []);
    assert.deepEqual(result.splits, []);
    const traceIds = new Set(spans.map((s) => s.traceId));
    assert.equal(traceIds.size, 200);
    const ids = new Set(spans.map((s) => s.spanId));
    assert.equal(spans.filter((s) => s.parentSpanId === '').length, 200);
    assert.ok(spans.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId)));
  });
});
