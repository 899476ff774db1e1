import type { Span } from '../../model/span.ts';
import type { DedupeMetrics } from './dedupe-metrics.ts';
import { FingerprintWindow } from './fingerprint-window.ts';
import { fingerprintSpan, type Fingerprint } from './span-fingerprint.ts';

/**
 * Passes each span once: a span whose fingerprint (`fingerprintSpan`: tenant, ids,
 * name, kind, service, parent, start, duration, status) is among the last `windowSpans`
 * distinct ones passed is dropped as a re-send (a retrying exporter, an
 * at-least-once buffer). Zipkin's shared client/server spans differ in kind and
 * service, so both pass.
 *
 * Contract:
 * - `filter` returns `spans` itself when none was a duplicate (no allocation), else a
 *   new array of the first copies, in order. A span repeated within one batch passes once.
 * - A span passed is remembered at once: call `filter` only on spans the pipeline has
 *   accepted (after any refusal), or a client's retry of a refused batch would be
 *   dropped.
 * - Bounded: memory is fixed at construction (`FingerprintWindow.bytesFor`); a
 *   re-send arriving after `windowSpans` other spans passes again (the stores'
 *   read-side dedupe keeps answers right then).
 * - Synchronous, allocation-light, never throws because of span content.
 */
export class DedupeFilter {
  readonly #window: FingerprintWindow;
  readonly #metrics: DedupeMetrics | undefined;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  /** Duplicates dropped since this filter was made. */
  duplicates = 0;

  constructor(windowSpans: number, metrics?: DedupeMetrics) {
    this.#window = new FingerprintWindow(windowSpans);
    this.#metrics = metrics;
  }

  /** Fingerprints remembered now. */
  get remembered(): number {
    return this.#window.count;
  }

  filter(spans: Span[]): Span[] {
    const window = this.#window;
    const fp = this.#fp;
    let out: Span[] | undefined;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      fingerprintSpan(span, fp);
      if (window.add(fp.hi, fp.lo)) {
        if (out !== undefined) out.push(span);
      } else if (out === undefined) {
        out = spans.slice(0, i);
      }
    }
    if (out === undefined) return spans;
    const dropped = spans.length - out.length;
    this.duplicates += dropped;
    this.#metrics?.spansDeduplicated.inc(dropped);
    return out;
  }
}
