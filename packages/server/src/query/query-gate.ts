import { QueryBusyError } from '../errors.ts';

export interface QueryGateOptions {
  /** Heavy queries running at once. */
  maxConcurrent: number;
  /** Queries waiting for a turn; one more is refused at once. */
  maxQueued: number;
  /** Longest wait for a turn, ms; a query still waiting then is refused. */
  queueTimeoutMs: number;
}

/** Seconds a refused client is told to wait: long enough for a turn to free up. */
const RETRY_AFTER_SECONDS = 1;

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Admission for heavy queries (trace reads, searches, dependencies, transforms): at
 * most `maxConcurrent` run; up to `maxQueued` more wait in FIFO order for at most
 * `queueTimeoutMs`. Beyond that `run` rejects at once with {@link QueryBusyError}
 * (503, Retry-After), before any storage work or memory is spent, so the memory held
 * by running queries is bounded by `maxConcurrent` × the per-query budget.
 *
 * One gate is shared by every query app of a process (the query port and the
 * Jaeger UI port read the same store).
 */
export class QueryGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private refusedCount = 0;

  constructor(private readonly options: QueryGateOptions) {}

  /** Queries running now. */
  get active(): number {
    return this.running;
  }

  /** Queries waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queries refused since the gate was made. */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * Runs `fn` when a turn is free and releases the turn when it settles.
   * @throws QueryBusyError (with `retryAfterSeconds`) when the queue is full or the
   * wait exceeded `queueTimeoutMs`; `fn` is then never called.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Takes a turn for work that does not fit one function (a request whose body is read
   * only once it has its turn); resolves with the function that gives it back, which
   * may be called more than once (only the first call counts).
   * @throws QueryBusyError as {@link run} does.
   */
  async enter(): Promise<() => void> {
    await this.acquire();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release();
    };
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueued) {
      this.refusedCount++;
      return Promise.reject(
        new QueryBusyError([`${this.running} queries running and ${this.queue.length} waiting`], {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          this.refusedCount++;
          reject(
            new QueryBusyError(
              [
                `waited ${this.options.queueTimeoutMs} ms for one of ${this.running} running queries`,
              ],
              { retryAfterSeconds: RETRY_AFTER_SECONDS },
            ),
          );
        }, this.options.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next === undefined) {
      this.running--;
      return;
    }
    // The turn passes straight to the next waiter: `running` stays the same.
    clearTimeout(next.timer);
    next.grant();
  }
}
