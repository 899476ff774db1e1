import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  getSamplingStrategy,
  samplingManagerClient,
} from '../../src/sampling/test-support/sampling-manager-client.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/*
 * `skein all` with a strategies file: the sampling ports are in the banner and
 * ready, the Jaeger collector gRPC port answers GetSamplingStrategy too, and the
 * query port explains what each service gets.
 */

describe('skein all serves sampling strategies', () => {
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
  });

  test('HTTP and gRPC sampling ports, the collector gRPC port, and /api/sampling/strategies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-e2e-sampling-'));
    const file = join(dir, 'strategies.json');
    writeFileSync(
      file,
      JSON.stringify({
        default_strategy: { type: 'probabilistic', param: 0.05 },
        service_strategies: [{ service: 'checkout', type: 'ratelimiting', param: 20 }],
      }),
    );
    skein = await startSkein('all', [
      '--storage.duckdb.path=:memory:',
      `--sampling.strategiesFile=${file}`,
    ]);
    const { urls } = skein;
    for (const name of ['sampling-http', 'sampling-grpc', 'jaeger-grpc', 'admin', 'query']) {
      assert.ok(urls.has(name), `banner lists ${name}: ${skein.output.join('\n')}`);
    }

    const http = await fetch(`${urls.get('sampling-http')}/sampling?service=checkout`);
    assert.equal(http.status, 200);
    assert.deepEqual(await http.json(), {
      strategyType: 'RATE_LIMITING',
      rateLimitingSampling: { maxTracesPerSecond: 20 },
    });

    for (const port of ['sampling-grpc', 'jaeger-grpc']) {
      const client = samplingManagerClient(new URL(urls.get(port)!).host);
      try {
        const checkout = await getSamplingStrategy(client, 'checkout');
        assert.deepEqual(checkout.rateLimitingSampling, { maxTracesPerSecond: 20 }, port);
        const other = await getSamplingStrategy(client, 'anything-else');
        assert.deepEqual(other.probabilisticSampling, { samplingRate: 0.05 }, port);
      } finally {
        client.close();
      }
    }

    const ready = await fetch(`${new URL(urls.get('admin')!).origin}/ready`);
    assert.equal(ready.status, 200, await ready.text());

    const explained = await fetch(`${urls.get('query')}/api/sampling/strategies`);
    assert.equal(explained.status, 200);
    const body = (await explained.json()) as {
      data: { services: { service: string; origin: string; reason: string }[] };
    };
    assert.deepEqual(
      body.data.services.map((s) => [s.service, s.origin, s.reason]),
      [['checkout', 'file', `its own strategy in ${file}`]],
    );
  });
});
