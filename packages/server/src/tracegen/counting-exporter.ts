import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * Counts what the real exporter reports, so tracegen's totals are what Skein answered.
 * `onSettled` (optional) sees every batch once the inner exporter answered, success or not.
 */
export class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  lastError = '';
  constructor(
    private readonly inner: SpanExporter,
    private readonly onSettled?: (spans: ReadableSpan[]) => void,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      else {
        this.failed += spans.length;
        this.lastError = result.error?.message ?? 'export failed';
      }
      this.onSettled?.(spans);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
