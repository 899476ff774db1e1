import type { Span } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';

/**
 * Tally of the spans a decoder leaves out of its result, for OTLP `partial_success`.
 *
 * Only the first reason is kept: one bad exporter usually fails the same way for
 * every span, and the client needs one concrete example, not thousands.
 */
export class SpanRejections {
  count = 0;
  /** Of `count`, the spans rejected for their times (span-times.ts). */
  timeCount = 0;
  private firstReason = '';

  /** Records one rejected span; `reason` names the span and what is wrong with it. */
  reject(reason: string): void {
    if (this.count === 0) this.firstReason = reason;
    this.count++;
  }

  /** Records one span rejected for its start time or duration. */
  rejectTime(reason: string): void {
    this.reject(reason);
    this.timeCount++;
  }

  /** '' when nothing was rejected, else e.g. "2 spans rejected: span 3 has trace id ...". */
  message(): string {
    if (this.count === 0) return '';
    return `${this.count} ${this.count === 1 ? 'span' : 'spans'} rejected: ${this.firstReason}`;
  }

  /** A decoder's result: `spans` and these rejections (`invalidTimeSpans` only when some were). */
  result(spans: Span[]): DecodeResult {
    const result: DecodeResult = {
      spans,
      rejectedSpans: this.count,
      errorMessage: this.message(),
    };
    if (this.timeCount > 0) result.invalidTimeSpans = this.timeCount;
    return result;
  }
}
