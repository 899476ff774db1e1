/**
 * Where a DuckDB file's bytes go, per column of one table: pragma_storage_info's
 * segments, each sized by the distance to the next segment in its block (the last one
 * to the end of the 256 KiB block), plus whole overflow blocks (long strings).
 * An estimate (free space at a block's end counts toward its last segment).
 *
 *   node --import tsx bench/duckdb-column-bytes.ts <file.duckdb> [table] [rows]
 */
import { DuckDBInstance } from '@duckdb/node-api';

const BLOCK = 262_144;

/** Estimated bytes per column (validity and list children folded into their column), largest first. */
export async function columnBytes(file: string, table = 'spans'): Promise<[string, number][]> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  const result = await c.runAndReadAll(
    `SELECT column_name, block_id, block_offset, additional_block_ids::VARCHAR
       FROM pragma_storage_info('${table.replace(/'/g, "''")}') WHERE block_id >= 0`,
  );
  const rows = result.getRows().map((r) => ({
    column: String(r[0]),
    block: Number(r[1]),
    offset: Number(r[2]),
    extra: String(r[3]) === '[]' ? 0 : String(r[3]).split(',').length,
  }));
  c.closeSync();
  db.closeSync();
  const byBlock = new Map<number, typeof rows>();
  for (const r of rows) {
    const list = byBlock.get(r.block) ?? [];
    list.push(r);
    byBlock.set(r.block, list);
  }
  const sizes = new Map<string, number>();
  for (const list of byBlock.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < list.length; i++) {
      const end = i + 1 < list.length ? list[i + 1].offset : BLOCK;
      const r = list[i];
      sizes.set(r.column, (sizes.get(r.column) ?? 0) + end - r.offset + r.extra * BLOCK);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, table = 'spans', rowsArg] = process.argv.slice(2);
  const rows = Number(rowsArg ?? 1);
  let total = 0;
  for (const [column, bytes] of await columnBytes(file, table)) {
    total += bytes;
    console.log(`  ${column.padEnd(14)} ${(bytes / rows).toFixed(1).padStart(7)}`);
  }
  console.log(`  ${'total'.padEnd(14)} ${(total / rows).toFixed(1).padStart(7)}`);
}
