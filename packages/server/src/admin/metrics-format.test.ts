import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeLabelValue, formatSampleValue, negotiateMetricsFormat } from './metrics-format.ts';

describe('negotiateMetricsFormat', () => {
  test('Prometheus 2.x Accept header gets OpenMetrics', () => {
    const accept =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    assert.equal(negotiateMetricsFormat(accept), 'openmetrics');
    assert.equal(negotiateMetricsFormat('application/openmetrics-text'), 'openmetrics');
  });

  test('no header, wildcards and text/plain get the Prometheus text format', () => {
    assert.equal(negotiateMetricsFormat(undefined), 'prometheus');
    assert.equal(negotiateMetricsFormat(''), 'prometheus');
    assert.equal(negotiateMetricsFormat('*/*'), 'prometheus');
    assert.equal(negotiateMetricsFormat('text/plain;version=0.0.4'), 'prometheus');
  });

  test('quality values decide; an unknown OpenMetrics version or q=0 is not taken', () => {
    assert.equal(
      negotiateMetricsFormat('text/plain;q=0.9, application/openmetrics-text;q=0.5'),
      'prometheus',
    );
    assert.equal(
      negotiateMetricsFormat(
        'text/plain;q=0.4, application/openmetrics-text; version=1.0.0; q=0.5',
      ),
      'openmetrics',
    );
    assert.equal(
      negotiateMetricsFormat('application/openmetrics-text;version=2.0.0'),
      'prometheus',
    );
    assert.equal(negotiateMetricsFormat('application/openmetrics-text;q=0'), 'prometheus');
  });
});

describe('escapeLabelValue', () => {
  test('escapes backslash, double quote and newline, nothing else', () => {
    assert.equal(escapeLabelValue('GET /users'), 'GET /users');
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue('tab\there ünïcode'), 'tab\there ünïcode');
  });
});

describe('formatSampleValue', () => {
  test('writes special values the way both formats spell them', () => {
    assert.equal(formatSampleValue(NaN), 'NaN');
    assert.equal(formatSampleValue(Infinity), '+Inf');
    assert.equal(formatSampleValue(-Infinity), '-Inf');
    assert.equal(formatSampleValue(0.25), '0.25');
    assert.equal(formatSampleValue(12), '12');
  });
});
