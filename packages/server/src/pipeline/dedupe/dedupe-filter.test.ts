import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { DEFAULT_TENANT, SpanKind, StatusCode, type Span } from '../../model/span.ts';
import { hexId, makeSpan, testResource } from '../../storage/conformance/test-spans.ts';
import { DedupeFilter } from './dedupe-filter.ts';
import { DedupeMetrics } from './dedupe-metrics.ts';
import { FingerprintWindow } from './fingerprint-window.ts';
import { fingerprintSpan } from './span-fingerprint.ts';

const A = { ...testResource('svc-a'), tenant: DEFAULT_TENANT };
const B = { ...testResource('svc-b'), tenant: DEFAULT_TENANT };

function span(n: number, init: Partial<Parameters<typeof makeSpan>[0]> = {}): Span {
  return makeSpan({
    traceId: hexId(0xdd, Math.floor(n / 10), 32),
    spanId: hexId(0xdd, n, 16),
    resource: A,
    startTime: 1_700_000_000_000_000 + n,
    ...init,
  });
}

describe('DedupeFilter', () => {
  test('a batch without duplicates comes back as the same array', () => {
    const f = new DedupeFilter(100);
    const batch = [span(1), span(2), span(3)];
    assert.equal(f.filter(batch), batch);
    assert.equal(f.duplicates, 0);
  });

  test('a re-sent batch (new objects, same content) is dropped whole and counted', async () => {
    const registry = new Registry();
    const f = new DedupeFilter(100, new DedupeMetrics(registry));
    f.filter([span(1), span(2), span(3)]);
    assert.deepEqual(f.filter([span(1), span(2), span(3)]), []);
    const mixed = f.filter([span(2), span(4), span(3), span(5)]);
    assert.deepEqual(
      mixed.map((s) => s.spanId),
      [span(4).spanId, span(5).spanId],
    );
    assert.equal(f.duplicates, 5);
    const metric = await registry.getSingleMetricAsString('skein_spans_deduplicated_total');
    assert.match(metric, /skein_spans_deduplicated_total 5$/m);
  });

  test('a span repeated within one batch passes once, in order', () => {
    const f = new DedupeFilter(100);
    const out = f.filter([span(1), span(2), span(1), span(3), span(2)]);
    assert.deepEqual(
      out.map((s) => s.spanId),
      [1, 2, 3].map((n) => span(n).spanId),
    );
  });

  test("Zipkin's shared client/server spans (same span id, other kind and service) both pass", () => {
    const f = new DedupeFilter(100);
    const client = span(7, { kind: SpanKind.Client, parentSpanId: hexId(0xdd, 6, 16) });
    const server = span(7, {
      kind: SpanKind.Server,
      resource: B,
      parentSpanId: hexId(0xdd, 6, 16),
    });
    assert.equal(f.filter([client, server]).length, 2);
    assert.equal(f.filter([client, server]).length, 0);
  });

  test('the same ids with other content are not duplicates', () => {
    const f = new DedupeFilter(100);
    f.filter([span(1)]);
    const variants = [
      span(1, { name: 'other' }),
      span(1, { kind: SpanKind.Server }),
      span(1, { resource: B }),
      span(1, { parentSpanId: hexId(0xdd, 99, 16) }),
      span(1, { startTime: 1_700_000_000_000_000 + 2 }),
      span(1, { duration: 999 }),
      span(1, { statusCode: StatusCode.Error }),
      span(1, { traceId: hexId(0xde, 0, 32) }),
      span(1, { resource: { ...A, tenant: 'acme' } }),
    ];
    assert.equal(f.filter(variants).length, variants.length);
  });

  test('the same span sent by two tenants is kept for each; each re-send is dropped', () => {
    const f = new DedupeFilter(100);
    const acme = { ...A, tenant: 'acme' };
    const globex = { ...A, tenant: 'globex' };
    const batch = [span(1, { resource: acme }), span(1, { resource: globex }), span(1)];
    assert.equal(f.filter(batch).length, 3);
    const again = f.filter([span(1, { resource: globex }), span(1, { resource: acme }), span(1)]);
    assert.deepEqual(again, []);
    assert.equal(f.filter([span(1, { resource: { ...A, tenant: 'initech' } })]).length, 1);
  });

  test('the window is bounded: a re-send after windowSpans other spans passes again', () => {
    const f = new DedupeFilter(3);
    f.filter([span(1), span(2), span(3)]);
    assert.equal(f.filter([span(1)]).length, 0);
    f.filter([span(4)]); // forgets span 1
    assert.equal(f.remembered, 3);
    assert.equal(f.filter([span(1)]).length, 1);
    assert.equal(f.filter([span(3)]).length, 0);
  });
});

describe('fingerprintSpan', () => {
  test('is stable, never 0/0, and differs for 200,000 distinct spans', () => {
    const fp = { hi: 0, lo: 0 };
    const seen = new Set<bigint>();
    for (let n = 0; n < 200_000; n++) {
      fingerprintSpan(span(n), fp);
      assert.ok(fp.hi !== 0 || fp.lo !== 0);
      seen.add((BigInt(fp.hi) << 32n) | BigInt(fp.lo));
    }
    assert.equal(seen.size, 200_000);
    const a = fingerprintSpan(span(5), { hi: 0, lo: 0 });
    const b = fingerprintSpan(span(5), { hi: 0, lo: 0 });
    assert.deepEqual(a, b);
  });
});

describe('FingerprintWindow', () => {
  test('agrees with a reference FIFO set through many evictions', () => {
    const size = 257;
    const w = new FingerprintWindow(size);
    const ref: bigint[] = [];
    const refSet = new Set<bigint>();
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 50_000; i++) {
      // A small key space so keys repeat and probe chains collide.
      const hi = rand() % 7;
      const lo = (rand() % 600) + 1;
      const key = (BigInt(hi) << 32n) | BigInt(lo);
      const added = w.add(hi, lo);
      assert.equal(added, !refSet.has(key), `step ${i}`);
      if (added) {
        ref.push(key);
        refSet.add(key);
        if (ref.length > size) refSet.delete(ref.shift()!);
      }
      assert.equal(w.count, refSet.size);
    }
    for (const key of refSet) assert.ok(w.has(Number(key >> 32n), Number(key & 0xffffffffn)));
  });

  test('the default window of 1,000,000 spans takes under 25 MB', () => {
    assert.ok(FingerprintWindow.bytesFor(1_000_000) < 25 * 1024 * 1024);
  });
});
