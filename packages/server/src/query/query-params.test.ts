import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../errors.ts';
import {
  allParams,
  firstOfParams,
  firstParam,
  parseBoolParam,
  parseDurationParam,
  parseIntegerParam,
  parseJsonTagObject,
  parseLimitParam,
  parseRfc3339Param,
  parseTagParams,
  parseTraceIdParam,
} from './query-params.ts';

/** Asserts an InvalidParameterError naming `name` whose message matches `why`. */
function assertBadParam(fn: () => unknown, name: string, why: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidParameterError, String(err));
    assert.match(err.message, new RegExp(`^parameter "${name.replace(/\./g, '\\.')}" `));
    assert.match(err.message, why);
    return true;
  });
}

describe('query string access', () => {
  test('first and all values, empty as absent', () => {
    const q = { a: ['1', '2'], b: '', c: 'x', d: ['', 'y'] };
    assert.equal(firstParam(q, 'a'), '1');
    assert.equal(firstParam(q, 'b'), undefined);
    assert.equal(firstParam(q, 'missing'), undefined);
    assert.deepEqual(allParams(q, 'a'), ['1', '2']);
    assert.deepEqual(allParams(q, 'c'), ['x']);
    assert.deepEqual(allParams(q, 'd'), ['y']);
    assert.deepEqual(allParams(q, 'b'), []);
    assert.deepEqual(firstOfParams(q, ['b', 'c']), { name: 'c', value: 'x' });
    assert.equal(firstOfParams(q, ['b', 'missing']), undefined);
  });
});

describe('value parsers', () => {
  test('integers', () => {
    assert.equal(parseIntegerParam('start', '1700000000000000'), 1_700_000_000_000_000);
    assertBadParam(() => parseIntegerParam('start', '1.5'), 'start', /integer/);
    assertBadParam(() => parseIntegerParam('start', '1e6'), 'start', /integer/);
    assertBadParam(
      () => parseIntegerParam('start', '99999999999999999999'),
      'start',
      /out of range/,
    );
  });

  test('limits: default, clamp to max, reject non-positive', () => {
    assert.equal(parseLimitParam('limit', undefined, 20, 1500), 20);
    assert.equal(parseLimitParam('limit', '5', 20, 1500), 5);
    assert.equal(parseLimitParam('limit', '99999', 20, 1500), 1500);
    assertBadParam(() => parseLimitParam('limit', '0', 20, 1500), 'limit', /positive/);
    assertBadParam(() => parseLimitParam('limit', 'ten', 20, 1500), 'limit', /integer/);
  });

  test('durations', () => {
    assert.equal(parseDurationParam('minDuration', '1.5ms'), 1500);
    assertBadParam(
      () => parseDurationParam('minDuration', '10'),
      'minDuration',
      /Go duration.*without a unit/,
    );
    assertBadParam(() => parseDurationParam('minDuration', '-1s'), 'minDuration', /negative/);
  });

  test('booleans as Go strconv.ParseBool', () => {
    assert.equal(parseBoolParam('raw', 'True'), true);
    assert.equal(parseBoolParam('raw', '0'), false);
    assertBadParam(() => parseBoolParam('raw', 'yes'), 'raw', /true or false/);
  });

  test('trace ids: case-insensitive hex, left-padded to 32', () => {
    assert.equal(parseTraceIdParam('traceID', 'ABCDEF'), '00000000000000000000000000abcdef');
    assert.equal(
      parseTraceIdParam('traceID', '0AF7651916CD43DD8448EB211C80319C'),
      '0af7651916cd43dd8448eb211c80319c',
    );
    assertBadParam(() => parseTraceIdParam('traceID', 'xyz'), 'traceID', /hex/);
    assertBadParam(() => parseTraceIdParam('traceID', 'a'.repeat(33)), 'traceID', /1 to 32/);
  });

  test('RFC 3339 times to µs, with fractions and offsets', () => {
    assert.equal(
      parseRfc3339Param('t', '2026-01-02T03:04:05Z'),
      Date.UTC(2026, 0, 2, 3, 4, 5) * 1000,
    );
    assert.equal(
      parseRfc3339Param('t', '2026-01-02T03:04:05.123456789Z'),
      Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123_456,
    );
    assert.equal(
      parseRfc3339Param('t', '2026-01-02T05:04:05.5+02:00'),
      Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 500_000,
    );
    assertBadParam(
      () => parseRfc3339Param('query.start_time_min', '2026-01-02'),
      'query.start_time_min',
      /RFC 3339/,
    );
    assertBadParam(() => parseRfc3339Param('t', '2026-13-02T03:04:05Z'), 't', /RFC 3339/);
  });

  test('tags from tag=k:v and tags={json}; json wins, values keep their colons', () => {
    assert.deepEqual(
      parseTagParams('tag', ['http.url:http://x:80/a', 'error:true'], 'tags', [
        '{"error":"false","code":500}',
      ]),
      { 'http.url': 'http://x:80/a', error: 'false', code: '500' },
    );
    assertBadParam(() => parseTagParams('tag', ['novalue'], 'tags', []), 'tag', /key:value/);
    assertBadParam(() => parseTagParams('tag', [':v'], 'tags', []), 'tag', /key:value/);
    assertBadParam(() => parseTagParams('tag', [], 'tags', ['{bad']), 'tags', /JSON object/);
    assertBadParam(() => parseTagParams('tag', [], 'tags', ['[1]']), 'tags', /JSON object/);
    assertBadParam(
      () => parseJsonTagObject('query.attributes', '{"a":{"b":1}}'),
      'query.attributes',
      /"a"/,
    );
  });
});
