/**
 * Issue 13's lead "attribute layout that compresses repetitive keys", measured before
 * building it: how many bytes per span the `tags` column would take in other layouts,
 * and what one string crossing into a DuckDB vector costs (chunk filling makes one such
 * call per tag term today, ~13 per span on the ingest bench's payloads).
 *
 * Writes `--spans` of the ingest bench's payloads through DuckDbStorage into a fresh
 * file, copies the `tags` column into one table per layout with SQL, checkpoints, and
 * sizes each table with bench/duckdb-column-bytes.ts:
 *
 * - `list`: today's layout, VARCHAR[] of `key\0value` terms;
 * - `joined`: one VARCHAR per span, the terms joined by \x01 (one vector call per span);
 * - `keys+values`: two VARCHAR[] (keys repeat, so their dictionary is small);
 * - `keys+values joined`: two VARCHARs per span, the keys and the values joined.
 *
 *   node --import tsx bench/tags-layout.ts [--spans 500000] [--dir /tmp/skein-tags-layout]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import type { Span } from '../packages/server/src/model/span.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { DuckDbStorage } from '../packages/server/src/storage/duckdb/duckdb-storage.ts';
import { columnBytes } from './duckdb-column-bytes.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '500000' },
    dir: { type: 'string', default: '/tmp/skein-tags-layout' },
  },
});
const total = Number(args.spans);
const dir = args.dir!;

const REQUEST_SPANS = 500;
const nowNs = `${Date.now()}000000`;
rmSync(dir, { recursive: true, force: true });
const store = new DuckDbStorage({ path: dir, memoryLimitMB: 256 });
await store.open();
for (let p = 0, written = 0; written < total; p++) {
  const batch: Span[] = [];
  for (let r = 0; r < 20 && written + batch.length < total; r++) {
    const bytes = buildOtlpRequest({
      spans: REQUEST_SPANS,
      seed: p * 20 + r + 1,
      startTimeUnixNano: nowNs,
      serviceName: `svc-${r % 8}`,
    });
    batch.push(...decodeOtlpProto(bytes).spans);
  }
  await store.write(batch);
  written += batch.length;
}
await store.close();

const file = join(dir, 'skein.duckdb');
const layouts: [string, string][] = [
  ['list', 'SELECT tags FROM spans'],
  ['joined', `SELECT array_to_string(tags, chr(1)) AS tags FROM spans`],
  [
    'keys+values',
    `SELECT list_transform(tags, t -> split_part(t, chr(0), 1)) AS tag_keys,
            list_transform(tags, t -> split_part(t, chr(0), 2)) AS tag_values FROM spans`,
  ],
  [
    'keys+values joined',
    `SELECT array_to_string(list_transform(tags, t -> split_part(t, chr(0), 1)), chr(1)) AS tag_keys,
            array_to_string(list_transform(tags, t -> split_part(t, chr(0), 2)), chr(1)) AS tag_values
       FROM spans`,
  ],
];
{
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  for (const [name, select] of layouts) {
    await c.run(`CREATE TABLE "layout ${name}" AS ${select}`);
  }
  await c.run('CHECKPOINT');
  c.closeSync();
  db.closeSync();
}
const spans = total;
console.log(`tags-layout: ${spans} spans of the ingest bench's payloads`);
console.log('  layout                 B/span (tags only)');
for (const [name] of layouts) {
  const bytes = (await columnBytes(file, `layout ${name}`)).reduce((s, [, b]) => s + b, 0);
  console.log(`  ${name.padEnd(22)} ${(bytes / spans).toFixed(1).padStart(7)}`);
}

// The cost of one string crossing into a vector, as chunk filling pays it per term.
{
  const terms: string[] = [];
  for (let i = 0; i < 4096; i++) terms.push(`http.route\u0000/api/orders/${i}`);
  const joined = terms.slice(0, 13).join('\u0001');
  const rounds = 200;
  const chunk = DuckDBDataChunk.create([VARCHAR], 2048);
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, 0);
  const time = (fn: () => void): number => {
    fn();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) fn();
    return ((performance.now() - t0) * 1000) / (rounds * 2048);
  };
  const perTerm = time(() => {
    for (let row = 0; row < 2048; row++)
      duckdb.vector_assign_string_element(vector, row, terms[row]);
  });
  const perJoined = time(() => {
    for (let row = 0; row < 2048; row++) duckdb.vector_assign_string_element(vector, row, joined);
  });
  console.log(
    `  one vector_assign_string_element: ${(perTerm * 1000).toFixed(0)} ns for a ~25-byte term, ` +
      `${(perJoined * 1000).toFixed(0)} ns for 13 terms joined (${joined.length} chars)`,
  );
}
rmSync(dir, { recursive: true, force: true });
