import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The processor chain's Prometheus metrics, one series per processor (label
 * `processor`, its config key). For every processor, `in = out + dropped`;
 * `changed` counts spans it modified and passed on.
 */
export class ProcessorMetrics {
  readonly spansIn: Counter<'processor'>;
  readonly spansOut: Counter<'processor'>;
  readonly spansChanged: Counter<'processor'>;
  readonly spansDropped: Counter<'processor' | 'reason'>;
  readonly seconds: Counter<'processor'>;
  readonly errors: Counter<'processor'>;
  readonly bufferTraces: Gauge;
  readonly bufferSpans: Gauge;
  readonly bufferHeldBytes: Gauge;
  readonly bufferReleased: Counter<'reason'>;
  readonly bufferLateSpans: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.spansIn = new Counter({
      name: 'skein_processor_spans_in_total',
      help: 'Spans a processor was given.',
      labelNames: ['processor'],
      registers,
    });
    this.spansOut = new Counter({
      name: 'skein_processor_spans_out_total',
      help: 'Spans a processor passed on.',
      labelNames: ['processor'],
      registers,
    });
    this.spansChanged = new Counter({
      name: 'skein_processor_spans_changed_total',
      help: 'Spans a processor modified (e.g. redacted) and passed on.',
      labelNames: ['processor'],
      registers,
    });
    this.spansDropped = new Counter({
      name: 'skein_processor_spans_dropped_total',
      help: 'Spans a processor dropped on purpose, by reason.',
      labelNames: ['processor', 'reason'],
      registers,
    });
    this.seconds = new Counter({
      name: 'skein_processor_seconds_total',
      help: 'Time spent in a processor (its share of the ingest CPU).',
      labelNames: ['processor'],
      registers,
    });
    this.errors = new Counter({
      name: 'skein_processor_errors_total',
      help: 'Batches a processor failed on (a bug: the batch was passed on unchanged and the error logged).',
      labelNames: ['processor'],
      registers,
    });
    this.bufferTraces = new Gauge({
      name: 'skein_trace_buffer_traces',
      help: 'Traces being assembled in the trace buffer.',
      registers,
    });
    this.bufferSpans = new Gauge({
      name: 'skein_trace_buffer_spans',
      help: 'Spans in the trace buffer (as compact digests).',
      registers,
    });
    this.bufferHeldBytes = new Gauge({
      name: 'skein_trace_buffer_held_bytes',
      help: 'Encoded bytes of the spans held back until their trace is decided (tail sampling).',
      registers,
    });
    this.bufferReleased = new Counter({
      name: 'skein_trace_buffer_released_total',
      help: 'Traces released by the trace buffer: idle (assembled), evicted (buffer full, released early), shutdown.',
      labelNames: ['reason'],
      registers,
    });
    this.bufferLateSpans = new Counter({
      name: 'skein_trace_buffer_late_spans_total',
      help: 'Spans that arrived after their trace was released.',
      registers,
    });
  }
}
