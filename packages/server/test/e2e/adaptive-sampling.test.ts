import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/** What the test uses of jaeger-client (a CommonJS devDependency without types). */
interface JaegerClient {
  initTracer(
    config: {
      serviceName: string;
      sampler: { type: string; param: number; hostPort: string; refreshIntervalMs: number };
      reporter: { collectorEndpoint: string; flushIntervalMs: number };
    },
    options: { logger: unknown },
  ): {
    startSpan(name: string): { finish(): void };
    close(callback?: () => void): void;
  };
}
const jaegerClient = createRequire(import.meta.url)('jaeger-client') as JaegerClient;
const quiet = { info: () => {}, error: () => {} };

/** Root spans per second the app makes, and the sampled traces per second Skein should aim for. */
const TRAFFIC = 400;
const TARGET = 4;

interface Strategy {
  operationSampling?: {
    perOperationStrategies: {
      operation: string;
      probabilisticSampling: { samplingRate: number };
    }[];
  };
}

describe('adaptive sampling in a running skein, with jaeger-client polling it', () => {
  let skein: SkeinProcess;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-adaptive-'));
    skein = await startSkein('all', [
      `--storage.duckdb.path=${dir}`,
      '--sampling.adaptive.enabled=true',
      `--sampling.adaptive.targetSamplesPerSecond=${TARGET}`,
      '--sampling.adaptive.calculationIntervalSeconds=1',
      '--sampling.adaptive.initialProbability=1',
    ]);
  });
  after(async () => {
    await skein.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`the served probability converges so that sampled roots approach ${TARGET}/s (±50%) within 25 s`, async () => {
    const samplingUrl = skein.urls.get('sampling-http')!;
    const tracer = jaegerClient.initTracer(
      {
        serviceName: 'adaptive-app',
        sampler: {
          type: 'remote',
          param: 1,
          hostPort: new URL(samplingUrl).host,
          refreshIntervalMs: 200,
        },
        reporter: {
          collectorEndpoint: `${skein.urls.get('jaeger-thrift-http')}/api/traces`,
          flushIntervalMs: 100,
        },
      },
      { logger: quiet },
    );
    // The app: TRAFFIC root spans per second, in ticks of 50 ms (a load generator, not a wait).
    const load = setInterval(() => {
      for (let i = 0; i < TRAFFIC / 20; i++) tracer.startSpan('GET /orders').finish();
    }, 50);
    try {
      const want = TARGET / TRAFFIC;
      const deadline = Date.now() + 25_000;
      let served = NaN;
      let stableSince = 0;
      for (;;) {
        const res = await fetch(`${samplingUrl}?service=adaptive-app`);
        const body = (await res.json()) as Strategy;
        const op = body.operationSampling?.perOperationStrategies.find(
          (o) => o.operation === 'GET /orders',
        );
        served = op?.probabilisticSampling.samplingRate ?? NaN;
        // Converged: within ±50% of target/traffic, twice in a row a second apart.
        if (served >= want * 0.5 && served <= want * 1.5) {
          if (stableSince === 0) stableSince = Date.now();
          else if (Date.now() - stableSince >= 1000) break;
        } else stableSince = 0;
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(
        served >= want * 0.5 && served <= want * 1.5,
        `served probability ${served} for ${TRAFFIC} roots/s, want about ${want} (${TARGET}/s)`,
      );
    } finally {
      clearInterval(load);
      await new Promise<void>((resolve) => tracer.close(() => resolve()));
    }
  });
});
