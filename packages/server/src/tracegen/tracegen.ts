import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span as ApiSpan,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { BreakSpec } from './break-spec.ts';
import { CountingExporter } from './counting-exporter.ts';
import { LateSpanHolder } from './late-span-holder.ts';
import { plannedServices, type PlannedKind, type PlannedSpan } from './trace-plan.ts';
import { TracePlanner } from './trace-planner.ts';
import type { TruthBreak } from './trace-truth.ts';
import { TruthTally } from './truth-tally.ts';

export type TracegenProtocol = 'grpc' | 'http/protobuf' | 'http/json';

export interface TracegenOptions {
  /** Base endpoint: `http://localhost:4318` for HTTP, `http://localhost:4317` for gRPC. */
  endpoint: string;
  protocol: TracegenProtocol;
  /** Traces per second. */
  rate: number;
  /** Stop after this many traces (0 = no limit). */
  count: number;
  /** Stop after this many seconds (0 = no limit). */
  durationSeconds: number;
  seed: number;
  /** Break injection rules (default none: every trace whole). */
  breaks?: readonly BreakSpec[];
  /** Clock skew per service, in ms (every span of that service shifted). */
  skewMs?: Readonly<Record<string, number>>;
  /** How long after the rest of its trace was exported a late span is sent (default 15000). */
  lateDelayMs?: number;
  /** Called about once a second with the running totals. */
  onProgress?: (p: TracegenProgress) => void;
}

export interface TracegenProgress {
  traces: number;
  spans: number;
  exportedSpans: number;
  failedSpans: number;
  elapsedSeconds: number;
  lastError: string;
  /** Late spans held back, not sent yet. */
  heldLateSpans: number;
}

/** A break tracegen injected, with the trace id it went to (`trace` in the truth). */
export interface InjectedBreak {
  cause: TruthBreak['cause'];
  service: string;
  peer: string;
  traceId: string;
}

/** A split or async break: the call's trace and the trace the callee side went to. */
export interface InjectedSplit {
  cause: 'split_trace' | 'async_break';
  caller: string;
  callee: string;
  /** The trace holding the CLIENT/PRODUCER span. */
  traceId: string;
  clientSpanId: string;
  /** The fragment: the callee's SERVER/CONSUMER span is its root. */
  fragmentTraceId: string;
  fragmentRootSpanId: string;
}

/** What a run sent, and the truth about it. */
export interface TracegenResult extends TracegenProgress {
  /** Summed truth of every planned trace (the traces whose spans were all handed to the SDK). */
  truth: TruthTally;
  /** Every injected break with its trace id (at most `MAX_RECORDED`; `truncated` says when more). */
  injected: InjectedBreak[];
  splits: InjectedSplit[];
  truncated: boolean;
}

/** Bound on the recorded breaks and splits of one run. */
export const MAX_RECORDED = 200_000;

const KINDS: Record<PlannedKind, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

function createExporter(opts: TracegenOptions): SpanExporter {
  const base = opts.endpoint.replace(/\/+$/, '');
  switch (opts.protocol) {
    case 'grpc':
      return new GrpcExporter({ url: base });
    case 'http/json':
      return new JsonExporter({ url: `${base}/v1/traces` });
    default:
      return new ProtoExporter({ url: `${base}/v1/traces` });
  }
}

/**
 * Sends synthetic traces through the OpenTelemetry JS SDK and the real OTLP exporter,
 * one tracer provider per service (each with its own resource), at a steady rate.
 * Resolves with the totals once every span was exported or failed.
 */
export async function runTracegen(
  opts: TracegenOptions,
  signal?: AbortSignal,
): Promise<TracegenResult> {
  const late = new LateSpanHolder(opts.lateDelayMs ?? 15_000);
  const exporter = new CountingExporter(createExporter(opts), (spans) => late.settled(spans));
  const providers = new Map<string, BasicTracerProvider>();
  const tracers = new Map<string, Tracer>();
  for (const service of plannedServices()) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.version': '1.4.2',
        'service.instance.id': `${service}-${Math.floor(opts.seed % 97)}`,
        'deployment.environment.name': 'demo',
        'host.name': `node-${service.length % 3}`,
        'telemetry.sdk.language': 'nodejs',
      }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, {
          maxQueueSize: 100_000,
          maxExportBatchSize: 2048,
          scheduledDelayMillis: 200,
        }),
      ],
    });
    providers.set(service, provider);
    tracers.set(service, provider.getTracer('skein-tracegen', '0.1.0'));
  }

  const planner = new TracePlanner({ seed: opts.seed, breaks: opts.breaks, skewMs: opts.skewMs });
  const record: Recorded = {
    truth: new TruthTally(),
    injected: [],
    splits: [],
    truncated: false,
  };
  const started = Date.now();
  let traces = 0;
  let spans = 0;
  const progress = (): TracegenProgress => ({
    traces,
    spans,
    exportedSpans: exporter.exported,
    failedSpans: exporter.failed,
    elapsedSeconds: (Date.now() - started) / 1000,
    lastError: exporter.lastError,
    heldLateSpans: late.pending,
  });
  const progressTimer = setInterval(() => opts.onProgress?.(progress()), 1000);

  const done = () =>
    signal?.aborted === true ||
    (opts.count > 0 && traces >= opts.count) ||
    (opts.durationSeconds > 0 && Date.now() - started >= opts.durationSeconds * 1000);
  try {
    while (!done()) {
      // Emit what the rate allows so far, then wait for the next tick of the clock.
      const due = Math.floor(((Date.now() - started) / 1000) * opts.rate) + 1;
      while (traces < due && !done()) {
        spans += emitTrace(tracers, planner, late, record);
        traces++;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (signal?.aborted !== true && late.pending > 0) {
      // Wait for the held spans; give up (and send them now) on abort, or when the SDK
      // dropped the rest of their trace (a full queue) and it will never be exported.
      const onAbort = () => late.releaseAll();
      signal?.addEventListener('abort', onAbort, { once: true });
      const deadline = setTimeout(onAbort, (opts.lateDelayMs ?? 15_000) + 30_000);
      await late.drained();
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    clearInterval(progressTimer);
    late.releaseAll();
    for (const provider of providers.values()) await provider.forceFlush();
    for (const provider of providers.values()) await provider.shutdown();
  }
  const result = progress();
  opts.onProgress?.(result);
  return { ...result, ...record };
}

type Recorded = Pick<TracegenResult, 'truth' | 'injected' | 'splits' | 'truncated'>;

/**
 * Emits one planned trace: fragments start from `ROOT_CONTEXT` (a new trace id, no
 * link), dropped spans are started (so their children get their id as parent) but never
 * ended, hence never exported, and late spans are ended by `late` once the rest of
 * their trace was exported. Returns the number of spans sent or held.
 */
function emitTrace(
  tracers: Map<string, Tracer>,
  planner: TracePlanner,
  late: LateSpanHolder,
  record: Recorded,
): number {
  const { spans: plan, truth } = planner.next();
  const traceStartMs = Date.now() - plan[0].duration / 1000;
  const created: ApiSpan[] = [];
  for (const planned of plan) {
    const tracer = tracers.get(planned.service);
    if (tracer === undefined) throw new Error(`tracegen: no tracer for ${planned.service}`);
    const parentCtx =
      planned.parent < 0
        ? context.active()
        : (plan[planned.parent].trace ?? 0) !== (planned.trace ?? 0)
          ? ROOT_CONTEXT
          : trace.setSpan(context.active(), created[planned.parent]);
    const span = tracer.startSpan(
      planned.name,
      {
        kind: KINDS[planned.kind],
        startTime: traceStartMs + planned.start / 1000,
        attributes: planned.attributes,
      },
      parentCtx,
    );
    for (const event of planned.events) {
      span.addEvent(
        event.name,
        event.attributes,
        traceStartMs + (planned.start + event.offset) / 1000,
      );
    }
    if (planned.error !== null)
      span.setStatus({ code: SpanStatusCode.ERROR, message: planned.error });
    created.push(span);
  }

  // Trace ids of the main trace (0) and of each fragment, from their first span.
  const traceIds: string[] = [];
  for (let i = 0; i < plan.length; i++) {
    const t = plan[i].trace ?? 0;
    if (traceIds[t] === undefined) traceIds[t] = created[i].spanContext().traceId;
  }
  record.truth.add(truth);
  recordBreaks(plan, created, truth.breaks, traceIds, record);

  let sent = 0;
  const inTime = new Array<number>(traceIds.length).fill(0);
  const held: { span: ApiSpan; endMs: number }[][] = traceIds.map(() => []);
  for (let i = 0; i < plan.length; i++) {
    if (plan[i].dropped === true) continue;
    sent++;
    const t = plan[i].trace ?? 0;
    if (plan[i].late === true) {
      held[t].push({
        span: created[i],
        endMs: traceStartMs + (plan[i].start + plan[i].duration) / 1000,
      });
    } else inTime[t]++;
  }
  for (let t = 0; t < traceIds.length; t++) late.hold(traceIds[t], inTime[t], held[t]);
  for (let i = created.length - 1; i >= 0; i--) {
    if (plan[i].dropped === true || plan[i].late === true) continue;
    created[i].end(traceStartMs + (plan[i].start + plan[i].duration) / 1000);
  }
  return sent;
}

function recordBreaks(
  plan: readonly PlannedSpan[],
  created: readonly ApiSpan[],
  breaks: readonly TruthBreak[],
  traceIds: readonly string[],
  record: Recorded,
): void {
  for (const b of breaks) {
    if (record.injected.length >= MAX_RECORDED) {
      record.truncated = true;
      break;
    }
    record.injected.push({
      cause: b.cause,
      service: b.service,
      peer: b.peer,
      traceId: traceIds[b.trace],
    });
  }
  for (let i = 0; i < plan.length; i++) {
    const s = plan[i];
    if (s.parent < 0 || (s.trace ?? 0) === (plan[s.parent].trace ?? 0)) continue;
    if (record.splits.length >= MAX_RECORDED) {
      record.truncated = true;
      return;
    }
    const client = plan[s.parent];
    record.splits.push({
      cause: client.kind === 'producer' ? 'async_break' : 'split_trace',
      caller: client.service,
      callee: s.service,
      traceId: traceIds[client.trace ?? 0],
      clientSpanId: created[s.parent].spanContext().spanId,
      fragmentTraceId: traceIds[s.trace ?? 0],
      fragmentRootSpanId: created[i].spanContext().spanId,
    });
  }
}
