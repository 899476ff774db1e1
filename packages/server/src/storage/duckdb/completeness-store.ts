import { BIGINT, LIST, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { InvalidParameterError, StorageError } from '../../errors.ts';
import {
  BREAK_CAUSES,
  COMPLETENESS_EXAMPLES,
  COMPLETENESS_MINUTE,
  COMPLETENESS_TOP_PAIRS,
  MAX_COMPLETENESS_POINTS,
} from '../completeness-reader.ts';
import type {
  BreakCounts,
  BreakExample,
  BreakPair,
  CauseCompleteness,
  CompletenessCounts,
  CompletenessPoint,
  CompletenessQuery,
  CompletenessReport,
  EdgeCompleteness,
  RootServiceCompleteness,
  ServiceCompleteness,
} from '../completeness-reader.ts';
import type { BreakCause, CompletenessDelta } from '../completeness-writer.ts';
import type { PurgeScope } from '../storage.ts';
import { purgeScopeSql } from './purge-scope.ts';
import type { ReadConnection } from './span-metrics-store.ts';

const MINUTE = COMPLETENESS_MINUTE;
const MINUTE_BIG = BigInt(MINUTE);
const LIST_VARCHAR = LIST(VARCHAR);

/**
 * The `completeness_*` tables (see schema.ts): appends the completeness processor's
 * delta rows and answers `CompletenessReader` queries by summing them per key in SQL.
 *
 * Writes run on the store's own connection, one at a time (the caller serialises them);
 * reads borrow the pool's connections. Every value from a query is a bound parameter;
 * the only SQL that varies is whether the service condition is present.
 */
export class CompletenessStore {
  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly read: ReadConnection,
  ) {}

  /** A connection for writes on `instance` (whose `skein` database holds the tables). */
  static async open(instance: DuckDBInstance, read: ReadConnection): Promise<CompletenessStore> {
    const c = await instance.connect();
    await c.run('USE skein');
    return new CompletenessStore(c, read);
  }

  /** Appends every row of the delta in one transaction: all of them or, on failure, none. */
  async write(delta: CompletenessDelta): Promise<void> {
    const { roots, services, edges, breaks } = delta;
    if (roots.length + services.length + edges.length + breaks.length === 0) return;
    const c = this.connection;
    try {
      await c.run('BEGIN TRANSACTION');
      if (roots.length > 0) {
        const a = await c.createAppender('completeness_roots');
        try {
          for (const r of roots) {
            a.appendBigInt(BigInt(r.minute));
            a.appendVarchar(r.rootService);
            a.appendBigInt(BigInt(r.traces));
            a.appendBigInt(BigInt(r.complete));
            a.appendVarchar(r.tenant);
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      if (services.length > 0) {
        const a = await c.createAppender('completeness_services');
        try {
          for (const r of services) {
            a.appendBigInt(BigInt(r.minute));
            a.appendVarchar(r.service);
            a.appendBigInt(BigInt(r.spans));
            a.appendBigInt(BigInt(r.spansInComplete));
            a.appendVarchar(r.tenant);
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      if (edges.length > 0) {
        const a = await c.createAppender('completeness_edges');
        try {
          for (const r of edges) {
            a.appendBigInt(BigInt(r.minute));
            a.appendVarchar(r.caller);
            a.appendVarchar(r.callee);
            a.appendBigInt(BigInt(r.calls));
            a.appendBigInt(BigInt(r.answered));
            a.appendVarchar(r.tenant);
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      if (breaks.length > 0) {
        const a = await c.createAppender('completeness_breaks');
        try {
          for (const r of breaks) {
            a.appendBigInt(BigInt(r.minute));
            a.appendVarchar(r.cause);
            a.appendVarchar(r.service);
            a.appendVarchar(r.peer);
            a.appendBigInt(BigInt(r.count));
            a.appendList(r.examples, LIST_VARCHAR);
            a.appendVarchar(r.tenant);
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      await c.run('COMMIT');
    } catch (err) {
      try {
        await c.run('ROLLBACK');
      } catch {
        // BEGIN itself failed: nothing to roll back; the write's own error is reported.
      }
      throw new StorageError(['write completeness aggregates', String(err)], { cause: err });
    }
  }

  /** Deletes the minutes that ended at or before `cutoff` (µs), on the purge's connection and transaction. */
  static async purge(c: DuckDBConnection, cutoff: bigint, scope?: PurgeScope): Promise<void> {
    const only = purgeScopeSql(scope, 2);
    for (const table of TABLES) {
      await c.run(
        `DELETE FROM ${table} WHERE minute <= $1${only.sql}`,
        [cutoff - MINUTE_BIG, ...only.values],
        [BIGINT, ...only.types],
      );
    }
  }

  async completeness(q: CompletenessQuery): Promise<CompletenessReport> {
    const plan = planQuery(q);
    if (plan === undefined) return emptyReport();
    const service = q.service;
    const values: DuckDBValue[] = [BigInt(plan.fromMinute), BigInt(plan.toMinute), q.tenant];
    const types: DuckDBType[] = [BIGINT, BIGINT, VARCHAR];
    if (service !== undefined) {
      values.push(service);
      types.push(VARCHAR);
    }
    const where = (condition: string): string =>
      service === undefined ? WINDOW : `${WINDOW} AND (${condition})`;
    const rows = await this.read('read completeness', async (c) => {
      const all = async (sql: string, extra: DuckDBValue[] = [], extraTypes: DuckDBType[] = []) =>
        (
          await c.runAndReadAll(sql, [...values, ...extra], [...types, ...extraTypes])
        ).getRowsJS() as unknown[][];
      const n = values.length;
      return {
        roots: await all(`
          SELECT root_service, sum(traces)::DOUBLE, sum(complete)::DOUBLE
          FROM completeness_roots WHERE ${where('root_service = $4')}
          GROUP BY root_service`),
        minutes: await all(`
          SELECT minute, sum(traces)::DOUBLE, sum(complete)::DOUBLE
          FROM completeness_roots WHERE ${where('root_service = $4')}
          GROUP BY minute ORDER BY minute`),
        services: await all(`
          SELECT service, sum(spans)::DOUBLE, sum(spans_in_complete)::DOUBLE
          FROM completeness_services WHERE ${where('service = $4')}
          GROUP BY service`),
        edges: await all(`
          SELECT caller, callee, sum(calls)::DOUBLE, sum(answered)::DOUBLE
          FROM completeness_edges WHERE ${where('caller = $4 OR callee = $4')}
          GROUP BY caller, callee`),
        breaks: await all(`
          SELECT cause, service, peer, sum(count)::DOUBLE
          FROM completeness_breaks WHERE ${where('service = $4 OR peer = $4')}
          GROUP BY cause, service, peer`),
        examples: await all(
          `
          WITH ex AS (
            SELECT cause, service, peer, minute, count >= 0 AS added, unnest(examples) AS example
            FROM completeness_breaks
            WHERE ${where('service = $4 OR peer = $4')} AND len(examples) > 0
          ),
          withdrawn AS (SELECT DISTINCT cause, service, peer, example FROM ex WHERE NOT added),
          latest AS (
            SELECT cause, service, peer, example, max(minute) AS minute
            FROM ex WHERE added GROUP BY cause, service, peer, example
          ),
          ranked AS (
            SELECT l.cause, l.service, l.peer, l.example, l.minute,
                   row_number() OVER (PARTITION BY l.cause, l.service, l.peer
                                      ORDER BY l.minute DESC, l.example) AS rank
            FROM latest l ANTI JOIN withdrawn w
              ON l.cause = w.cause AND l.service = w.service AND l.peer = w.peer
                 AND l.example = w.example
          )
          SELECT cause, service, peer, example, minute FROM ranked
          WHERE rank <= $${n + 1}
          ORDER BY cause, service, peer, rank`,
          [BigInt(COMPLETENESS_EXAMPLES)],
          [BIGINT],
        ),
      };
    });
    return buildReport(q, plan, rows);
  }

  close(): void {
    this.connection.closeSync();
  }
}

const TABLES = [
  'completeness_roots',
  'completeness_services',
  'completeness_edges',
  'completeness_breaks',
] as const;

/** The tenant's minutes overlapping [start, end): `minute > start - 1 min` (i.e. `>= $1`) and `< end`. */
const WINDOW = 'minute >= $1 AND minute < $2 AND tenant = $3';

export interface QueryPlan {
  /** First minute start in the window (inclusive), µs. */
  fromMinute: number;
  /** End of the window (exclusive), µs. */
  toMinute: number;
  /** First and last bucket start of the series, µs. */
  firstBucket: number;
  lastBucket: number;
}

/** Validates the query; undefined when the window is empty. */
export function planQuery(q: CompletenessQuery): QueryPlan | undefined {
  if (!Number.isSafeInteger(q.start) || !Number.isSafeInteger(q.end)) {
    throw new InvalidParameterError(['start', 'and end must be integers (µs since epoch)']);
  }
  if (q.end < q.start) throw new InvalidParameterError(['start', 'must not be after end']);
  if (!Number.isSafeInteger(q.step) || q.step <= 0 || q.step % MINUTE !== 0) {
    throw new InvalidParameterError([
      'step',
      `must be a positive whole number of minutes, got ${q.step / 1e6} s`,
    ]);
  }
  if (q.end === q.start) return undefined;
  // Minutes are aligned to the epoch, so the first one overlapping the window is the
  // one holding `start`, and the last is the one holding `end - 1`.
  const fromMinute = floorTo(q.start, MINUTE);
  const lastMinute = floorTo(q.end - 1, MINUTE);
  const firstBucket = floorTo(fromMinute, q.step);
  const lastBucket = floorTo(lastMinute, q.step);
  const points = (lastBucket - firstBucket) / q.step + 1;
  if (points > MAX_COMPLETENESS_POINTS) {
    throw new InvalidParameterError([
      'step',
      `gives ${points} points over the window, more than ${MAX_COMPLETENESS_POINTS}: use a larger step or a shorter window`,
    ]);
  }
  return { fromMinute, toMinute: q.end, firstBucket, lastBucket };
}

function floorTo(t: number, unit: number): number {
  return Math.floor(t / unit) * unit;
}

function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function counts(traces: number, complete: number): CompletenessCounts {
  return { traces, complete, rate: rate(complete, traces) };
}

export function emptyReport(): CompletenessReport {
  return {
    summary: counts(0, 0),
    rootServices: [],
    services: [],
    edges: [],
    causes: [],
    series: [],
  };
}

function isIncomplete(cause: string): boolean {
  return BREAK_CAUSES[cause as BreakCause]?.incomplete ?? true;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `traceId` or `traceId>otherTraceId`, as the writer stores them. */
function parseExample(example: string): BreakExample {
  const gt = example.indexOf('>');
  return gt < 0
    ? { traceId: example }
    : { traceId: example.slice(0, gt), otherTraceId: example.slice(gt + 1) };
}

export interface ReportRows {
  roots: unknown[][];
  minutes: unknown[][];
  services: unknown[][];
  edges: unknown[][];
  breaks: unknown[][];
  examples: unknown[][];
}

export function buildReport(
  q: CompletenessQuery,
  plan: QueryPlan,
  rows: ReportRows,
): CompletenessReport {
  let traces = 0;
  let complete = 0;
  const rootServices: RootServiceCompleteness[] = [];
  for (const [service, t, c] of rows.roots as [string, number, number][]) {
    traces += t;
    complete += c;
    if (t === 0 && c === 0) continue;
    rootServices.push({ service, ...counts(t, c) });
  }
  rootServices.sort(
    (a, b) => b.traces - b.complete - (a.traces - a.complete) || compareText(a.service, b.service),
  );

  const series: CompletenessPoint[] = [];
  const byBucket = new Map<number, CompletenessPoint>();
  for (let t = plan.firstBucket; t <= plan.lastBucket; t += q.step) {
    const point = { time: t, traces: 0, complete: 0, rate: null };
    series.push(point);
    byBucket.set(t, point);
  }
  for (const [minute, t, c] of rows.minutes as [bigint, number, number][]) {
    const point = byBucket.get(floorTo(Number(minute), q.step));
    if (point === undefined) continue;
    point.traces += t;
    point.complete += c;
  }
  for (const point of series) point.rate = rate(point.complete, point.traces);

  // Breaks per key; examples per key, newest first (the SQL's order within a key).
  const examplesByKey = new Map<string, { example: string; minute: number }[]>();
  for (const [cause, service, peer, example, minute] of rows.examples as [
    string,
    string,
    string,
    string,
    bigint,
  ][]) {
    const key = breakKey(cause, service, peer);
    let list = examplesByKey.get(key);
    if (list === undefined) examplesByKey.set(key, (list = []));
    list.push({ example, minute: Number(minute) });
  }
  const serviceBreaks = new Map<string, BreakCounts>();
  const edgeBreaks = new Map<string, BreakCounts>();
  const causes = new Map<
    string,
    { cause: CauseCompleteness; pairs: BreakPair[]; recent: { example: string; minute: number }[] }
  >();
  for (const [cause, service, peer, count] of rows.breaks as [string, string, string, number][]) {
    if (count === 0) continue;
    const recent = examplesByKey.get(breakKey(cause, service, peer)) ?? [];
    addCount(serviceBreaks, service, cause, count);
    if (peer !== '') addCount(edgeBreaks, edgeKey(service, peer), cause, count);
    let entry = causes.get(cause);
    if (entry === undefined) {
      entry = {
        cause: {
          cause: cause as BreakCause,
          incomplete: isIncomplete(cause),
          count: 0,
          top: [],
          examples: [],
        },
        pairs: [],
        recent: [],
      };
      causes.set(cause, entry);
    }
    entry.cause.count += count;
    entry.pairs.push({
      service,
      peer,
      count,
      examples: recent.map((e) => parseExample(e.example)),
    });
    entry.recent.push(...recent);
  }
  const causeList: CauseCompleteness[] = [];
  for (const { cause, pairs, recent } of causes.values()) {
    if (cause.count === 0) continue;
    pairs.sort(
      (a, b) =>
        b.count - a.count || compareText(a.service, b.service) || compareText(a.peer, b.peer),
    );
    cause.top = pairs.slice(0, COMPLETENESS_TOP_PAIRS);
    recent.sort((a, b) => b.minute - a.minute || compareText(a.example, b.example));
    const seen = new Set<string>();
    for (const e of recent) {
      const example = parseExample(e.example);
      if (seen.has(example.traceId)) continue;
      seen.add(example.traceId);
      cause.examples.push(example);
      if (cause.examples.length === COMPLETENESS_EXAMPLES) break;
    }
    causeList.push(cause);
  }
  causeList.sort((a, b) => b.count - a.count || compareText(a.cause, b.cause));

  const services: ServiceCompleteness[] = [];
  const listed = new Set<string>();
  for (const [service, spans, inComplete] of rows.services as [string, number, number][]) {
    const breaks = serviceBreaks.get(service) ?? {};
    if (spans === 0 && inComplete === 0 && Object.keys(breaks).length === 0) continue;
    listed.add(service);
    services.push(serviceRow(service, spans, inComplete, breaks));
  }
  for (const [service, breaks] of serviceBreaks) {
    if (listed.has(service) || (q.service !== undefined && service !== q.service)) continue;
    services.push(serviceRow(service, 0, 0, breaks));
  }
  services.sort(
    (a, b) =>
      b.breakCount - a.breakCount ||
      b.spans - b.spansInComplete - (a.spans - a.spansInComplete) ||
      compareText(a.service, b.service),
  );

  const edges: EdgeCompleteness[] = [];
  for (const [caller, callee, calls, answered] of rows.edges as [
    string,
    string,
    number,
    number,
  ][]) {
    if (calls === 0 && answered === 0) continue;
    const breaks = edgeBreaks.get(edgeKey(caller, callee)) ?? {};
    const edgeCauses: BreakCounts = {};
    for (const [cause, n] of Object.entries(breaks) as [BreakCause, number][]) {
      if (cause !== 'fragment') edgeCauses[cause] = n;
    }
    edges.push({
      caller,
      callee,
      calls,
      answered,
      rate: rate(answered, calls),
      breaks: edgeCauses,
      breakCount: incompleteCount(edgeCauses),
    });
  }
  edges.sort(
    (a, b) =>
      b.breakCount - a.breakCount ||
      b.calls - b.answered - (a.calls - a.answered) ||
      compareText(a.caller, b.caller) ||
      compareText(a.callee, b.callee),
  );

  return {
    summary: counts(traces, complete),
    rootServices,
    services,
    edges,
    causes: causeList,
    series,
  };
}

function serviceRow(
  service: string,
  spans: number,
  spansInComplete: number,
  breaks: BreakCounts,
): ServiceCompleteness {
  return {
    service,
    spans,
    spansInComplete,
    rate: rate(spansInComplete, spans),
    breaks,
    breakCount: incompleteCount(breaks),
  };
}

function incompleteCount(breaks: BreakCounts): number {
  let n = 0;
  for (const [cause, count] of Object.entries(breaks)) if (isIncomplete(cause)) n += count;
  return n;
}

function addCount(map: Map<string, BreakCounts>, key: string, cause: string, count: number): void {
  let c = map.get(key);
  if (c === undefined) map.set(key, (c = {}));
  const k = cause as BreakCause;
  const sum = (c[k] ?? 0) + count;
  // Corrections on two keys may cancel out: a zero count is left out, as the contract says.
  if (sum === 0) delete c[k];
  else c[k] = sum;
}

function breakKey(cause: string, service: string, peer: string): string {
  return cause + '\u0000' + service + '\u0000' + peer;
}

function edgeKey(caller: string, callee: string): string {
  return caller + '\u0000' + callee;
}
