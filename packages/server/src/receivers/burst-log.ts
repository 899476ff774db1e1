import type { Logger } from 'pino';

/** A burst still going after this long is summarised and a new one begins. */
const MAX_BURST_MS = 60_000;

/**
 * Logs a recurring problem once per burst instead of once per occurrence (a
 * sender spraying bad UDP packets must not flood the log): the first occurrence
 * is logged with its error, later ones are counted, and the count is logged when
 * the burst ends (the next success) or after a minute of continuous trouble.
 * Metrics still count every occurrence; this only limits log lines.
 */
export class BurstLog {
  readonly #logger: Logger;
  readonly #what: string;
  #count = 0;
  #startedAt = 0;

  /** `what` names the problem in the summary line, e.g. "malformed packets". */
  constructor(logger: Logger, what: string) {
    this.#logger = logger;
    this.#what = what;
  }

  /** One more occurrence; `err` and `message` are logged if it starts a burst. */
  problem(err: unknown, message: string): void {
    const now = Date.now();
    if (this.#count > 0 && now - this.#startedAt >= MAX_BURST_MS) this.#summarise();
    if (this.#count === 0) {
      this.#startedAt = now;
      this.#logger.warn({ err }, message);
    }
    this.#count++;
  }

  /** The problem did not happen this time: ends a burst. */
  ok(): void {
    if (this.#count > 0) this.#summarise();
  }

  #summarise(): void {
    if (this.#count > 1) {
      const seconds = Math.round((Date.now() - this.#startedAt) / 1000);
      this.#logger.warn(
        { count: this.#count, seconds },
        `${this.#count} ${this.#what} in ${seconds}s`,
      );
    }
    this.#count = 0;
  }
}
