import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBInstance, LIST, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { fillStringVector } from './string-vector.ts';

/** Hard strings around the 12-byte inline limit, in every UTF-8 width, with NUL and lone surrogates. */
const HARD = [
  '',
  'a',
  'exactly12byt',
  'exactly13byte',
  'éééééé', // 12 bytes, 6 characters
  'ééééééé', // 14 bytes
  '😀😀😀', // 12 bytes in surrogate pairs
  '😀😀😀x',
  'key\u0000value',
  'http.url\u0000/api/v1/orders/7919?x=1',
  'lone \ud800 high',
  'lone low \udc00',
  'ends high \ud83d',
  '\ude00 starts low',
  '\u0001\u001f control',
  'x'.repeat(100_000),
  '中文字符串也要完整地存下来',
];

let db: DuckDBInstance;
let c: DuckDBConnection;

before(async () => {
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
  await c.run('CREATE TABLE t (s VARCHAR)');
  await c.run('CREATE TABLE tl (s VARCHAR, l VARCHAR[])');
});
after(() => {
  c.closeSync();
  db.closeSync();
});

/** Appends rows filled by `fill` and by one `vector_assign_string_element` per string, and reads both back. */
async function roundTrip(
  strings: readonly (string | null)[],
): Promise<{ bulk: unknown[]; each: unknown[] }> {
  await c.run('DELETE FROM t');
  const appender = await c.createAppender('t');
  const types = [VARCHAR];
  const n = strings.length;
  const bulk = DuckDBDataChunk.create(types, n);
  fillStringVector(duckdb.data_chunk_get_vector(bulk.chunk, 0), strings);
  const each = DuckDBDataChunk.create(types, n);
  const v = duckdb.data_chunk_get_vector(each.chunk, 0);
  const valid = new Uint8Array(Math.ceil(n / 64) * 8).fill(0xff);
  strings.forEach((s, i) => {
    if (s !== null) duckdb.vector_assign_string_element(v, i, s);
    else valid[i >> 3] &= ~(1 << (i & 7));
  });
  duckdb.vector_ensure_validity_writable(v);
  duckdb.copy_data_to_vector_validity(v, 0, valid.buffer, 0, valid.byteLength);
  appender.appendDataChunk(bulk);
  appender.appendDataChunk(each);
  appender.flushSync();
  appender.closeSync();
  const rows = (await c.runAndReadAll('SELECT s FROM t')).getColumns()[0];
  return { bulk: rows.slice(0, n), each: rows.slice(n) };
}

describe('fillStringVector', () => {
  test('stores every string exactly as one call per string does', async () => {
    const { bulk, each } = await roundTrip(HARD);
    assert.deepEqual(bulk, each);
    assert.equal(bulk[8], 'key\u0000value');
    assert.equal(bulk[10], 'lone \ufffd high');
    assert.equal((bulk[15] as string).length, 100_000);
  });

  test('non-ASCII strings counted in place when none ends in a high surrogate', async () => {
    const strings = HARD.filter((h) => !h.endsWith('\ud83d'));
    const { bulk, each } = await roundTrip(strings);
    assert.deepEqual(bulk, each);
    assert.ok(bulk.includes('lone \ufffd high') && bulk.includes('\ufffd starts low'));
  });

  test('an ASCII column, short and long strings, a whole chunk of rows', async () => {
    const strings = Array.from({ length: 2048 }, (_, i) =>
      i % 3 === 0 ? `s${i}` : `service.operation/${i}/${'x'.repeat(i % 40)}`,
    );
    const { bulk, each } = await roundTrip(strings);
    assert.deepEqual(bulk, strings);
    assert.deepEqual(each, strings);
  });

  test('only short strings (nothing on the heap) and NULL rows', async () => {
    const strings = ['a', null, '', 'twelve bytes', null, 'é'];
    const { bulk, each } = await roundTrip(strings);
    assert.deepEqual(bulk, strings);
    assert.deepEqual(each, strings);
    const all = await roundTrip([null, null]);
    assert.deepEqual(all.bulk, [null, null]);
  });

  test("a list's child vector, compared and searched in SQL", async () => {
    const appender = await c.createAppender('tl');
    const chunk = DuckDBDataChunk.create([VARCHAR, LIST(VARCHAR)], 2);
    fillStringVector(duckdb.data_chunk_get_vector(chunk.chunk, 0), ['row0', 'row1 is long enough']);
    const list = duckdb.data_chunk_get_vector(chunk.chunk, 1);
    const terms = ['k\u0000v', 'http.url\u0000/a/long/path/1', 'é\u0000😀', 'db\u0000select 1'];
    duckdb.list_vector_reserve(list, terms.length);
    duckdb.list_vector_set_size(list, terms.length);
    fillStringVector(duckdb.list_vector_get_child(list), terms);
    const entries = new BigUint64Array([0n, 1n, 1n, 3n]);
    duckdb.copy_data_to_vector(list, 0, entries.buffer, 0, entries.byteLength);
    appender.appendDataChunk(chunk);
    appender.flushSync();
    appender.closeSync();
    const rows = (await c.runAndReadAll('SELECT s, l FROM tl ORDER BY s')).getRowObjectsJS();
    assert.deepEqual(
      rows.map((r) => [r.s, r.l]),
      [
        ['row0', ['k\u0000v']],
        ['row1 is long enough', terms.slice(1)],
      ],
    );
    // Prefix and length drive DuckDB's comparisons: equality, prefix match, ordering.
    const hits = await c.runAndReadAll(
      `SELECT s FROM tl WHERE list_contains(l, 'http.url' || chr(0) || '/a/long/path/1')
         AND starts_with(s, 'row1') AND s > 'row1 is long enougf'`,
    );
    assert.deepEqual(hits.getColumns()[0], ['row1 is long enough']);
  });
});
