import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * A few read connections over one DuckDB instance. A connection runs one statement
 * at a time, so each caller borrows one for the length of its queries; the rest wait
 * in FIFO order. Reads see the last committed writes (DuckDB MVCC).
 */
export class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly all: DuckDBConnection[] = [];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  private drained: (() => void) | undefined;

  static async create(instance: DuckDBInstance, size: number): Promise<ConnectionPool> {
    const pool = new ConnectionPool();
    for (let i = 0; i < size; i++) {
      const c = await instance.connect();
      await c.run('USE skein');
      pool.all.push(c);
      pool.idle.push(c);
    }
    return pool;
  }

  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c =
      this.idle.pop() ??
      (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(c);
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next(c);
      else this.idle.push(c);
      if (this.drained !== undefined && this.idle.length === this.all.length) this.drained();
    }
  }

  /** Waits for borrowed connections to come back, then closes them all. */
  async close(): Promise<void> {
    if (this.idle.length < this.all.length) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    for (const c of this.all) c.closeSync();
    this.all.length = 0;
    this.idle.length = 0;
  }
}
