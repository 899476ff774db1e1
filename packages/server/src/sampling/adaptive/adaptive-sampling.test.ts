import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../config/config.ts';
import type { AdaptiveSamplingConfig } from '../../config/config.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import { AdaptiveSampling, LEASE_INTERVALS } from './adaptive-sampling.ts';
import { compileAdaptiveSection } from './adaptive-settings.ts';
import { appliedProbability, sampledRoots, seededRandom } from './test-support/traffic.ts';
import type { TrafficSource } from './test-support/traffic.ts';

const INTERVAL_S = 10;

function settings(over: Partial<AdaptiveSamplingConfig> = {}) {
  return compileAdaptiveSection({
    ...defaultConfig.sampling.adaptive,
    enabled: true,
    calculationIntervalSeconds: INTERVAL_S,
    ...over,
  });
}

/** A clock the test moves. */
function clock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

/** What the SDK of `source` applies now, served by `sampling`. */
function served(sampling: AdaptiveSampling, source: TrafficSource): number {
  const strategy = sampling.source.strategyFor(source.service)?.strategy;
  return appliedProbability(strategy, source.operation, sampling.settings.initialProbability);
}

describe('AdaptiveSampling', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test(
    'two services at 400 and 40 req/s: after 20 simulated 10 s intervals, sampled traces/s and the ' +
      'served probability average within ±15% of the targets over the next 20 (10% delta tolerance); ' +
      'a 5× rise is followed within one interval; a restart over the same DuckDB file resumes the ' +
      'stored probabilities (within ±20% over the next 10 intervals)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skein-adaptive-'));
      dirs.push(dir);
      const random = seededRandom(9);
      const time = clock();
      // A Jaeger client at 400 req/s (target 2/s) and an OTel SDK reporting `th` at
      // 40 req/s, whose service has an override of 5/s.
      const frontend: TrafficSource = {
        service: 'frontend',
        operation: 'GET /',
        rate: 400,
        reports: 'jaeger-tags',
      };
      const worker: TrafficSource = {
        service: 'worker',
        operation: 'process',
        rate: 40,
        reports: 'otel-th',
      };
      const config = settings({
        targetSamplesPerSecond: 2,
        deltaTolerance: 0.1,
        overrides: [{ service: 'worker', targetSamplesPerSecond: 5 }],
      });
      const targets = new Map([
        [frontend, 2],
        [worker, 5],
      ]);

      /** One interval of traffic through `sampling`, then its tick; sampled traces/s per source. */
      async function interval(sampling: AdaptiveSampling): Promise<Map<TrafficSource, number>> {
        const rates = new Map<TrafficSource, number>();
        for (const source of targets.keys()) {
          const spans = sampledRoots(source, INTERVAL_S, served(sampling, source), random);
          sampling.observe(spans);
          rates.set(source, spans.length / INTERVAL_S);
        }
        time.advance(INTERVAL_S);
        assert.equal(await sampling.tick(), 'calculated');
        return rates;
      }

      /** Sampled traces/s and the served probability per source, averaged over `n` intervals. */
      async function measure(sampling: AdaptiveSampling, n: number) {
        const rate = new Map<TrafficSource, number>();
        const p = new Map<TrafficSource, number>();
        for (let i = 0; i < n; i++) {
          for (const s of targets.keys()) p.set(s, (p.get(s) ?? 0) + served(sampling, s) / n);
          for (const [s, r] of await interval(sampling)) rate.set(s, (rate.get(s) ?? 0) + r / n);
        }
        return { rate, p };
      }

      /** Mean sampled rate and mean served probability within `margin` of what the targets ask. */
      function assertOnTarget(
        m: Awaited<ReturnType<typeof measure>>,
        margin: number,
        when: string,
      ) {
        for (const [source, target] of targets) {
          const rate = m.rate.get(source)!;
          const p = m.p.get(source)!;
          const wanted = target / source.rate;
          assert.ok(
            Math.abs(rate - target) / target <= margin,
            `${when}, ${source.service}: ${rate.toFixed(2)} sampled traces/s, target ${target}`,
          );
          assert.ok(
            Math.abs(p - wanted) / wanted <= margin,
            `${when}, ${source.service}: mean p=${p}, target/traffic=${wanted}`,
          );
        }
      }

      let storage = new DuckDbStorage({ path: dir });
      await storage.open();
      let sampling = new AdaptiveSampling({
        store: storage,
        settings: config,
        now: time.now,
        timer: false,
        holder: 'first',
      });
      await sampling.start();
      assert.equal(served(sampling, frontend), 0.001, 'starts at the initial probability');

      for (let i = 0; i < 20; i++) await interval(sampling);
      assertOnTarget(await measure(sampling, 20), 0.15, 'converged');

      // Frontend traffic rises 5×: after one interval the probability is cut to match.
      frontend.rate = 2000;
      await interval(sampling);
      const afterRise = served(sampling, frontend);
      assert.ok(
        Math.abs(afterRise - 2 / 2000) / (2 / 2000) <= 0.3,
        `one interval after the rise: p=${afterRise}, wanted ~${2 / 2000}`,
      );
      assertOnTarget(await measure(sampling, 20), 0.15, 'after the rise');

      // Restart: a new process over the same file serves the stored probabilities at once.
      const before = new Map([...targets.keys()].map((s) => [s, served(sampling, s)]));
      await sampling.stop();
      await storage.close();
      storage = new DuckDbStorage({ path: dir });
      await storage.open();
      sampling = new AdaptiveSampling({
        store: storage,
        settings: config,
        now: time.now,
        timer: false,
        holder: 'second',
      });
      await sampling.start();
      try {
        for (const [source, p] of before) {
          assert.equal(
            served(sampling, source),
            p,
            `${source.service} resumes from the stored probability`,
          );
          assert.notEqual(p, config.initialProbability);
        }
        // The first lease holder released the lease on stop: the new process computes at once,
        // and the very first intervals after the restart are already on target.
        assertOnTarget(await measure(sampling, 10), 0.2, 'after the restart');
      } finally {
        await sampling.stop();
        await storage.close();
      }
    },
  );

  test('two processes on one store: one computes from both halves of the traffic, the other follows; takeover on expiry and on release', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    const time = clock();
    const config = settings({ targetSamplesPerSecond: 5 });
    const a = new AdaptiveSampling({
      store: storage,
      settings: config,
      now: time.now,
      timer: false,
      holder: 'a',
    });
    const b = new AdaptiveSampling({
      store: storage,
      settings: config,
      now: time.now,
      timer: false,
      holder: 'b',
    });
    const random = seededRandom(3);
    // 200 req/s in total, half reaching each process: the target wants 5/200 = 0.025;
    // a holder that counted only its own half would serve 5/100 = 0.05.
    const half: TrafficSource = {
      service: 'api',
      operation: 'GET /items',
      rate: 100,
      reports: 'jaeger-tags',
    };
    const meanP = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
    try {
      await a.start();
      await b.start();
      // Each SDK instance applies what the process it talks to serves.
      const feed = (to: AdaptiveSampling) =>
        to.observe(sampledRoots(half, INTERVAL_S, served(to, half), random));

      const outcomes: string[] = [];
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        feed(a);
        feed(b);
        time.advance(INTERVAL_S);
        outcomes.push(await a.tick(), await b.tick());
        assert.equal(served(b, half), served(a, half), 'the follower serves what the holder wrote');
        if (i >= 10) seen.push(served(a, half));
      }
      assert.deepEqual(new Set(outcomes.filter((_, i) => i % 2 === 0)), new Set(['calculated']));
      assert.deepEqual(new Set(outcomes.filter((_, i) => i % 2 === 1)), new Set(['followed']));
      assert.ok(a.isLeader && !b.isLeader, 'a holds the lease');
      const both = meanP(seen);
      assert.ok(Math.abs(both - 0.025) / 0.025 <= 0.3, `mean p=${both}: computed from both halves`);

      // a stops ticking without releasing (a crash): b takes over once the lease expires.
      const bOutcomes: string[] = [];
      for (let i = 0; i < LEASE_INTERVALS + 1; i++) {
        feed(b);
        time.advance(INTERVAL_S);
        bOutcomes.push(await b.tick());
      }
      assert.deepEqual(
        bOutcomes.slice(0, LEASE_INTERVALS - 1),
        Array(LEASE_INTERVALS - 1).fill('followed'),
      );
      assert.equal(bOutcomes[bOutcomes.length - 1], 'calculated');
      assert.ok(b.isLeader, 'b took over');
      assert.notEqual(
        served(b, half),
        config.initialProbability,
        'b resumed from the stored state',
      );
      // b now sees only its half of the traffic (a's SDKs are gone), so it moves to 5/100.
      const alone: number[] = [];
      for (let i = 0; i < 15; i++) {
        feed(b);
        time.advance(INTERVAL_S);
        assert.equal(await b.tick(), 'calculated');
        if (i >= 5) alone.push(served(b, half));
      }
      assert.ok(
        Math.abs(meanP(alone) - 0.05) / 0.05 <= 0.3,
        `mean p=${meanP(alone)} with half the traffic`,
      );

      // a comes back: b holds the lease, a follows.
      time.advance(INTERVAL_S);
      assert.equal(await a.tick(), 'followed');
      assert.equal(served(a, half), served(b, half));

      // b stops cleanly and releases the lease: a takes over at its next tick.
      await b.stop();
      time.advance(INTERVAL_S);
      assert.equal(await a.tick(), 'calculated');
      assert.ok(a.isLeader, 'a took over');
    } finally {
      await a.stop();
      await b.stop();
      await storage.close();
    }
  });

  test('a failing store keeps the served strategies; metrics count intervals and roots', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    const time = clock();
    const registry = new Registry();
    const sampling = new AdaptiveSampling({
      store: storage,
      settings: settings(),
      now: time.now,
      timer: false,
      registry,
    });
    await sampling.start();
    const source: TrafficSource = {
      service: 's',
      operation: 'op',
      rate: 10_000,
      reports: 'jaeger-tags',
    };
    const roots = sampledRoots(source, INTERVAL_S, 0.001, seededRandom(1));
    sampling.observe(roots);
    time.advance(INTERVAL_S);
    assert.equal(await sampling.tick(), 'calculated');
    const strategy = sampling.source.strategyFor('s');
    assert.ok(strategy !== undefined, 'a strategy for s');
    assert.equal(strategy.origin, 'adaptive');
    assert.equal(await metricValue(registry, 'skein_adaptive_sampling_roots_total'), roots.length);
    assert.equal(await metricValue(registry, 'skein_adaptive_sampling_leader'), 1);
    assert.equal(await metricValue(registry, 'skein_adaptive_sampling_operations'), 1);

    await storage.close();
    time.advance(INTERVAL_S);
    assert.equal(await sampling.tick(), 'failed');
    assert.equal(sampling.source.strategyFor('s'), strategy, 'the same strategy is still served');
    assert.equal(
      await metricValue(registry, 'skein_adaptive_sampling_intervals_total', { result: 'failed' }),
      1,
    );
    assert.equal(
      await metricValue(registry, 'skein_adaptive_sampling_intervals_total', {
        result: 'calculated',
      }),
      1,
    );
    assert.equal(await metricValue(registry, 'skein_adaptive_sampling_leader'), 0);
    await sampling.stop();
  });

  test('served strategy shape: per-operation probabilities, initial default, lower bound; update applies new settings', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    const time = clock();
    const sampling = new AdaptiveSampling({
      store: storage,
      settings: settings({ initialProbability: 0.002, minSamplesPerSecond: 0.5 }),
      now: time.now,
      timer: false,
    });
    try {
      await sampling.start();
      const random = seededRandom(5);
      for (const operation of ['GET /b', 'GET /a']) {
        const source: TrafficSource = {
          service: 's',
          operation,
          rate: 5000,
          reports: 'jaeger-tags',
        };
        sampling.observe(sampledRoots(source, INTERVAL_S, 0.002, random));
      }
      time.advance(INTERVAL_S);
      await sampling.tick();
      const resolved = sampling.source.strategyFor('s');
      assert.ok(resolved !== undefined, 'a strategy for s');
      const { strategy } = resolved;
      assert.equal(strategy.strategyType, 'PROBABILISTIC');
      assert.deepEqual(strategy.probabilisticSampling, { samplingRate: 0.002 });
      assert.equal(strategy.operationSampling?.defaultSamplingProbability, 0.002);
      assert.equal(strategy.operationSampling?.defaultLowerBoundTracesPerSecond, 0.5);
      const ops = strategy.operationSampling?.perOperationStrategies ?? [];
      assert.deepEqual(
        ops.map((o) => o.operation),
        ['GET /a', 'GET /b'],
      );
      for (const o of ops) {
        // 5000 req/s, target 1/s → 0.0002 (a decrease is taken at once).
        const rate = o.probabilisticSampling.samplingRate;
        assert.ok(Math.abs(rate - 0.0002) / 0.0002 < 0.3, `${o.operation}: ${rate}`);
      }
      assert.deepEqual(sampling.source.services(), ['s']);
      assert.equal(
        sampling.source.strategyFor('other'),
        undefined,
        'unknown services fall through',
      );
      const rates = sampling.source.operationRates('s');
      assert.equal(rates.length, 2);
      assert.ok(
        Math.abs(rates[0].tracesPerSecond - 5000) / 5000 < 0.3,
        `${rates[0].tracesPerSecond}`,
      );
      assert.equal(rates[0].targetSamplesPerSecond, 1);

      sampling.update(
        settings({
          minProbability: 0.001,
          overrides: [{ service: 's', targetSamplesPerSecond: 3 }],
        }),
      );
      const after = sampling.source.strategyFor('s')!.strategy.operationSampling!;
      for (const o of after.perOperationStrategies)
        assert.equal(o.probabilisticSampling.samplingRate, 0.001);
      assert.equal(sampling.source.operationRates('s')[0].targetSamplesPerSecond, 3);
    } finally {
      await sampling.stop();
      await storage.close();
    }
  });

  test('two tenants with the same service and operation: each is computed from its own traffic, stored with its tenant and served its own strategy', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    const time = clock();
    const make = () =>
      new AdaptiveSampling({
        store: storage,
        settings: settings({ initialProbability: 0.002 }),
        now: time.now,
        timer: false,
      });
    const sampling = make();
    try {
      await sampling.start();
      const random = seededRandom(11);
      // The default tenant's 's GET /' gets 5000 req/s; acme's, 500 req/s (target 1/s).
      for (const [tenant, rate] of [
        ['', 5000],
        ['acme', 500],
      ] as const) {
        const source: TrafficSource = {
          service: 's',
          operation: 'GET /',
          rate,
          reports: 'jaeger-tags',
          tenant,
        };
        sampling.observe(sampledRoots(source, INTERVAL_S, 0.002, random));
      }
      time.advance(INTERVAL_S);
      assert.equal(await sampling.tick(), 'calculated');
      const rateOf = (tenant: string) =>
        appliedProbability(sampling.source.strategyFor('s', tenant)?.strategy, 'GET /', -1);
      const plain = rateOf('');
      const acme = rateOf('acme');
      assert.ok(Math.abs(plain - 1 / 5000) / (1 / 5000) < 0.3, `default tenant: ${plain}`);
      assert.ok(Math.abs(acme - 1 / 500) / (1 / 500) < 0.3, `acme: ${acme}`);
      assert.equal(sampling.source.strategyFor('s', 'globex'), undefined, 'globex saw nothing');
      assert.deepEqual(sampling.source.services('acme'), ['s']);
      assert.deepEqual(sampling.source.services('globex'), []);
      assert.equal(sampling.source.operationRates('s', 'acme').length, 1);

      // What was stored keeps the tenants apart: a restart serves the same.
      await sampling.stop();
      const restarted = make();
      await restarted.start();
      const again = (tenant: string) =>
        appliedProbability(restarted.source.strategyFor('s', tenant)?.strategy, 'GET /', -1);
      assert.equal(again(''), plain);
      assert.equal(again('acme'), acme);
      await restarted.stop();
    } finally {
      await sampling.stop();
      await storage.close();
    }
  });
});
