import { isSkeinError, StorageBusyError, StorageError } from '../../errors.ts';
import type { SkeinError } from '../../errors.ts';

/** Seconds a client is told to wait after DuckDB ran out of memory for a read. */
const OUT_OF_MEMORY_RETRY_SECONDS = 2;

/** DuckDB's messages when a statement cannot get memory under `memory_limit`. */
const OUT_OF_MEMORY = /Out of Memory Error|failed to allocate|could not allocate/i;

/**
 * The coded error a failed read rejects with: a coded error thrown by the read itself
 * as is, DuckDB's out-of-memory as {@link StorageBusyError} (503, retry later), any
 * other engine failure as {@link StorageError}. The engine's text stays in the
 * error's message and cause, for the server log; the query API answers with the
 * error's code and operation only.
 */
export function readError(operation: string, err: unknown): SkeinError {
  if (isSkeinError(err)) return err;
  const text = String(err);
  if (OUT_OF_MEMORY.test(text)) {
    return new StorageBusyError([operation], {
      cause: err,
      retryAfterSeconds: OUT_OF_MEMORY_RETRY_SECONDS,
    });
  }
  return new StorageError([operation, text], { cause: err });
}
