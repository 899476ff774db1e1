import { DuckDBTableFunction, type DuckDBConnection } from '@duckdb/node-api';
import type { Span } from '../../model/span.ts';
import type { OriginBatch, OriginRegistry } from './origin-registry.ts';
import { SPAN_COLUMN_TYPES } from './schema.ts';
import { CHUNK_ROWS, fillSpanChunk } from './span-encoder.ts';

/**
 * A write batch's spans as a DuckDB table function, so that
 * `INSERT INTO spans SELECT * FROM <name>()` runs on DuckDB's threads (the statement is
 * asynchronous) and calls back into the main thread only to fill each 2,048-row chunk:
 * appending and compressing the rows (an appender's flush, on the main thread) moves to
 * the second core. One per writer connection; holds one batch at a time.
 */
export class SpanInsertSource {
  readonly name: string;
  #spans: readonly Span[] = [];
  #order: Uint32Array = new Uint32Array(0);
  #next = 0;
  #origins: OriginRegistry | undefined;
  #batch: OriginBatch | undefined;

  private constructor(name: string) {
    this.name = name;
  }

  /** Registers the table function `name` on `connection`. */
  static register(connection: DuckDBConnection, name: string): SpanInsertSource {
    const source = new SpanInsertSource(name);
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name,
        bindFunction: (info) => {
          for (let i = 0; i < SPAN_COLUMN_TYPES.length; i++)
            info.addResultColumn(`c${i}`, SPAN_COLUMN_TYPES[i]);
        },
        initFunction: () => undefined,
        mainFunction: (info, output) => {
          try {
            source.#fill(output);
          } catch (err) {
            output.rowCount = 0;
            info.setError(`encode spans: ${String(err)}`);
          }
        },
      }),
    );
    return source;
  }

  /** Inserts `spans[order[..]]` in the connection's open transaction. */
  async insert(
    connection: DuckDBConnection,
    spans: readonly Span[],
    order: Uint32Array,
    origins: OriginRegistry,
    batch: OriginBatch,
  ): Promise<void> {
    this.#spans = spans;
    this.#order = order;
    this.#next = 0;
    this.#origins = origins;
    this.#batch = batch;
    try {
      await connection.run(`INSERT INTO spans SELECT * FROM ${this.name}()`);
    } finally {
      this.#spans = [];
      this.#origins = undefined;
      this.#batch = undefined;
    }
  }

  #fill(output: Parameters<typeof fillSpanChunk>[0]): void {
    const from = this.#next;
    const to = Math.min(this.#spans.length, from + CHUNK_ROWS);
    if (to <= from || this.#origins === undefined) {
      output.rowCount = 0;
      return;
    }
    fillSpanChunk(output, this.#spans, this.#order, from, to, this.#origins, this.#batch!);
    this.#next = to;
  }
}
