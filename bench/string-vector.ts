/**
 * Filling a DuckDB VARCHAR vector: one `vector_assign_string_element` call per string
 * (how chunks were filled before) against `fillStringVector` (string-vector.ts: the
 * column's UTF-8 in one pass, `duckdb_string_t` values in one copy), on the same strings,
 * alternating, in one process. Prints ns per string (chunk creation included, 2,048 rows).
 *
 *   node --import tsx bench/string-vector.ts [--rounds 3] [--reps 300]
 *
 * Columns: the ingest bench's tag terms (`key NUL value`, ~20–45 characters, ASCII),
 * short names (≤ 12 bytes: stored inline) and the same terms with one non-ASCII character
 * (the per-string encoding path).
 */
import { parseArgs } from 'node:util';
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, VARCHAR } from '@duckdb/node-api';
import { fillStringVector } from '../packages/server/src/storage/duckdb/string-vector.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '300' },
  },
});
const ROWS = 2048;
const columns: Record<string, string[]> = {
  'tag terms': Array.from(
    { length: ROWS },
    (_, i) => `http.url\u0000/api/v1/orders/${i * 7919}?page=${i % 13}`,
  ),
  'short names': Array.from({ length: ROWS }, (_, i) => `GET /o/${i % 97}`),
  'terms, non-ASCII': Array.from(
    { length: ROWS },
    (_, i) => `http.url\u0000/api/v1/orders/${i * 7919}?q=é${i % 13}`,
  ),
};

function perString(strings: string[]): void {
  const chunk = DuckDBDataChunk.create([VARCHAR], ROWS);
  const v = duckdb.data_chunk_get_vector(chunk.chunk, 0);
  for (let i = 0; i < strings.length; i++) duckdb.vector_assign_string_element(v, i, strings[i]);
}

function bulk(strings: string[]): void {
  const chunk = DuckDBDataChunk.create([VARCHAR], ROWS);
  fillStringVector(duckdb.data_chunk_get_vector(chunk.chunk, 0), strings);
}

function nsPerString(fill: (s: string[]) => void, strings: string[], reps: number): number {
  for (let w = 0; w < 30; w++) fill(strings);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) fill(strings);
  return Number(process.hrtime.bigint() - t0) / (reps * ROWS);
}

const reps = Number(args.reps);
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const [name, strings] of Object.entries(columns)) {
    const each = nsPerString(perString, strings, reps);
    const inBulk = nsPerString(bulk, strings, reps);
    console.log(
      `round ${round} ${name.padEnd(17)} one call per string ${each.toFixed(0).padStart(4)} ns, ` +
        `bulk ${inBulk.toFixed(0).padStart(4)} ns (${(inBulk / each).toFixed(2)}×)`,
    );
  }
}
