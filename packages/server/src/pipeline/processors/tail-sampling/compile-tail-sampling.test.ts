import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from '../../../config/config.ts';
import { loadConfig } from '../../../config/load-config.ts';
import { ConfigError } from '../../../errors.ts';
import { StatusCode } from '../../../model/span.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import { decide } from './decide.ts';
import { str, traceOf } from './test-support/traces.ts';

const AT = 'pipeline.processors.tailSampling.policies';

function compile(policies: unknown[]) {
  return compileTailSamplingPolicies({
    enabled: true,
    policies: policies as { name: string; type: string }[],
  });
}

test('tail sampling config: the default compiles to no policies', () => {
  assert.deepEqual(compileTailSamplingPolicies(defaultConfig.pipeline.processors.tailSampling), []);
});

test('tail sampling config: a YAML file with every policy type loads and compiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-tail-'));
  const file = join(dir, 'skein.yaml');
  writeFileSync(
    file,
    `pipeline:
  processors:
    tailSampling:
      enabled: true
      policies:
        - { name: no-health, type: drop, policies: [{ name: health, type: stringAttribute, key: http.route, values: ['^/health'], regex: true }] }
        - { name: errors, type: statusCode, statusCodes: [ERROR] }
        - { name: slow, type: latency, thresholdMs: 500, upperThresholdMs: 60000 }
        - { name: vip, type: stringAttribute, key: customer.tier, values: [gold, platinum] }
        - { name: big-orders, type: numericAttribute, key: order.total, minValue: 1000 }
        - { name: forced, type: booleanAttribute, key: app.force_sample, value: true }
        - { name: one-percent, type: probabilistic, samplingPercentage: 1, hashSalt: '\${env:TAIL_SALT}' }
        - { name: budget, type: rateLimiting, spansPerSecond: 1000 }
        - { name: fan-out, type: spanCount, minSpans: 100 }
        - { name: always, type: always }
        - name: slow-checkout
          type: and
          policies:
            - { name: checkout, type: stringAttribute, key: service.name, values: [checkout] }
            - { name: over-200ms, type: latency, thresholdMs: 200 }
        - name: shares
          type: composite
          maxTotalSpansPerSecond: 500
          policyOrder: [errs, rest]
          policies:
            - { name: errs, type: statusCode, statusCodes: [ERROR] }
            - { name: rest, type: always }
          rateAllocation:
            - { policy: errs, percent: 60 }
            - { policy: rest, percent: 40 }
`,
  );
  const config = loadConfig({ file, env: { TAIL_SALT: 'from-env' } });
  assert.equal(config.pipeline.processors.tailSampling.enabled, true);
  assert.equal(config.pipeline.processors.tailSampling.policies[6].hashSalt, 'from-env');
  const policies = compileTailSamplingPolicies(config.pipeline.processors.tailSampling);
  assert.equal(policies.length, 12);
  assert.equal(policies[0].name, 'no-health');
  const healthError = traceOf([
    { status: StatusCode.Error, attributes: [str('http.route', '/healthz')] },
  ]);
  assert.equal(decide(policies, healthError, 0).keep, false);
});

const invalid: [what: string, policies: unknown[], at: string, says: RegExp][] = [
  ['not a list', 'x' as unknown as unknown[], AT, /must be a list of policies/],
  ['not a mapping', ['latency'], `${AT}[0]`, /must be a mapping/],
  ['no name', [{ type: 'always' }], `${AT}[0].name`, /non-empty string/],
  [
    'duplicate name',
    [
      { name: 'a', type: 'always' },
      { name: 'a', type: 'always' },
    ],
    `${AT}[1].name`,
    /already the name of .*\[0\]/,
  ],
  [
    'unknown type',
    [{ name: 'a', type: 'latencyy' }],
    `${AT}[0].type`,
    /must be one of always, latency/,
  ],
  [
    'snake_case field',
    [{ name: 'a', type: 'latency', threshold_ms: 5 }],
    `${AT}[0].threshold_ms`,
    /unknown field; a latency policy has name, type, thresholdMs, upperThresholdMs/,
  ],
  [
    'field of another type',
    [{ name: 'a', type: 'always', key: 'k' }],
    `${AT}[0].key`,
    /only name and type/,
  ],
  [
    'latency without threshold',
    [{ name: 'a', type: 'latency' }],
    `${AT}[0].thresholdMs`,
    /whole number/,
  ],
  [
    'latency negative',
    [{ name: 'a', type: 'latency', thresholdMs: -1 }],
    `${AT}[0].thresholdMs`,
    /0 or more/,
  ],
  [
    'latency threshold as a string',
    [{ name: 'a', type: 'latency', thresholdMs: '500ms' }],
    `${AT}[0].thresholdMs`,
    /got "500ms"/,
  ],
  [
    'latency upper below lower',
    [{ name: 'a', type: 'latency', thresholdMs: 500, upperThresholdMs: 100 }],
    `${AT}[0].upperThresholdMs`,
    /above thresholdMs \(500\)/,
  ],
  [
    'status code lower case',
    [{ name: 'a', type: 'statusCode', statusCodes: ['error'] }],
    `${AT}[0].statusCodes[0]`,
    /ERROR, OK or UNSET/,
  ],
  [
    'status codes empty',
    [{ name: 'a', type: 'statusCode', statusCodes: [] }],
    `${AT}[0].statusCodes`,
    /non-empty list/,
  ],
  [
    'string without key',
    [{ name: 'a', type: 'stringAttribute', values: ['x'] }],
    `${AT}[0].key`,
    /attribute name/,
  ],
  [
    'string values not a list',
    [{ name: 'a', type: 'stringAttribute', key: 'k', values: 'x' }],
    `${AT}[0].values`,
    /non-empty list of strings/,
  ],
  [
    'string bad regex',
    [{ name: 'a', type: 'stringAttribute', key: 'k', values: ['ok', '(unclosed'], regex: true }],
    `${AT}[0].values[1]`,
    /not a valid regular expression/,
  ],
  [
    'string regex not boolean',
    [{ name: 'a', type: 'stringAttribute', key: 'k', values: ['x'], regex: 'yes' }],
    `${AT}[0].regex`,
    /true or false/,
  ],
  [
    'numeric without bounds',
    [{ name: 'a', type: 'numericAttribute', key: 'k' }],
    `${AT}[0]`,
    /minValue, maxValue or both/,
  ],
  [
    'numeric min above max',
    [{ name: 'a', type: 'numericAttribute', key: 'k', minValue: 5, maxValue: 1 }],
    `${AT}[0].maxValue`,
    /at least minValue \(5\)/,
  ],
  [
    'boolean value missing',
    [{ name: 'a', type: 'booleanAttribute', key: 'k' }],
    `${AT}[0].value`,
    /true or false/,
  ],
  [
    'probabilistic over 100',
    [{ name: 'a', type: 'probabilistic', samplingPercentage: 150 }],
    `${AT}[0].samplingPercentage`,
    /0 to 100/,
  ],
  [
    'probabilistic salt not a string',
    [{ name: 'a', type: 'probabilistic', samplingPercentage: 5, hashSalt: 7 }],
    `${AT}[0].hashSalt`,
    /must be a string/,
  ],
  [
    'rate limiting zero',
    [{ name: 'a', type: 'rateLimiting', spansPerSecond: 0 }],
    `${AT}[0].spansPerSecond`,
    /1 or more/,
  ],
  [
    'span count without bounds',
    [{ name: 'a', type: 'spanCount' }],
    `${AT}[0]`,
    /minSpans, maxSpans or both/,
  ],
  [
    'span count min above max',
    [{ name: 'a', type: 'spanCount', minSpans: 10, maxSpans: 2 }],
    `${AT}[0].maxSpans`,
    /at least minSpans/,
  ],
  [
    'and without sub-policies',
    [{ name: 'a', type: 'and', policies: [] }],
    `${AT}[0].policies`,
    /at least one policy/,
  ],
  [
    'error inside a sub-policy',
    [
      {
        name: 'a',
        type: 'and',
        policies: [
          { name: 'b', type: 'always' },
          { name: 'c', type: 'latency', thresholdMs: 'x' },
        ],
      },
    ],
    `${AT}[0].policies[1].thresholdMs`,
    /whole number/,
  ],
  [
    'drop nested in and',
    [{ name: 'a', type: 'and', policies: [{ name: 'b', type: 'drop', policies: [] }] }],
    `${AT}[0].policies[0].type`,
    /only allowed at the top level/,
  ],
  [
    'composite nested in drop',
    [{ name: 'a', type: 'drop', policies: [{ name: 'b', type: 'composite' }] }],
    `${AT}[0].policies[0].type`,
    /only allowed at the top level/,
  ],
  [
    'composite without total',
    [{ name: 'a', type: 'composite', policies: [{ name: 'b', type: 'always' }] }],
    `${AT}[0].maxTotalSpansPerSecond`,
    /1 or more/,
  ],
  [
    'composite order names an unknown policy',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policyOrder: ['b', 'x'],
        policies: [{ name: 'b', type: 'always' }],
      },
    ],
    `${AT}[0].policyOrder[1]`,
    /"x" is not one of this composite's policies \(b\)/,
  ],
  [
    'composite order misses one',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policyOrder: ['b'],
        policies: [
          { name: 'b', type: 'always' },
          { name: 'c', type: 'always' },
        ],
      },
    ],
    `${AT}[0].policyOrder`,
    /missing: c/,
  ],
  [
    'composite allocation over 100',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policies: [
          { name: 'b', type: 'always' },
          { name: 'c', type: 'always' },
        ],
        rateAllocation: [
          { policy: 'b', percent: 70 },
          { policy: 'c', percent: 40 },
        ],
      },
    ],
    `${AT}[0].rateAllocation`,
    /add up to 110/,
  ],
  [
    'composite allocation leaves nothing',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policies: [
          { name: 'b', type: 'always' },
          { name: 'c', type: 'always' },
        ],
        rateAllocation: [{ policy: 'b', percent: 100 }],
      },
    ],
    `${AT}[0].rateAllocation`,
    /nothing for c/,
  ],
  [
    'composite allocation for an unknown policy',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policies: [{ name: 'b', type: 'always' }],
        rateAllocation: [{ policy: 'z', percent: 10 }],
      },
    ],
    `${AT}[0].rateAllocation[0].policy`,
    /must name one of this composite's policies/,
  ],
  [
    'composite share under one span',
    [
      {
        name: 'a',
        type: 'composite',
        maxTotalSpansPerSecond: 10,
        policies: [
          { name: 'b', type: 'always' },
          { name: 'c', type: 'always' },
        ],
        rateAllocation: [{ policy: 'b', percent: 5 }],
      },
    ],
    `${AT}[0].rateAllocation`,
    /"b" gets 5% of 10 spans\/s/,
  ],
];

for (const [what, policies, at, says] of invalid) {
  test(`tail sampling config: ${what} is refused, naming ${at}`, () => {
    assert.throws(
      () => compile(policies),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
        assert.match(err.message, new RegExp(`at ${at.replace(/[.[\]]/g, '\\$&')}: `));
        assert.match(err.message, says);
        return true;
      },
    );
  });
}
