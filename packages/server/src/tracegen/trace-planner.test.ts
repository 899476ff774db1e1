import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BreakSpec } from './break-spec.ts';
import { createRandom, planTrace, type PlannedSpan } from './trace-plan.ts';
import { TracePlanner } from './trace-planner.ts';
import { TruthTally } from './truth-tally.ts';

function isCallee(spans: PlannedSpan[], s: PlannedSpan, caller: string, callee: string): boolean {
  if (s.parent < 0 || s.service !== callee) return false;
  const c = spans[s.parent];
  return (
    c.service === caller &&
    ((c.kind === 'client' && s.kind === 'server') ||
      (c.kind === 'producer' && s.kind === 'consumer'))
  );
}

function within(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${(actual * 100).toFixed(2)}% is not within ±${tolerance * 100}pp of ${expected * 100}%`,
  );
}

const MIXED: BreakSpec[] = [
  { cause: 'split', caller: 'frontend', callee: 'catalog', rate: 0.05 },
  { cause: 'async', caller: 'checkout', callee: 'shipping', rate: 0.1 },
  { cause: 'unanswered', caller: 'frontend', callee: 'recommendations', rate: 0.03 },
  { cause: 'orphan', caller: 'frontend', callee: 'cart', rate: 0.02 },
  { cause: 'late', caller: '*', callee: '*', rate: 0.01 },
];

describe('TracePlanner', () => {
  test('without breaks it plans exactly what planTrace plans, and the truth is 100% complete', () => {
    const planner = new TracePlanner({ seed: 7 });
    const random = createRandom(7);
    const tally = new TruthTally();
    for (let i = 0; i < 2000; i++) {
      const plan = planner.next();
      assert.deepEqual(plan.spans, planTrace(random));
      tally.add(plan.truth);
    }
    const rates = tally.rates();
    assert.equal(rates.traces, 2000);
    assert.equal(rates.completeness, 1);
    assert.deepEqual(rates.breaks, []);
    assert.ok(
      rates.edges.length >= 7,
      `edges: ${rates.edges.map((e) => e.caller + '>' + e.callee)}`,
    );
    for (const e of rates.edges) {
      assert.ok(e.calls > 0);
      assert.equal(e.answered, e.calls, `${e.caller}>${e.callee}`);
    }
    for (const r of rates.roots) assert.equal(r.complete, r.traces);
    for (const s of rates.services) assert.equal(s.spansInComplete, s.spans);
  });

  test('the same seed and rules give the same plans and truths; another seed does not', () => {
    const a = new TracePlanner({ seed: 5, breaks: MIXED, skewMs: { catalog: 3 } });
    const b = new TracePlanner({ seed: 5, breaks: MIXED, skewMs: { catalog: 3 } });
    const c = new TracePlanner({ seed: 6, breaks: MIXED, skewMs: { catalog: 3 } });
    let differs = false;
    for (let i = 0; i < 500; i++) {
      const pa = a.next();
      assert.deepEqual(pa, b.next());
      if (JSON.stringify(pa) !== JSON.stringify(c.next())) differs = true;
    }
    assert.ok(differs);
  });

  test('over 10k traces each rule hits its rate within 1pp, and the truth agrees with the plans', () => {
    const planner = new TracePlanner({ seed: 42, breaks: MIXED });
    const tally = new TruthTally();
    const eligible = { split: 0, async: 0, unanswered: 0, orphan: 0, late: 0 };
    const injected = { split: 0, async: 0, unanswered: 0, orphan: 0, late: 0 };
    for (let i = 0; i < 10_000; i++) {
      const { spans, truth } = planner.next();
      tally.add(truth);
      const hasChildren = new Set(spans.map((s) => s.parent));
      spans.forEach((s, j) => {
        if (isCallee(spans, s, 'frontend', 'catalog')) {
          eligible.split++;
          if ((s.trace ?? 0) !== (spans[s.parent].trace ?? 0)) injected.split++;
        }
        if (isCallee(spans, s, 'checkout', 'shipping') && spans[s.parent].dropped !== true) {
          eligible.async++;
          if ((s.trace ?? 0) !== (spans[s.parent].trace ?? 0)) injected.async++;
        }
        if (isCallee(spans, s, 'frontend', 'recommendations')) {
          eligible.unanswered++;
          if (s.dropped === true) injected.unanswered++;
        }
        if (isCallee(spans, s, 'frontend', 'cart')) {
          eligible.orphan++;
          if (spans[s.parent].dropped === true) injected.orphan++;
        }
        if (
          s.dropped !== true &&
          !hasChildren.has(j) &&
          (s.kind === 'internal' || s.kind === 'client')
        ) {
          eligible.late++;
          if (s.late === true) injected.late++;
        }
      });
    }
    const rates = tally.rates();
    for (const spec of MIXED) {
      const n = eligible[spec.cause];
      // About 2300 to 3300 eligible calls per rule: ±1pp is two standard deviations or more.
      assert.ok(n > 2000, `${spec.cause}: ${n} eligible`);
      within(injected[spec.cause] / n, spec.rate, 0.01, spec.cause);
    }
    const count = (cause: string, service: string, peer: string) =>
      rates.breaks.find((b) => b.cause === cause && b.service === service && b.peer === peer)
        ?.count ?? 0;
    assert.equal(count('split_trace', 'frontend', 'catalog'), injected.split);
    assert.equal(count('fragment', 'catalog', 'frontend'), injected.split);
    assert.equal(count('async_break', 'checkout', 'shipping'), injected.async);
    assert.equal(count('fragment', 'shipping', 'checkout'), injected.async);
    assert.equal(count('unanswered_call', 'frontend', 'recommendations'), injected.unanswered);
    assert.equal(count('orphan', 'cart', ''), injected.orphan);
    assert.equal(rates.causes.late_span, injected.late);
    assert.equal(
      rates.breaks.length,
      6 + new Set(rates.breaks.filter((b) => b.cause === 'late_span').map((b) => b.service)).size,
    );

    const edge = (caller: string, callee: string) => {
      const e = rates.edges.find((x) => x.caller === caller && x.callee === callee);
      assert.ok(e !== undefined, `${caller}>${callee}`);
      return e;
    };
    within(edge('frontend', 'catalog').answeredShare, 0.95, 0.01, 'frontend>catalog answered');
    within(edge('checkout', 'shipping').answeredShare, 0.9, 0.01, 'checkout>shipping answered');
    within(edge('frontend', 'recommendations').answeredShare, 0.97, 0.01, 'recommendations');
    // An orphaned call has no client span, so it is not judged: the rest are answered.
    assert.equal(edge('frontend', 'cart').answered, edge('frontend', 'cart').calls);
    assert.equal(edge('frontend', 'cart').calls, eligible.orphan - injected.orphan);
    assert.equal(edge('frontend', 'ads').answered, edge('frontend', 'ads').calls);

    // Fragments are traces of the callee root service, never complete.
    const catalogRoot = rates.roots.find((r) => r.service === 'catalog');
    assert.deepEqual(catalogRoot, {
      service: 'catalog',
      traces: injected.split,
      complete: 0,
      completeness: 0,
    });
    const frontend = rates.roots.find((r) => r.service === 'frontend');
    assert.ok(frontend !== undefined);
    assert.equal(frontend.traces, 10_000);
    const brokenMain = injected.split + injected.async + injected.unanswered + injected.orphan;
    // A trace can carry two breaks, so the incomplete main traces are at most the breaks.
    assert.ok(frontend.traces - frontend.complete <= brokenMain);
    assert.ok(frontend.traces - frontend.complete >= brokenMain * 0.95);
    assert.equal(rates.traces, 10_000 + injected.split + injected.async);
  });

  test("every fragment's root starts within its caller's span window and has no parent in its trace", () => {
    const planner = new TracePlanner({
      seed: 9,
      breaks: [
        { cause: 'split', caller: '*', callee: '*', rate: 0.2 },
        { cause: 'async', caller: '*', callee: '*', rate: 0.5 },
      ],
    });
    let fragments = 0;
    for (let i = 0; i < 3000; i++) {
      const { spans, truth } = planner.next();
      spans.forEach((s) => {
        const t = s.trace ?? 0;
        if (s.parent < 0) return;
        const c = spans[s.parent];
        if ((c.trace ?? 0) === t) return;
        fragments++;
        assert.ok(t > 0 && t > (c.trace ?? 0), 'fragments are numbered after their caller');
        assert.ok(truth.traces[t].rootService === s.service && !truth.traces[t].complete);
        assert.ok(s.start >= c.start, `${s.name} starts before its caller`);
        // A queue's consumer may start after the producer span ended (up to the queue latency).
        const slack = c.kind === 'producer' ? 1000 : 0;
        assert.ok(
          s.start <= c.start + c.duration + slack,
          `${s.name} starts ${s.start - c.start - c.duration}µs after ${c.name} ended`,
        );
      });
      // Each fragment has exactly one span whose parent is outside it: its root.
      for (let t = 1; t < truth.traces.length; t++) {
        const roots = spans.filter(
          (s) => (s.trace ?? 0) === t && (s.parent < 0 || (spans[s.parent].trace ?? 0) !== t),
        );
        assert.equal(roots.length, 1);
      }
    }
    assert.ok(fragments > 500, `${fragments} fragments`);
  });

  test('an orphan leaves the callee pointing at a span that is not sent; unanswered sends no callee subtree', () => {
    const planner = new TracePlanner({
      seed: 11,
      breaks: [
        { cause: 'orphan', caller: 'frontend', callee: 'checkout', rate: 0.5 },
        { cause: 'unanswered', caller: 'frontend', callee: 'checkout', rate: 0.5 },
      ],
    });
    let orphans = 0;
    let unanswered = 0;
    for (let i = 0; i < 1000; i++) {
      const { spans, truth } = planner.next();
      const callee = spans.findIndex((s) => isCallee(spans, s, 'frontend', 'checkout'));
      if (callee < 0) continue;
      const s = spans[callee];
      const client = spans[s.parent];
      if (client.dropped === true) {
        orphans++;
        assert.notEqual(s.dropped, true);
        assert.equal(
          spans.filter((x) => x.parent === s.parent).length,
          1,
          'only the callee hung from it',
        );
        assert.deepEqual(
          truth.breaks.map((b) => `${b.cause}:${b.service}:${b.peer}`),
          ['orphan:checkout:'],
        );
        assert.ok(!truth.calls.some((c) => c.caller === 'frontend' && c.callee === 'checkout'));
        assert.ok(truth.calls.some((c) => c.caller === 'checkout' && c.answered));
      } else {
        unanswered++;
        assert.equal(s.dropped, true);
        for (let j = callee + 1; j < spans.length; j++) {
          let k = j;
          while (k > callee) k = spans[k].parent;
          if (k === callee) assert.equal(spans[j].dropped, true, `${spans[j].name} is sent`);
        }
        assert.deepEqual(
          truth.breaks.map((b) => `${b.cause}:${b.service}:${b.peer}`),
          ['unanswered_call:frontend:checkout'],
        );
        assert.ok(
          !truth.calls.some((c) => c.caller === 'checkout'),
          'no call from a dropped subtree',
        );
        assert.deepEqual(
          truth.calls.filter((c) => c.callee === 'checkout'),
          [{ caller: 'frontend', callee: 'checkout', answered: false }],
        );
      }
      assert.equal(truth.traces.length, 1);
      assert.equal(truth.traces[0].complete, false);
    }
    assert.ok(orphans > 100 && unanswered > 100, `${orphans} orphans, ${unanswered} unanswered`);
  });

  test('late spans are leaves that answer no call, and leave their trace complete', () => {
    const planner = new TracePlanner({
      seed: 3,
      breaks: [{ cause: 'late', caller: '*', callee: '*', rate: 0.3 }],
    });
    const tally = new TruthTally();
    for (let i = 0; i < 500; i++) {
      const { spans, truth } = planner.next();
      tally.add(truth);
      spans.forEach((s, j) => {
        if (s.late !== true) return;
        assert.ok(!spans.some((x) => x.parent === j), `${s.name} has children`);
        assert.ok(s.kind === 'internal' || s.kind === 'client');
      });
    }
    const rates = tally.rates();
    assert.equal(rates.completeness, 1);
    assert.ok((rates.causes.late_span ?? 0) > 300);
  });

  test('skew shifts every span of the skewed service and nothing else', () => {
    const plain = new TracePlanner({ seed: 4 });
    const skewed = new TracePlanner({ seed: 4, skewMs: { catalog: 5, shipping: -5 } });
    let shifted = 0;
    for (let i = 0; i < 300; i++) {
      const a = plain.next().spans;
      const b = skewed.next().spans;
      a.forEach((s, j) => {
        const expected = s.service === 'catalog' ? 5000 : s.service === 'shipping' ? -5000 : 0;
        assert.equal(b[j].start - s.start, expected);
        if (expected !== 0) shifted++;
      });
    }
    assert.ok(shifted > 100);
  });
});
