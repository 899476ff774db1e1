/**
 * A token bucket over spans: refilled continuously at `perSecond`, holding at most
 * `burst`. Time is passed in (ms, monotonic), so the caller reads the clock once.
 *
 * A batch larger than the bucket could never pass whole; it is let through when the
 * bucket is full and leaves it in debt, so the long-run rate still holds.
 */
export class TokenBucket {
  readonly perSecond: number;
  readonly burst: number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Tokens now (negative while in debt). */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /**
   * Takes `count` tokens and returns 0, or takes nothing and returns the seconds until
   * the batch would pass (at least 1: Retry-After is whole seconds).
   */
  take(count: number, now: number): number {
    this.#refill(now);
    const need = Math.min(count, this.burst);
    if (this.#tokens >= need) {
      this.#tokens -= count;
      return 0;
    }
    return Math.max(1, Math.ceil((need - this.#tokens) / this.perSecond));
  }

  /** Gives back what `take` took for a batch refused afterwards. */
  refund(count: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + count);
  }

  #refill(now: number): void {
    const elapsed = now - this.#at;
    if (elapsed <= 0) return;
    this.#at = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.perSecond) / 1000);
  }
}
