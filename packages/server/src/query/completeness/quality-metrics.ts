import { BREAK_CAUSES } from '../../storage/completeness-reader.ts';
import type {
  BreakCounts,
  BreakExample,
  CompletenessReport,
  EdgeCompleteness,
} from '../../storage/completeness-reader.ts';
import type { BreakCause } from '../../storage/completeness-writer.ts';

/*
 * The JSON Jaeger UI's Quality Metrics page reads (`TQualityMetrics` in jaeger-ui's
 * packages/jaeger-ui/src/components/QualityMetrics/types.ts, with `TExample` from
 * common/ExamplesLink.tsx and the details table types from common/DetailsCard/types.ts).
 * Jaeger ships no backend for it; Skein fills it with trace completeness. Only the fields
 * Skein sets are declared (`exemptionCount`, `exemptionExamples` and `clients` are optional
 * there and left out).
 */

/** A trace the page links to (opens Jaeger UI's search with these trace ids). */
export interface QualityExample {
  traceID: string;
  spanIDs?: string[];
}

/** A column of a details table: `key` names the row field. */
export interface QualityColumn {
  key: string;
  label?: string;
  preventSort?: boolean;
}

/** A details-table cell: text, a number, or examples (rendered as a link). */
export type QualityCell = string | number | QualityExample[];

export interface QualityDetails {
  description?: string;
  header?: string;
  columns: QualityColumn[];
  rows: Record<string, QualityCell>[];
}

export interface QualityScore {
  key: string;
  label: string;
  max: number;
  value: number;
}

export interface QualityMetric {
  name: string;
  /** The `key` of the score this metric belongs to. */
  category: string;
  description: string;
  metricDocumentationLink: string;
  metricWeight: number;
  passCount: number;
  passExamples?: QualityExample[];
  failureCount: number;
  failureExamples?: QualityExample[];
  details?: QualityDetails[];
}

export interface QualityMetrics {
  traceQualityDocumentationLink: string;
  bannerText?: string;
  scores: QualityScore[];
  metrics: QualityMetric[];
}

/** Skein's own UI page that explains the numbers (deep-linkable by service and cause). */
export const COMPLETENESS_PAGE = '/completeness';

const CAUSE_TEXT: Record<BreakCause, { name: string; description: string; unit: Unit }> = {
  unanswered_call: {
    name: 'Unanswered calls',
    description:
      "Calls to an instrumented service whose SERVER/CONSUMER span never arrived: the callee dropped the trace context or is not sending spans. Passing: the service's other outgoing calls.",
    unit: 'out',
  },
  split_trace: {
    name: 'Split traces',
    description:
      "Calls whose callee continued in a new trace: the traceparent header was not injected by the caller or not extracted by the callee. Examples open both halves. Passing: the service's other outgoing calls.",
    unit: 'out',
  },
  async_break: {
    name: 'Async breaks',
    description:
      "Messages whose consumer started a new trace without a link: the context was lost across the queue, timer or worker. Examples open both halves. Passing: the service's other outgoing calls.",
    unit: 'out',
  },
  fragment: {
    name: 'Fragments',
    description:
      "Traces rooted at this service that are the callee half of another trace's call: the incoming trace context was not extracted. Passing: incoming calls answered in the caller's trace.",
    unit: 'in',
  },
  orphan: {
    name: 'Orphan spans',
    description:
      "Spans whose parent span is not in the trace: the parent was never sent, or the context came from elsewhere. Passing: the service's other spans.",
    unit: 'spans',
  },
  sampled_out_parent: {
    name: 'Orphans of unsampled parents',
    description:
      "Orphan spans recorded with the sampled flag unset while the rest of the trace was sampled: a sampling decision, not a propagation bug. Passing: the service's other spans.",
    unit: 'spans',
  },
  rootless: {
    name: 'Rootless traces',
    description:
      'Traces without a root span whose earliest span is in this service: the entry span was never sent. Passing: traces rooted at the service.',
    unit: 'traces',
  },
  multiple_roots: {
    name: 'Traces with several roots',
    description:
      'Traces with more than one span without a parent, the earliest in this service: a span was started without the current context. Passing: the other traces rooted at the service.',
    unit: 'traces',
  },
  late_span: {
    name: 'Late spans',
    description:
      "Spans that arrived after their trace was assembled (does not make a trace incomplete): raise the completeness trace idle time or flush the exporter sooner. Passing: the service's other spans.",
    unit: 'spans',
  },
  duplicate_span: {
    name: 'Duplicate spans',
    description:
      "Span ids seen twice in one trace (does not make a trace incomplete). Passing: the service's other spans.",
    unit: 'spans',
  },
};

type Unit = 'traces' | 'spans' | 'out' | 'in';

const CATEGORY: Record<Unit, string> = {
  traces: 'completeness',
  spans: 'spans',
  out: 'calls',
  in: 'calls',
};

/** What the page is asked for: the service (undefined: all of them) and the window. */
export interface QualityScope {
  service: string | undefined;
  hours: number;
}

function percent(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(1)}%`;
}

function link(scope: QualityScope, cause?: BreakCause): string {
  const params = new URLSearchParams();
  if (scope.service !== undefined) params.set('service', scope.service);
  params.set('lookback', `${scope.hours}h`);
  if (cause !== undefined) params.set('cause', cause);
  return `${COMPLETENESS_PAGE}?${params.toString()}`;
}

/** Each trace once; a split's other half follows it, so the link opens both. */
function toExamples(examples: readonly BreakExample[]): QualityExample[] {
  const out: QualityExample[] = [];
  const seen = new Set<string>();
  const add = (id: string | undefined): void => {
    if (id === undefined || id === '' || seen.has(id)) return;
    seen.add(id);
    out.push({ traceID: id });
  };
  for (const e of examples) {
    add(e.traceId);
    add(e.otherTraceId);
  }
  return out;
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}

/**
 * A completeness report (queried with `service` as its filter, or none) → the Quality
 * Metrics page's JSON:
 * - scores (each only when it has something to count): `completeness` — traces rooted at
 *   the service that are complete; `spans` — the service's spans in complete traces;
 *   `calls` — the service's outgoing calls to instrumented services answered in the same
 *   trace. Values are percentages (`max` 100).
 * - metrics: one per score (`metricWeight` 1: the score is its pass rate), then one per
 *   break cause seen at the service (`metricWeight` 0: a breakdown), most failures first,
 *   with example traces and a details table of the other services involved.
 */
export function qualityMetricsFromReport(
  report: CompletenessReport,
  scope: QualityScope,
): QualityMetrics {
  const service = scope.service;
  const mine =
    service === undefined ? undefined : report.services.find((s) => s.service === service);
  const spans =
    service === undefined ? sum(report.services.map((s) => s.spans)) : (mine?.spans ?? 0);
  const spansInComplete =
    service === undefined
      ? sum(report.services.map((s) => s.spansInComplete))
      : (mine?.spansInComplete ?? 0);
  const outgoing =
    service === undefined ? report.edges : report.edges.filter((e) => e.caller === service);
  const incoming = service === undefined ? [] : report.edges.filter((e) => e.callee === service);
  const calls = sum(outgoing.map((e) => e.calls));
  const answered = sum(outgoing.map((e) => e.answered));
  const incomingAnswered = sum(incoming.map((e) => e.answered));
  const { traces, complete } = report.summary;

  /** Break counts and examples at the service (the break's `service`), by cause. */
  const counts: BreakCounts = {};
  const examples = new Map<BreakCause, BreakExample[]>();
  const peers = new Map<BreakCause, { peer: string; count: number; examples: BreakExample[] }[]>();
  for (const c of report.causes) {
    const pairs = service === undefined ? c.top : c.top.filter((p) => p.service === service);
    const count = service === undefined ? c.count : (mine?.breaks[c.cause] ?? 0);
    if (count === 0) continue;
    counts[c.cause] = count;
    examples.set(c.cause, service === undefined ? c.examples : pairs.flatMap((p) => p.examples));
    peers.set(
      c.cause,
      pairs.map((p) => ({
        peer: service === undefined ? `${p.service} → ${p.peer || '?'}` : p.peer || '?',
        count: p.count,
        examples: p.examples,
      })),
    );
  }
  const failureExamplesOf = (causes: readonly BreakCause[]): QualityExample[] =>
    toExamples(causes.flatMap((c) => examples.get(c) ?? [])).slice(0, 10);
  const incompleteCauses = (Object.keys(BREAK_CAUSES) as BreakCause[]).filter(
    (c) => BREAK_CAUSES[c].incomplete,
  );

  const who = service === undefined ? 'all services' : service;
  const scores: QualityScore[] = [];
  const metrics: QualityMetric[] = [];
  if (traces > 0) {
    scores.push({
      key: 'completeness',
      label: 'Complete traces',
      max: 100,
      value: (complete / traces) * 100,
    });
    metrics.push({
      name: 'Complete traces',
      category: 'completeness',
      description: `Traces rooted at ${who} with one root, every parent present and every call to an instrumented service answered in the same trace.`,
      metricDocumentationLink: link(scope),
      metricWeight: 1,
      passCount: complete,
      failureCount: traces - complete,
      failureExamples: failureExamplesOf(incompleteCauses),
    });
  }
  if (spans > 0) {
    scores.push({
      key: 'spans',
      label: 'Spans in complete traces',
      max: 100,
      value: (spansInComplete / spans) * 100,
    });
    metrics.push({
      name: 'Spans in complete traces',
      category: 'spans',
      description: `Spans of ${who} that belong to a complete trace (whichever service the trace's break is in).`,
      metricDocumentationLink: link(scope),
      metricWeight: 1,
      passCount: spansInComplete,
      failureCount: spans - spansInComplete,
    });
  }
  if (calls > 0) {
    scores.push({
      key: 'calls',
      label: 'Answered calls',
      max: 100,
      value: (answered / calls) * 100,
    });
    const details: QualityDetails[] = [edgeTable('Outgoing calls', 'callee', outgoing, report)];
    if (incoming.length > 0) details.push(edgeTable('Incoming calls', 'caller', incoming, report));
    metrics.push({
      name: 'Answered calls',
      category: 'calls',
      description: `Calls from ${who} to instrumented services whose SERVER/CONSUMER span is in the same trace.`,
      metricDocumentationLink: link(scope),
      metricWeight: 1,
      passCount: answered,
      failureCount: calls - answered,
      failureExamples: failureExamplesOf(['unanswered_call', 'split_trace', 'async_break']),
      details,
    });
  }

  const causeMetrics: QualityMetric[] = [];
  for (const [cause, failures] of Object.entries(counts) as [BreakCause, number][]) {
    const text = CAUSE_TEXT[cause];
    if (text === undefined || failures <= 0) continue;
    const of =
      text.unit === 'traces'
        ? traces
        : text.unit === 'spans'
          ? spans
          : text.unit === 'out'
            ? calls
            : incomingAnswered + failures;
    const pairs = peers.get(cause) ?? [];
    causeMetrics.push({
      name: text.name,
      category: CATEGORY[text.unit],
      description: text.description,
      metricDocumentationLink: link(scope, cause),
      metricWeight: 0,
      passCount: Math.max(0, of - failures),
      failureCount: failures,
      failureExamples: toExamples(examples.get(cause) ?? []).slice(0, 10),
      details:
        pairs.length === 0
          ? undefined
          : [
              {
                header: service === undefined ? 'Where' : 'Other side',
                columns: [
                  { key: 'peer', label: service === undefined ? 'Service → peer' : 'Peer' },
                  { key: 'count', label: 'Count' },
                  { key: 'examples', label: 'Examples', preventSort: true },
                ],
                rows: pairs.map((p) => ({
                  peer: p.peer,
                  count: p.count,
                  examples: toExamples(p.examples),
                })),
              },
            ],
    });
  }
  causeMetrics.sort((a, b) => b.failureCount - a.failureCount || (a.name < b.name ? -1 : 1));
  metrics.push(...causeMetrics);

  let bannerText: string;
  if (traces === 0 && spans === 0 && calls === 0) {
    bannerText = `No trace completeness data for ${who} in the last ${scope.hours} h: completeness is measured on assembled traces while the completeness processor runs.`;
  } else {
    const parts: string[] = [];
    if (traces > 0) parts.push(`${percent(complete, traces)} of ${traces} traces complete`);
    if (calls > 0) parts.push(`${percent(answered, calls)} of ${calls} outgoing calls answered`);
    if (parts.length === 0)
      parts.push(`${percent(spansInComplete, spans)} of spans in complete traces`);
    bannerText = `Trace completeness of ${who}, last ${scope.hours} h: ${parts.join(', ')}.`;
  }

  return {
    traceQualityDocumentationLink: link(scope),
    bannerText,
    scores,
    metrics,
  };
}

/** One row per edge: the other service, calls, answered, rate, call breaks, examples. */
function edgeTable(
  header: string,
  other: 'callee' | 'caller',
  edges: readonly EdgeCompleteness[],
  report: CompletenessReport,
): QualityDetails {
  const rows = edges.map((e) => {
    const examples: BreakExample[] = [];
    for (const c of report.causes) {
      for (const p of c.top) {
        const matches =
          other === 'callee'
            ? p.service === e.caller && p.peer === e.callee && c.cause !== 'fragment'
            : c.cause === 'fragment' && p.service === e.callee && p.peer === e.caller;
        if (matches) examples.push(...p.examples);
      }
    }
    return {
      [other]: e[other],
      calls: e.calls,
      answered: e.answered,
      // A number, so the page's table sorts it as one (one decimal, as the page shows rates).
      rate: e.calls > 0 ? Math.round((e.answered / e.calls) * 1000) / 10 : 0,
      unanswered: e.breaks.unanswered_call ?? 0,
      split: (e.breaks.split_trace ?? 0) + (e.breaks.async_break ?? 0),
      examples: toExamples(examples).slice(0, 10),
    };
  });
  return {
    header,
    description:
      other === 'callee'
        ? 'Calls to each instrumented callee; "split" counts calls whose callee continued in another trace (split traces and async breaks).'
        : "Calls from each caller; examples are fragments: traces of this service that continue the caller's trace.",
    columns: [
      { key: other, label: other === 'callee' ? 'Callee' : 'Caller' },
      { key: 'calls', label: 'Calls' },
      { key: 'answered', label: 'Answered' },
      { key: 'rate', label: 'Answered %' },
      { key: 'unanswered', label: 'Unanswered' },
      { key: 'split', label: 'Split' },
      { key: 'examples', label: 'Examples', preventSort: true },
    ],
    rows,
  };
}
