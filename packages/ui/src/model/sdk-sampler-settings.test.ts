import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probabilityArg, sdkSamplerSettings } from './sdk-sampler-settings.ts';

describe('SDK sampler settings', () => {
  test('probabilities as plain decimals, clamped to 0..1', () => {
    assert.deepEqual([1, 0.5, 0.1, 0.001, 0.0001, 1e-7, 0, 2, -1].map(probabilityArg), [
      '1',
      '0.5',
      '0.1',
      '0.001',
      '0.0001',
      '0.0000001',
      '0',
      '1',
      '0',
    ]);
  });

  test('each SDK points at the right port and protocol with the service and starting probability', () => {
    const s = sdkSamplerSettings({
      host: 'skein.internal',
      service: 'cart',
      initialProbability: 0.1,
    });
    const text = (sdk: RegExp) => s.find((x) => sdk.test(x.sdk))!.text;
    assert.equal(
      text(/by environment \(Java/),
      [
        'OTEL_SERVICE_NAME=cart',
        'OTEL_TRACES_SAMPLER=parentbased_jaeger_remote',
        'OTEL_TRACES_SAMPLER_ARG=endpoint=http://skein.internal:14250,pollingIntervalMs=60000,initialSamplingRate=0.1',
      ].join('\n'),
    );
    assert.match(
      text(/OpenTelemetry JS/),
      /endpoint: 'http:\/\/skein\.internal:5778',\n {2}serviceName: "cart",/,
    );
    assert.match(text(/OpenTelemetry JS/), /TraceIdRatioBasedSampler\(0\.1\)/);
    assert.match(
      text(/OpenTelemetry Go/),
      /WithSamplingServerURL\("http:\/\/skein\.internal:5778\/sampling"\)/,
    );
    assert.equal(
      text(/jaeger-client/),
      "sampler: { type: 'remote', param: 0.1, hostPort: 'skein.internal:5778', refreshIntervalMs: 60000 }",
    );
    assert.match(
      text(/Jaeger clients/),
      /^JAEGER_SAMPLER_MANAGER_HOST_PORT=skein\.internal:5778$/m,
    );
  });

  test('no service gives a placeholder, a rate limit starts at 0.001, IPv6 hosts get brackets', () => {
    const s = sdkSamplerSettings({ host: '::1', service: '', initialProbability: null });
    assert.match(s[0].text, /^OTEL_SERVICE_NAME=my-service$/m);
    assert.match(s[0].text, /endpoint=http:\/\/\[::1\]:14250,.*initialSamplingRate=0\.001$/m);
  });

  test('a service name is quoted as a string literal in code', () => {
    const s = sdkSamplerSettings({ host: 'h', service: 'a"b\\c', initialProbability: 1 });
    assert.match(s[1].text, /serviceName: "a\\"b\\\\c",/);
  });
});
