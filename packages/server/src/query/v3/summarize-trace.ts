import { StatusCode } from '../../model/span.ts';
import type { Trace } from '../../model/span.ts';
import { microsToNanoString } from '../otlp/encode-otlp-json.ts';

/**
 * One row of a trace search result list, computed from the whole trace.
 *
 * It carries Skein's fields (µs numbers: `rootService`, `rootOperation`, `startTime`,
 * `duration`, `errorCount`, `orphanCount`) and, for Jaeger UI ≥ 2.20 which reads the same
 * endpoint, Jaeger api_v3's `TraceSummary` fields (`rootServiceName`, `rootOperationName`,
 * `minStartTimeUnixNano`, `maxEndTimeUnixNano` as ns strings, `errorSpanCount`,
 * `orphanSpanCount`).
 */
export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  /** µs since epoch: the earliest span start. */
  startTime: number;
  /** µs: from the earliest start to the latest end. */
  duration: number;
  spanCount: number;
  errorCount: number;
  /** Spans whose parent span is not in the trace (broken propagation or lost spans). */
  orphanCount: number;
  /** Sorted by name. */
  services: ServiceSummary[];
  rootServiceName: string;
  rootOperationName: string;
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  errorSpanCount: number;
  orphanSpanCount: number;
}

export interface ServiceSummary {
  name: string;
  spanCount: number;
  errorSpanCount: number;
}

/**
 * Summarizes a trace the way Jaeger's query service does: the root is the earliest span
 * without a parent ('' when every span has one); errors are spans with status ERROR.
 */
export function summarizeTrace(trace: Trace): TraceSummary {
  const spanIds = new Set<string>();
  for (let i = 0; i < trace.spans.length; i++) spanIds.add(trace.spans[i].spanId);

  const services = new Map<string, ServiceSummary>();
  let rootService = '';
  let rootOperation = '';
  let rootStart = Infinity;
  let minStart = Infinity;
  let maxEnd = -Infinity;
  let errorCount = 0;
  let orphanCount = 0;
  for (let i = 0; i < trace.spans.length; i++) {
    const span = trace.spans[i];
    const serviceName = span.resource.serviceName;
    let service = services.get(serviceName);
    if (service === undefined) {
      service = { name: serviceName, spanCount: 0, errorSpanCount: 0 };
      services.set(serviceName, service);
    }
    service.spanCount++;
    if (span.statusCode === StatusCode.Error) {
      service.errorSpanCount++;
      errorCount++;
    }
    if (span.startTime < minStart) minStart = span.startTime;
    if (span.startTime + span.duration > maxEnd) maxEnd = span.startTime + span.duration;
    if (span.parentSpanId === '') {
      if (span.startTime < rootStart) {
        rootStart = span.startTime;
        rootService = serviceName;
        rootOperation = span.name;
      }
    } else if (!spanIds.has(span.parentSpanId)) {
      orphanCount++;
    }
  }
  if (trace.spans.length === 0) {
    minStart = 0;
    maxEnd = 0;
  }
  const serviceList = [...services.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return {
    traceId: trace.traceId,
    rootService,
    rootOperation,
    startTime: minStart,
    duration: maxEnd - minStart,
    spanCount: trace.spans.length,
    errorCount,
    orphanCount,
    services: serviceList,
    rootServiceName: rootService,
    rootOperationName: rootOperation,
    minStartTimeUnixNano: microsToNanoString(minStart),
    maxEndTimeUnixNano: microsToNanoString(maxEnd),
    errorSpanCount: errorCount,
    orphanSpanCount: orphanCount,
  };
}
