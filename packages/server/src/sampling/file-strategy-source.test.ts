import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { ConfigReloader } from '../cli/config-reloader.ts';
import { defaultConfig, type SkeinConfig } from '../config/config.ts';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../errors.ts';
import { FileStrategySource } from './file-strategy-source.ts';
import { pollUntil } from './test-support/poll.ts';

/** A logger whose JSON lines are kept in `lines`. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function strategiesJson(fooProbability: number): string {
  return JSON.stringify({
    default_strategy: { type: 'probabilistic', param: 0.5 },
    service_strategies: [{ service: 'foo', type: 'probabilistic', param: fooProbability }],
  });
}

function configWith(sampling: Partial<SkeinConfig['sampling']>): SkeinConfig {
  const config = structuredClone(defaultConfig);
  Object.assign(config.sampling, sampling);
  return config;
}

function fooRate(source: FileStrategySource): number | undefined {
  return source.strategyFor('foo')?.strategy.probabilisticSampling?.samplingRate;
}

const sources: FileStrategySource[] = [];
after(() => {
  for (const s of sources) s.close();
});

describe('FileStrategySource', () => {
  test('serves the services of a strategies file; others get its default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-strategies-'));
    const file = join(dir, 'strategies.json');
    writeFileSync(file, strategiesJson(0.8));
    const source = new FileStrategySource(configWith({ strategiesFile: file }).sampling, {
      logger: pino({ level: 'silent' }),
    });
    assert.deepEqual(source.strategyFor('foo'), {
      origin: 'file',
      strategy: { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.8 } },
    });
    assert.equal(source.strategyFor('other'), undefined);
    assert.deepEqual(source.defaultStrategy().strategy.probabilisticSampling, {
      samplingRate: 0.5,
    });
    assert.equal(source.defaultStrategy().origin, 'default');
    assert.deepEqual(source.services(), ['foo']);
    assert.equal(source.location, file);
  });

  test('a missing or bad file at start is a ConfigError naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-strategies-'));
    const missing = join(dir, 'nope.json');
    assert.throws(
      () =>
        new FileStrategySource(configWith({ strategiesFile: missing }).sampling, {
          logger: pino({ level: 'silent' }),
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(missing) &&
        /cannot read the strategies file/.test(err.message),
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"default_strategy": {"type": "probabilistic", "param": 0.5},');
    assert.throws(
      () =>
        new FileStrategySource(configWith({ strategiesFile: bad }).sampling, {
          logger: pino({ level: 'silent' }),
        }),
      /bad\.json: not valid JSON \(a Jaeger strategies file\)/,
    );
  });

  test('follows the file as it is edited; a bad version is refused with a log line and the previous strategies stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-strategies-'));
    const file = join(dir, 'strategies.json');
    writeFileSync(file, strategiesJson(0.8));
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const source = new FileStrategySource(configWith({ strategiesFile: file }).sampling, {
      logger,
      registry,
    });
    sources.push(source);
    source.watch();

    // Written in place.
    writeFileSync(file, strategiesJson(0.3));
    await pollUntil('the rewritten file to apply', () =>
      fooRate(source) === 0.3 ? true : undefined,
    );

    // Replaced by rename, as editors save.
    writeFileSync(join(dir, 'strategies.json.tmp'), strategiesJson(0.6));
    renameSync(join(dir, 'strategies.json.tmp'), file);
    await pollUntil('the renamed file to apply', () =>
      fooRate(source) === 0.6 ? true : undefined,
    );

    // A probability out of range: refused, logged with the reason, 0.6 stays.
    writeFileSync(
      file,
      JSON.stringify({ service_strategies: [{ service: 'foo', type: 'probabilistic', param: 6 }] }),
    );
    const refusal = await pollUntil('the refusal log line', () =>
      lines.find(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('sampling strategies file refused'),
      ),
    );
    assert.equal(refusal.level, 50, 'logged at error level');
    assert.match(
      String(refusal.msg),
      /service_strategies\[0\]\.param: a probability must be from 0 to 1, got 6.*the previous strategies stay in force/,
    );
    assert.equal(refusal.file, file);
    assert.equal(fooRate(source), 0.6);
    assert.equal(source.defaultStrategy().strategy.probabilisticSampling?.samplingRate, 0.5);

    // Not JSON at all: refused too.
    const refusalsBefore = lines.filter((l) => String(l.msg).includes('refused')).length;
    writeFileSync(file, 'default_strategy: oops');
    await pollUntil('the second refusal', () =>
      lines.filter((l) => String(l.msg).includes('refused')).length > refusalsBefore
        ? true
        : undefined,
    );
    assert.equal(fooRate(source), 0.6);

    // Fixed: applied again.
    writeFileSync(file, strategiesJson(0.1));
    await pollUntil('the fixed file to apply', () => (fooRate(source) === 0.1 ? true : undefined));
    const metrics = await registry.getSingleMetricAsString(
      'skein_sampling_strategies_reloads_total',
    );
    assert.match(metrics, /result="refused"} [1-9]/);
    assert.match(metrics, /result="applied"} [1-9]/);
  });

  test('reloadFile: an unchanged file changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-strategies-'));
    const file = join(dir, 'strategies.json');
    writeFileSync(file, strategiesJson(0.8));
    const source = new FileStrategySource(configWith({ strategiesFile: file }).sampling, {
      logger: pino({ level: 'silent' }),
    });
    const before = source.strategyFor('foo');
    assert.equal(await source.reloadFile(), 'unchanged');
    assert.equal(source.strategyFor('foo'), before, 'the same object');
    writeFileSync(file, strategiesJson(0.2));
    assert.equal(await source.reloadFile(), 'applied');
    assert.equal(fooRate(source), 0.2);
  });

  test('prepare (ReloadTarget): validates without changing anything; the returned step swaps', () => {
    const source = new FileStrategySource(defaultConfig.sampling, {
      logger: pino({ level: 'silent' }),
    });
    assert.equal(source.location, 'sampling.strategies');
    assert.equal(source.defaultStrategy().strategy.probabilisticSampling?.samplingRate, 0.001);
    const bad = configWith({
      strategies: {
        defaultStrategy: { ...defaultConfig.sampling.strategies.defaultStrategy, type: 'always' },
        serviceStrategies: [],
      },
    });
    assert.throws(
      () => source.prepare(bad),
      /sampling\.strategies: defaultStrategy\.type: must be "probabilistic" or "ratelimiting", got "always"/,
    );
    const good = configWith({
      strategies: {
        defaultStrategy: defaultConfig.sampling.strategies.defaultStrategy,
        serviceStrategies: [{ service: 'foo', type: 'ratelimiting', param: 7 }],
      },
    });
    const apply = source.prepare(good);
    assert.equal(source.strategyFor('foo'), undefined, 'nothing changes before apply');
    apply();
    assert.deepEqual(source.strategyFor('foo')?.strategy.rateLimitingSampling, {
      maxTracesPerSecond: 7,
    });
  });

  test('with the config reloader: strategies in skein.yaml follow the file; a bad edit is refused and logged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-config-'));
    const configFile = join(dir, 'skein.yaml');
    const yaml = (param: number) =>
      `sampling:\n  strategies:\n    serviceStrategies:\n      - { service: foo, type: probabilistic, param: ${param} }\n`;
    writeFileSync(configFile, yaml(0.4));
    const current = loadConfig({ file: configFile });
    const { logger, lines } = capturingLogger();
    const source = new FileStrategySource(current.sampling, { logger });
    const reloader = new ConfigReloader({
      load: () => loadConfig({ file: configFile }),
      current,
      logger,
      registry: new Registry(),
    });
    reloader.add({
      name: 'sampling strategies',
      covers: ['sampling.strategiesFile', 'sampling.strategies'],
      prepare: (next) => source.prepare(next),
    });
    assert.equal(fooRate(source), 0.4);
    writeFileSync(configFile, yaml(0.9));
    assert.equal(await reloader.reload('test'), 'applied');
    assert.equal(fooRate(source), 0.9);
    writeFileSync(configFile, yaml(1.5));
    assert.equal(await reloader.reload('test'), 'refused');
    assert.equal(fooRate(source), 0.9);
    const refusal = lines.find((l) => String(l.msg).startsWith('configuration reload refused'));
    assert.match(
      String(refusal?.msg),
      /sampling\.strategies: serviceStrategies\[0\]\.param: a probability must be from 0 to 1, got 1\.5/,
    );
  });

  test('the config takes a strategies file or strategies written in it, not both', () => {
    assert.throws(
      () =>
        loadConfig({
          overrides: {
            'sampling.strategiesFile': '/etc/skein/strategies.json',
            'sampling.strategies.defaultStrategy.param': '0.5',
          },
        }),
      /sampling\.strategies: set either sampling\.strategiesFile .* or sampling\.strategies .*, not both/,
    );
  });
});
