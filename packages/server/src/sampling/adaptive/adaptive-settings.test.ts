import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultConfig } from '../../config/config.ts';
import type { AdaptiveSamplingConfig, SkeinConfig } from '../../config/config.ts';
import { loadConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../errors.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import { adaptiveSamplingReloadTarget } from './adaptive-reload-target.ts';
import { AdaptiveSampling } from './adaptive-sampling.ts';
import { compileAdaptiveSettings, targetFor } from './adaptive-settings.ts';

function withAdaptive(over: Record<string, unknown>): SkeinConfig {
  const config = structuredClone(defaultConfig);
  config.sampling.adaptive = { ...config.sampling.adaptive, ...over } as AdaptiveSamplingConfig;
  return config;
}

describe('sampling.adaptive settings', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("defaults compile to Jaeger's adaptive defaults", () => {
    const s = compileAdaptiveSettings(defaultConfig);
    assert.equal(s.enabled, false);
    assert.equal(s.targetSamplesPerSecond, 1);
    assert.equal(s.deltaTolerance, 0.3);
    assert.equal(s.calculationIntervalMs, 60_000);
    assert.equal(s.initialProbability, 0.001);
    assert.equal(s.minProbability, 1e-5);
    assert.equal(s.overrides.size, 0);
  });

  test('overrides from YAML: operation beats service beats the global target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-adaptive-config-'));
    dirs.push(dir);
    const file = join(dir, 'skein.yaml');
    writeFileSync(
      file,
      [
        'sampling:',
        '  adaptive:',
        '    enabled: true',
        '    targetSamplesPerSecond: 2',
        '    overrides:',
        '      - { service: checkout, targetSamplesPerSecond: 5 }',
        "      - { service: checkout, operation: 'POST /pay', targetSamplesPerSecond: 20 }",
        '',
      ].join('\n'),
    );
    const s = compileAdaptiveSettings(loadConfig({ file }));
    assert.equal(s.enabled, true);
    assert.equal(targetFor(s, 'checkout', 'POST /pay'), 20);
    assert.equal(targetFor(s, 'checkout', 'GET /cart'), 5);
    assert.equal(targetFor(s, 'search', 'POST /pay'), 2);
  });

  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ enabled: 'yes' }, 'sampling.adaptive.enabled', /true or false/],
    [{ targetSamplesPerSecond: 0 }, 'sampling.adaptive.targetSamplesPerSecond', /positive/],
    [{ minProbability: 0 }, 'sampling.adaptive.minProbability', /\(0, 1\]/],
    [{ maxProbability: 1.5 }, 'sampling.adaptive.maxProbability', /\(0, 1\]/],
    [
      { minProbability: 0.5, maxProbability: 0.1, initialProbability: 0.2 },
      'sampling.adaptive.minProbability',
      /above maxProbability/,
    ],
    [{ initialProbability: 1e-6 }, 'sampling.adaptive.initialProbability', /outside/],
    [{ deltaTolerance: 1 }, 'sampling.adaptive.deltaTolerance', /\[0, 1\)/],
    [
      { calculationIntervalSeconds: 0.5 },
      'sampling.adaptive.calculationIntervalSeconds',
      /at least 1/,
    ],
    [{ minSamplesPerSecond: -1 }, 'sampling.adaptive.minSamplesPerSecond', /at least 0/],
    [{ overrides: {} }, 'sampling.adaptive.overrides', /list/],
    [
      { overrides: [{ targetSamplesPerSecond: 1 }] },
      'sampling.adaptive.overrides[0].service',
      /service name/,
    ],
    [
      { overrides: [{ service: 'a', operation: '', targetSamplesPerSecond: 1 }] },
      'sampling.adaptive.overrides[0].operation',
      /root span name/,
    ],
    [
      { overrides: [{ service: 'a' }] },
      'sampling.adaptive.overrides[0].targetSamplesPerSecond',
      /positive/,
    ],
    [
      {
        overrides: [
          { service: 'a', targetSamplesPerSecond: 1 },
          { service: 'a', targetSamplesPerSecond: 2 },
        ],
      },
      'sampling.adaptive.overrides[1]',
      /second override/,
    ],
  ];
  for (const [over, key, why] of bad) {
    test(`refuses ${JSON.stringify(over)} naming ${key}`, () => {
      assert.throws(
        () => compileAdaptiveSettings(withAdaptive(over)),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `a ConfigError: ${String(err)}`);
          assert.ok(err.message.includes(`at ${key}:`), err.message);
          assert.match(err.message, why);
          return true;
        },
      );
    });
  }

  test('the reload target refuses a bad section and applies a good one (but not `enabled`)', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    const running = compileAdaptiveSettings(withAdaptive({ enabled: true }));
    const sampling = new AdaptiveSampling({ store: storage, settings: running, timer: false });
    try {
      await sampling.start();
      const target = adaptiveSamplingReloadTarget(sampling);
      assert.ok(!target.covers.includes('sampling.adaptive.enabled'), 'enabled needs a restart');
      assert.throws(
        () => target.prepare(withAdaptive({ targetSamplesPerSecond: -1 })),
        ConfigError,
      );
      assert.equal(sampling.settings.targetSamplesPerSecond, 1, 'a refused config changes nothing');
      const apply = target.prepare(
        withAdaptive({
          enabled: false,
          targetSamplesPerSecond: 3,
          overrides: [{ service: 'a', targetSamplesPerSecond: 7 }],
        }),
      );
      assert.equal(sampling.settings.targetSamplesPerSecond, 1, 'prepare applies nothing');
      await apply();
      assert.equal(sampling.settings.targetSamplesPerSecond, 3);
      assert.equal(targetFor(sampling.settings, 'a', 'x'), 7);
      assert.equal(sampling.settings.enabled, true);
    } finally {
      await sampling.stop();
      await storage.close();
    }
  });
});
