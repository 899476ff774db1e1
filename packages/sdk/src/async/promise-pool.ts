import { context } from '@opentelemetry/api';

/**
 * A bounded promise pool that runs each task in the context it was submitted from.
 * Pools that start queued tasks from the completion of an earlier one run them in
 * *that* task's context (a request's database call lands in another request's
 * trace); this one binds each task at `run`.
 */
export class TracedPromisePool {
  readonly #limit: number;
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(concurrency: number) {
    if (!(concurrency >= 1))
      throw new Error(`TracedPromisePool: concurrency ${concurrency} must be ≥ 1`);
    this.#limit = concurrency;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Runs `task` when a slot is free, in the caller's context; resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const bound = context.bind(context.active(), task);
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.#active++;
        bound()
          .then(resolve, reject)
          .finally(() => {
            this.#active--;
            this.#queue.shift()?.();
          });
      };
      if (this.#active < this.#limit) start();
      else this.#queue.push(start);
    });
  }
}
