/** Sources remembered at most; beyond it the oldest window is forgotten first. */
const MAX_SOURCES = 10_000;
const WINDOW_MS = 60_000;

interface Window {
  start: number;
  failures: number;
}

/**
 * Failed authentications per client address in fixed one-minute windows. An
 * address that failed more than `limit` times is blocked until its window ends.
 * Memory is bounded: at most MAX_SOURCES addresses, oldest forgotten first.
 */
export class FailedAttempts {
  readonly #limit: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(limit: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#now = now;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Seconds until `source` may try again, or 0 when it is not blocked. */
  blockedFor(source: string): number {
    const w = this.#windows.get(source);
    if (w === undefined || w.failures <= this.#limit) return 0;
    const left = w.start + WINDOW_MS - this.#now();
    if (left <= 0) {
      this.#windows.delete(source);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** Counts one failure of `source`. */
  fail(source: string): void {
    const now = this.#now();
    let w = this.#windows.get(source);
    if (w !== undefined && now - w.start >= WINDOW_MS) {
      this.#windows.delete(source);
      w = undefined;
    }
    if (w === undefined) {
      if (this.#windows.size >= MAX_SOURCES) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      w = { start: now, failures: 0 };
      this.#windows.set(source, w);
    }
    w.failures++;
  }
}
