/**
 * A callback-style library, as many older Node libraries are: `hold()` queues the
 * request and the library answers all queued requests from its own timer, started
 * when the library was created. The callbacks therefore run in the timer's async
 * context, not the caller's: whatever the callback does leaves the caller's trace
 * unless the caller binds it (`bindContext` in @skein/node).
 */
export class StockBook {
  readonly #queue: { sku: string; callback: (err: Error | null, held: boolean) => void }[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(flushMs = 5) {
    this.#timer = setInterval(() => this.#flush(), flushMs);
    this.#timer.unref();
  }

  hold(sku: string, callback: (err: Error | null, held: boolean) => void): void {
    this.#queue.push({ sku, callback });
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #flush(): void {
    for (const { callback } of this.#queue.splice(0)) callback(null, true);
  }
}
