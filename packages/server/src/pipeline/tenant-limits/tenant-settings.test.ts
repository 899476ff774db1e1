import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../config/load-config.ts';
import { defaultConfig, type SkeinConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';
import { compileTenantSettings } from './tenant-settings.ts';

function compile(tenants: Record<string, unknown>) {
  const config = {
    ...defaultConfig,
    tenants: { ...defaultConfig.tenants, ...tenants },
  } as SkeinConfig;
  return compileTenantSettings(config);
}

test('overrides inherit what they leave out; burst defaults to one second of the rate', () => {
  const s = compile({
    maxSpansPerSecond: 1000,
    burstSpans: 5000,
    overrides: {
      acme: { maxSpansPerSecond: 50 },
      globex: { retentionHours: 72 },
      initech: { burstSpans: 10 },
    },
  });
  assert.deepEqual(s.defaultRate, { spansPerSecond: 1000, burstSpans: 5000 });
  assert.deepEqual(s.rates.get('acme'), { spansPerSecond: 50, burstSpans: 50 });
  assert.deepEqual(s.rates.get('globex'), { spansPerSecond: 1000, burstSpans: 5000 });
  assert.deepEqual(s.rates.get('initech'), { spansPerSecond: 1000, burstSpans: 10 });
  assert.deepEqual([...s.retentionHours], [['globex', 72]]);
  assert.equal(s.maxTrackedTenants, 10_000);
});

test('bad values are refused naming the key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ maxSpansPerSecond: -1 }, /tenants\.maxSpansPerSecond: must be a number ≥ 0/],
    [{ maxTrackedTenants: 0 }, /tenants\.maxTrackedTenants: must be a positive integer/],
    [{ overrides: { 'no spaces': {} } }, /tenants\.overrides\.no spaces: is not a tenant name/],
    [{ overrides: { acme: { rate: 5 } } }, /tenants\.overrides\.acme\.rate: unknown key/],
    [
      { overrides: { acme: { retentionHours: 0 } } },
      /acme\.retentionHours: must be a number of hours above 0/,
    ],
    [{ overrides: { acme: { burstSpans: 'x' } } }, /acme\.burstSpans: must be a number ≥ 0/],
    [{ overrides: { acme: 5 } }, /tenants\.overrides\.acme: expected \{maxSpansPerSecond/],
  ];
  for (const [tenants, message] of cases) {
    assert.throws(
      () => compile(tenants),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      JSON.stringify(tenants),
    );
  }
});

test('tenants.overrides from a YAML file: keyed by tenant name, checked at load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-tenants-'));
  try {
    const file = join(dir, 'skein.yaml');
    writeFileSync(
      file,
      [
        'tenants:',
        '  maxSpansPerSecond: 2000',
        '  overrides:',
        '    acme: { maxSpansPerSecond: 5000, burstSpans: 10000, retentionHours: 72 }',
        '    globex.eu: { retentionHours: 24 }',
      ].join('\n'),
    );
    const config = loadConfig({ file });
    const s = compileTenantSettings(config);
    assert.deepEqual(s.rates.get('acme'), { spansPerSecond: 5000, burstSpans: 10000 });
    assert.deepEqual(Object.fromEntries(s.retentionHours), { acme: 72, 'globex.eu': 24 });
    writeFileSync(file, 'tenants:\n  overrides:\n    acme: { maxSpansPerSecnd: 1 }\n');
    assert.throws(
      () => loadConfig({ file }),
      /tenants\.overrides\.acme\.maxSpansPerSecnd: unknown key/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
