import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';

export interface ConnectionOptions {
  /** HTTP urls of the nodes to talk to, in order of preference. */
  urls: readonly string[];
  username: string;
  password: string;
  /** Per-request timeout, ms. */
  requestTimeoutMs: number;
}

/**
 * Settings sent with every request. `in_order` makes reads and writes prefer the first
 * live replica of each shard in the cluster's order, so a read right after a write
 * sees it (the write was acknowledged by that replica) while both replicas are up.
 */
const COMMON_SETTINGS: ClickHouseSettings = { load_balancing: 'in_order' };

/** Errors that say the node was not reached (or went away): the next node is tried. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_SOCKET'
  ) {
    return true;
  }
  const message = String((err as Error)?.message ?? '');
  return /socket hang up|ECONNREFUSED|ECONNRESET|Timeout error|other side closed/i.test(message);
}

/**
 * What the store needs from ClickHouse: JSONEachRow selects, statements, JSONEachRow
 * inserts. {@link ClickHouseConnection} is the production one (HTTP); a test may pass
 * another (chdb-conformance.test.ts runs the suites on an embedded modern ClickHouse).
 *
 * Contract: `select` resolves to the rows as objects (64-bit integers may be strings);
 * `insert` resolves once the rows are stored and a repeated identical insert may be
 * dropped as a duplicate; every method rejects with the server's error.
 */
export interface ClickHouseTransport {
  select<T>(query: string, settings?: ClickHouseSettings): Promise<T[]>;
  /**
   * Streams a SELECT's rows to `onRow` as they arrive; `onRow` returning false stops
   * the read (the rest is not fetched). Never retried once a row was delivered.
   */
  selectEach<T>(query: string, onRow: (row: T) => boolean): Promise<void>;
  command(query: string, settings?: ClickHouseSettings): Promise<void>;
  insert(table: string, body: string, settings?: ClickHouseSettings): Promise<void>;
  close(): Promise<void>;
}

/**
 * The nodes Skein talks to: one @clickhouse/client per url. A request goes to the node
 * that answered last; when a node cannot be reached, the next one is tried (each at
 * most once per request), so one node down does not stop reads or writes.
 *
 * Every request states its format (JSONEachRow): 18.16 has no `{param}` binding, so
 * values are literals from sql-literal.ts or row data from span-row.ts.
 */
export class ClickHouseConnection implements ClickHouseTransport {
  private readonly clients: ClickHouseClient[];
  private preferred = 0;

  constructor(private readonly options: ConnectionOptions) {
    if (options.urls.length === 0) throw new TypeError('no ClickHouse url');
    this.clients = options.urls.map((url) =>
      createClient({
        url,
        username: options.username,
        password: options.password,
        request_timeout: options.requestTimeoutMs,
        compression: { request: false, response: false },
        clickhouse_settings: COMMON_SETTINGS,
        // Failures reach the caller as StorageError, which says what failed; no second log line.
        log: { level: ClickHouseLogLevel.OFF },
      }),
    );
  }

  get urls(): readonly string[] {
    return this.options.urls;
  }

  private async withFailover<T>(fn: (client: ClickHouseClient) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let i = 0; i < this.clients.length; i++) {
      const index = (this.preferred + i) % this.clients.length;
      try {
        const result = await fn(this.clients[index]);
        this.preferred = index;
        return result;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Runs a SELECT (without FORMAT) and returns its rows as objects. */
  select<T>(query: string, settings: ClickHouseSettings = {}): Promise<T[]> {
    return this.withFailover(async (client) => {
      const rs = await client.query({
        query,
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      });
      return rs.json<T>();
    });
  }

  selectEach<T>(query: string, onRow: (row: T) => boolean): Promise<void> {
    let delivered = false;
    return this.withFailover(async (client) => {
      try {
        const rs = await client.query({ query, format: 'JSONEachRow' });
        const stream = rs.stream<T>();
        try {
          for await (const rows of stream) {
            for (const row of rows) {
              delivered = true;
              if (!onRow(row.json())) return;
            }
          }
        } finally {
          stream.destroy();
        }
      } catch (err) {
        // Rows already handed over must not be handed over again by a retry elsewhere.
        if (delivered)
          throw Object.assign(new Error(String((err as Error)?.message ?? err)), { cause: err });
        throw err;
      }
    });
  }

  /** Runs a statement that returns nothing (DDL, ALTER). */
  command(query: string, settings: ClickHouseSettings = {}): Promise<void> {
    return this.withFailover(async (client) => {
      await client.command({ query, clickhouse_settings: settings });
    });
  }

  /**
   * Inserts JSONEachRow text (one JSON object per line) into `table`. Retried on the
   * next node after a connection failure: the same bytes make the same blocks, which
   * replicated tables deduplicate, so a retry of a half-done insert stores it once.
   */
  insert(table: string, body: string, settings: ClickHouseSettings = {}): Promise<void> {
    if (body.length === 0) return Promise.resolve();
    return this.withFailover(async (client) => {
      const result = await client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([body]),
        clickhouse_settings: settings,
      });
      // Drain: the response tells success only once read.
      for await (const chunk of result.stream) void chunk;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
