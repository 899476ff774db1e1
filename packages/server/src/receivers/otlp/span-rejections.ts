/**
 * Tally of the spans a decoder leaves out of its result, for OTLP `partial_success`.
 *
 * Only the first reason is kept: one bad exporter usually fails the same way for
 * every span, and the client needs one concrete example, not thousands.
 */
export class SpanRejections {
  count = 0;
  private firstReason = '';

  /** Records one rejected span; `reason` names the span and what is wrong with it. */
  reject(reason: string): void {
    if (this.count === 0) this.firstReason = reason;
    this.count++;
  }

  /** '' when nothing was rejected, else e.g. "2 spans rejected: span 3 has trace id ...". */
  message(): string {
    if (this.count === 0) return '';
    return `${this.count} ${this.count === 1 ? 'span' : 'spans'} rejected: ${this.firstReason}`;
  }
}
