import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultConfig } from '../config/config.ts';
import { ValueType } from '../model/span.ts';
import {
  compileRedaction,
  redactionFactory,
  searchValueFor,
  type RedactionSettings,
} from '../pipeline/processors/redaction/index.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import type { JaegerEnvelope, JaegerTrace } from './jaeger/jaeger-json.ts';
import { createQueryApp } from './query-app.ts';
import { makeResource, makeScope, makeSpan } from './test-support/span-builders.ts';
import { ZipkinQueryApi } from './zipkin/zipkin-query-api.ts';

/*
 * Hashed search: spans go through the redaction processor (user.email hashed by a key
 * rule, emails in other attributes hashed by a value rule) into a real in-memory DuckDB
 * store; the query APIs, given a rewrite built on searchValueFor, find the trace by the
 * clear-text value although only hashes are stored.
 */
const TRACE = 'e0000000000000000000000000000001';
const OTHER = 'e0000000000000000000000000000002';
const START = Date.now() * 1000 - 60e6;

function compile(hashKey: string): RedactionSettings {
  return compileRedaction({
    ...defaultConfig.pipeline.processors.redaction,
    rules: [
      { keys: ['user.email'], action: 'hash' },
      { values: ['email'], action: 'hash' },
    ],
    hashKey,
  });
}

let settings = compile('first-key-0123456789');
let storage: DuckDbStorage;
let app: FastifyInstance;
const rewrite = (key: string, value: string) => searchValueFor(settings, key, value);

before(async () => {
  const resource = makeResource('accounts');
  const scope = makeScope();
  const spans = [
    makeSpan({
      traceId: TRACE,
      spanId: 'e000000000000001',
      name: 'signup',
      startTime: START,
      resource,
      scope,
      attributes: [
        { key: 'user.email', type: ValueType.String, value: 'alice@example.com' },
        { key: 'mail.to', type: ValueType.String, value: 'bob@example.com' },
      ],
    }),
    makeSpan({
      traceId: OTHER,
      spanId: 'e000000000000002',
      name: 'signup',
      startTime: START,
      resource,
      scope,
      attributes: [{ key: 'user.email', type: ValueType.String, value: 'carol@example.com' }],
    }),
  ];
  redactionFactory.create(settings).process(spans, { changed() {}, dropped() {} });
  assert.match(String(spans[0].attributes[0].value), /^hmac:/, 'stored hashed');
  storage = new DuckDbStorage({ path: ':memory:' });
  await storage.open();
  await storage.write(spans);
  app = await createQueryApp({
    reader: storage,
    logger: false,
    defaultLimit: 20,
    maxLimit: 100,
    rewriteSearchTag: rewrite,
  });
});

after(async () => {
  await app.close();
  await storage.close();
});

async function legacyIds(query: string): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: `/api/traces?service=accounts&${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as JaegerEnvelope<JaegerTrace[]>).data.map((t) => t.traceID).sort();
}

describe('hashed search', () => {
  test('Jaeger legacy: tags JSON and tag=key:value find the trace by the clear value', async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'user.email': 'alice@example.com' }));
    assert.deepEqual(await legacyIds(`tags=${tags}`), [TRACE]);
    assert.deepEqual(await legacyIds('tag=user.email:alice@example.com'), [TRACE]);
    assert.deepEqual(await legacyIds('tag=mail.to:bob@example.com'), [TRACE], 'value rule hash');
    assert.deepEqual(await legacyIds('tag=user.email:nobody@example.com'), []);
  });

  test('api_v3: query.attributes', async () => {
    const attributes = encodeURIComponent(JSON.stringify({ 'user.email': 'carol@example.com' }));
    const min = new Date(START / 1000 - 3600e3).toISOString();
    const max = new Date().toISOString();
    const res = await app.inject({
      method: 'GET',
      url: `/api/v3/traces?query.service_name=accounts&query.start_time_min=${min}&query.start_time_max=${max}&query.attributes=${attributes}`,
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      result: { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    };
    const ids = body.result.resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.traceId)),
    );
    assert.deepEqual([...new Set(ids)], [OTHER]);
  });

  test('Zipkin: annotationQuery key=value terms', async () => {
    const zipkin = new ZipkinQueryApi({
      reader: storage,
      autocompleteKeys: [],
      lookbackMs: 3600e3,
      maxLimit: 10,
      rewriteSearchTag: rewrite,
    });
    const res = await zipkin.handle(
      '',
      '/api/v2/traces',
      new URLSearchParams({ annotationQuery: 'user.email=alice@example.com' }),
    );
    assert.equal(res.statusCode, 200, res.body);
    const traces = JSON.parse(res.body) as { traceId: string }[][];
    assert.deepEqual(
      traces.map((t) => t[0].traceId),
      [TRACE],
    );
  });

  test('the rewrite is read per request: new rules (a new key) apply at once', async () => {
    settings = compile('second-key-0123456789');
    assert.deepEqual(await legacyIds('tag=user.email:alice@example.com'), []);
    settings = compile('first-key-0123456789');
    assert.deepEqual(await legacyIds('tag=user.email:alice@example.com'), [TRACE]);
  });

  test('without a rewrite the clear value finds nothing: storage holds no address', async () => {
    const plain = await createQueryApp({
      reader: storage,
      logger: false,
      defaultLimit: 20,
      maxLimit: 100,
    });
    try {
      const res = await plain.inject({
        method: 'GET',
        url: '/api/traces?service=accounts&tag=user.email:alice@example.com',
      });
      assert.deepEqual((res.json() as JaegerEnvelope<JaegerTrace[]>).data, []);
    } finally {
      await plain.close();
    }
  });
});
