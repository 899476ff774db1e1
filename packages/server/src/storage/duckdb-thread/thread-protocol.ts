import { errorCatalog } from '../../errors.ts';

/**
 * The messages between `DuckDbThreadStorage` (main thread) and its storage thread
 * (thread-main.ts). Every call is one request with a number; the thread answers each
 * with exactly one reply of the same number, in any order.
 */

/** A storage method called on the thread: its name and structured-cloneable arguments. */
export interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  args: unknown[];
}

/**
 * A write: the spans as span-batches (codecs/span-batch), written as one batch in
 * their order, and the durable intake's receipts.
 */
export interface WriteMessage {
  kind: 'write';
  id: number;
  batches: readonly Uint8Array[];
  receipts: readonly number[] | undefined;
}

/** A read with a `ReadBudget`: what is left of it goes over, what it used comes back. */
export interface BudgetedCallMessage {
  kind: 'budgeted';
  id: number;
  method: 'getTrace' | 'findTraces';
  args: unknown[];
  maxBytes: number;
  /** What the budget had used before this read. */
  used: number;
}

export type ThreadRequest = CallMessage | WriteMessage | BudgetedCallMessage;

/** What a budgeted read used of its budget, for the caller's `ReadBudget`. */
export interface BudgetUse {
  used: number;
  truncated: boolean;
}

/**
 * The answer of `getTrace` / `findTraces`: every trace's spans in one span-batch,
 * transferred (not cloned: a big answer is not copied twice), with each trace's id and
 * span count in order. `single`: the answer is one trace or null (getTrace).
 */
export interface TracesReply {
  kind: 'traces';
  id: number;
  single: boolean;
  traceIds: string[];
  counts: number[];
  batch: Uint8Array | undefined;
  budget?: BudgetUse;
}

/**
 * The thread's V8 heap as an answer reports it (bytes): `used` by live and not yet
 * collected objects, `total` committed, `external` held outside the heap by its objects.
 */
export interface ThreadHeap {
  used: number;
  total: number;
  external: number;
}

export type ThreadReply =
  | { kind: 'result'; id: number; value: unknown; budget?: BudgetUse; heap?: ThreadHeap }
  | TracesReply
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'log'; line: string };

/** An error as it crosses the thread boundary: its class (by code) and own fields. */
export interface WireError {
  name: string;
  message: string;
  stack: string | undefined;
  /** The `SkeinError` code, when it is one: the main thread rebuilds that class. */
  code: string | undefined;
  fields: Record<string, unknown>;
  cause: WireError | undefined;
}

/** The options the thread opens its `DuckDbStorage` with (workerData). */
export interface ThreadOptions {
  path: string;
  memoryLimitMB: number | undefined;
  threads: number | undefined;
  /** pino level name for the thread's log lines (forwarded to the main logger). */
  logLevel: string;
}

const OWN_FIELDS_SKIPPED = new Set(['name', 'message', 'stack', 'cause']);

/** Flattens an error into cloneable parts (fields that are not cloneable are stringified). */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) {
    return {
      name: 'Error',
      message: String(err),
      stack: undefined,
      code: undefined,
      fields: {},
      cause: undefined,
    };
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(err)) {
    if (OWN_FIELDS_SKIPPED.has(key)) continue;
    const v = (err as unknown as Record<string, unknown>)[key];
    fields[key] = v === null || typeof v !== 'object' ? v : String(v);
  }
  const code = (err as { code?: unknown }).code;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    code: typeof code === 'string' ? code : undefined,
    fields,
    cause: err.cause === undefined ? undefined : toWireError(err.cause),
  };
}

/**
 * The error again, on this side: a `SkeinError` of the same class (so `instanceof`
 * and its HTTP/gRPC status hold), or a plain `Error` with the same name and message.
 */
export function fromWireError(wire: WireError): Error {
  const coded =
    wire.code === undefined ? undefined : errorCatalog.find((c) => c.code === wire.code);
  const err: Error =
    coded === undefined ? new Error(wire.message) : Object.create(coded.prototype as object);
  Object.assign(err, wire.fields);
  Object.defineProperty(err, 'message', { value: wire.message, writable: true });
  Object.defineProperty(err, 'name', { value: wire.name, writable: true });
  if (wire.stack !== undefined) {
    Object.defineProperty(err, 'stack', { value: wire.stack, writable: true });
  }
  if (wire.cause !== undefined) {
    Object.defineProperty(err, 'cause', { value: fromWireError(wire.cause), writable: true });
  }
  return err;
}
