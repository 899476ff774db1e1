/**
 * A per-query memory budget for reads: the reader charges an estimate of each span's
 * answer size (about its Jaeger JSON size) as it decodes, and stops once the total
 * would pass `maxBytes`, so a query never holds much more than its budget however big
 * the stored trace or however large the search limit.
 *
 * Owned by one query; not shared between concurrent queries. A reader given a budget
 * rejects with `AnswerTooLargeError` when one trace alone is over it, and cuts a
 * search short (setting `truncated`) when the traces found so far fill it.
 */
export class ReadBudget {
  private usedBytes = 0;
  /** True once a read stopped early because of this budget (search results cut short). */
  truncated = false;

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Adds `bytes`; false when the total is now over the budget. */
  charge(bytes: number): boolean {
    this.usedBytes += bytes;
    return this.usedBytes <= this.maxBytes;
  }

  /** Gives back what a read decoded and then dropped (a search group cut short). */
  refund(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}
