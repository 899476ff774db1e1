/**
 * The trace page's completeness banner: the verdict of
 * `GET /api/completeness/traces/{traceId}` turned into plain sentences, each with the
 * span to select and, for a split, the other half's trace to open. Sentences are parts
 * (text, a service name, a link), never HTML: span data reaches the page as text.
 */
import { traceUrl } from './route.ts';

export interface TraceBreak {
  cause: string;
  /** The span at fault ('' when none, e.g. rootless). */
  spanId: string;
  service: string;
  peer: string;
  otherTraceId?: string;
}

export interface TraceVerdict {
  traceId: string;
  complete: boolean;
  causes: TraceBreak[];
}

/** A piece of a banner sentence. */
export type Part =
  { text: string } | { service: string } | { href: string; label: string; traceId: string };

export interface BannerLine {
  cause: string;
  /** How many breaks this line stands for (orphans of one service are one line). */
  count: number;
  /** The spans at fault, in the verdict's order; the first is selected on click. */
  spanIds: string[];
  /** The trace holding the other half, when there is one. */
  otherTraceId: string;
  parts: Part[];
}

export interface Banner {
  /** The opening sentence: what kind of broken this trace is. */
  headline: string;
  lines: BannerLine[];
}

const HEX = /^[0-9a-f]{1,32}$/;

/** The verdict inside the API's envelope, or null when the body is not one. */
export function parseVerdict(body: unknown): TraceVerdict | null {
  const d = (body as { data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if (!d || typeof d !== 'object' || typeof d.traceId !== 'string' || !Array.isArray(d.causes))
    return null;
  const causes: TraceBreak[] = [];
  for (const c of d.causes as Record<string, unknown>[]) {
    if (!c || typeof c.cause !== 'string') continue;
    const other =
      typeof c.otherTraceId === 'string' && HEX.test(c.otherTraceId) ? c.otherTraceId : '';
    causes.push({
      cause: c.cause,
      spanId: typeof c.spanId === 'string' && HEX.test(c.spanId) ? c.spanId : '',
      service: typeof c.service === 'string' ? c.service : '',
      peer: typeof c.peer === 'string' ? c.peer : '',
      ...(other ? { otherTraceId: other } : {}),
    });
  }
  return { traceId: d.traceId, complete: d.complete === true, causes };
}

/** A trace id shortened for a sentence: the first 8 hex digits and an ellipsis. */
export function shortTraceId(traceId: string): string {
  return traceId.length > 8 ? `${traceId.slice(0, 8)}…` : traceId;
}

function link(traceId: string, label: string): Part {
  return { href: traceUrl(traceId), label, traceId };
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

function sentence(b: TraceBreak, count: number): Part[] {
  const t = (text: string): Part => ({ text });
  const s = (service: string): Part => ({ service: service || 'an unknown service' });
  const other = b.otherTraceId ?? '';
  switch (b.cause) {
    case 'split_trace':
      return other
        ? [
            t('This trace is split: '),
            s(b.service),
            t("'s call to "),
            s(b.peer),
            t(` continued as trace ${shortTraceId(other)}, `),
            link(other, 'open it'),
            t(
              '. The trace context header was not injected by the caller or not extracted by the callee.',
            ),
          ]
        : [
            t('This trace is split: '),
            s(b.service),
            t("'s call to "),
            s(b.peer),
            t(' continued in another trace.'),
          ];
    case 'async_break':
      return [
        t('This trace breaks across a queue: '),
        s(b.service),
        t("'s message to "),
        s(b.peer),
        ...(other
          ? [
              t(` was consumed in a new trace ${shortTraceId(other)}, `),
              link(other, 'open it'),
              t('.'),
            ]
          : [t(' was consumed in a new trace.')]),
        t(' The context did not travel with the message.'),
      ];
    case 'fragment':
      return [
        t('This trace is a fragment: it continues '),
        s(b.peer),
        t("'s call to "),
        s(b.service),
        ...(other
          ? [
              t(` from trace ${shortTraceId(other)}, `),
              link(other, "open the caller's trace"),
              t('.'),
            ]
          : [t(' from another trace.')]),
      ];
    case 'unanswered_call':
      return [
        s(b.service),
        t("'s call to "),
        s(b.peer),
        t(' has no answer: no span of the callee arrived in this trace or in any other.'),
      ];
    case 'orphan':
      return [
        t(`${count} ${plural(count, 'span', 'spans')} of `),
        s(b.service),
        t(
          ` ${plural(count, 'has a parent', 'have parents')} that ${plural(count, 'is', 'are')} not in this trace (lost or never exported).`,
        ),
      ];
    case 'sampled_out_parent':
      return [
        t(`${count} ${plural(count, 'span', 'spans')} of `),
        s(b.service),
        t(
          ` ${plural(count, 'has a parent', 'have parents')} that ${plural(count, 'was', 'were')} not sampled: a sampling decision, not a propagation bug.`,
        ),
      ];
    case 'rootless':
      return [t('This trace has no root span: the span that started it never arrived.')];
    case 'multiple_roots':
      return [t('This trace has more than one root span, the first in '), s(b.service), t('.')];
    case 'late_span':
      return [
        t(`${count} ${plural(count, 'span', 'spans')} of `),
        s(b.service),
        t(` arrived after the trace was assembled (counted apart).`),
      ];
    case 'duplicate_span':
      return [
        t(`${count} ${plural(count, 'span id', 'span ids')} of `),
        s(b.service),
        t(` ${plural(count, 'was', 'were')} seen twice (counted apart).`),
      ];
    default:
      return [t(`${b.cause.replace(/_/g, ' ')} at `), s(b.service), t('.')];
  }
}

/** Causes reported once per span and grouped per service in the banner. */
const GROUPED = new Set(['orphan', 'sampled_out_parent', 'late_span', 'duplicate_span']);

/** The order lines appear in: the propagation bugs first, counted-apart causes last. */
const ORDER = [
  'split_trace',
  'async_break',
  'fragment',
  'unanswered_call',
  'orphan',
  'rootless',
  'multiple_roots',
  'sampled_out_parent',
  'late_span',
  'duplicate_span',
];

function headline(v: TraceVerdict): string {
  const causes = new Set(v.causes.map((c) => c.cause));
  if (causes.has('split_trace') || causes.has('async_break')) return 'This trace is split in two.';
  if (causes.has('fragment')) return 'This trace is the second half of a split trace.';
  return 'This trace is incomplete.';
}

/**
 * The banner for a verdict, or null when there is nothing to say: a complete trace (late
 * or duplicate spans alone do not make it incomplete and are not worth a banner).
 * Orphans, late and duplicate spans are one line per service with their count; every
 * other break is a line of its own.
 */
export function verdictBanner(v: TraceVerdict): Banner | null {
  if (v.complete || v.causes.length === 0) return null;
  const lines: BannerLine[] = [];
  const grouped = new Map<string, { line: BannerLine; first: TraceBreak }>();
  for (const b of v.causes) {
    const spanIds = b.spanId ? [b.spanId] : [];
    if (GROUPED.has(b.cause)) {
      const key = `${b.cause}\u0000${b.service}`;
      const g = grouped.get(key);
      if (g) {
        g.line.count++;
        g.line.spanIds.push(...spanIds);
        continue;
      }
      const line: BannerLine = { cause: b.cause, count: 1, spanIds, otherTraceId: '', parts: [] };
      grouped.set(key, { line, first: b });
      lines.push(line);
      continue;
    }
    const otherTraceId = b.otherTraceId ?? '';
    lines.push({ cause: b.cause, count: 1, spanIds, otherTraceId, parts: sentence(b, 1) });
  }
  for (const { line, first } of grouped.values()) line.parts = sentence(first, line.count);
  const rank = (c: string) => (ORDER.includes(c) ? ORDER.indexOf(c) : ORDER.length);
  lines.sort((a, b) => rank(a.cause) - rank(b.cause));
  return { headline: headline(v), lines };
}

/** A banner line as plain text (what a screen reader or a test reads). */
export function lineText(line: BannerLine): string {
  return line.parts
    .map((p) => ('text' in p ? p.text : 'service' in p ? p.service : p.label))
    .join('');
}
