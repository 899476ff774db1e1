import { text } from 'node:stream/consumers';
import { decodeJaegerUiJson } from '../codecs/jaeger-ui-json-decoder.ts';
import { loadConfig } from '../config/load-config.ts';
import { isSkeinError } from '../errors.ts';
import { ValueType, type AnyValue, type Attribute, type Span } from '../model/span.ts';
import { REDACTED_ATTRIBUTE, redactionFactory } from '../pipeline/processors/redaction/index.ts';
import { anyValueToJson } from '../query/any-value-json.ts';
import type { DecodeResult } from '../receivers/decode-result.ts';
import { decodeOtlpJson } from '../receivers/otlp/otlp-json-decoder.ts';

export const REDACT_CHECK_HELP = `skein redact-check: show what the redaction rules would change in a trace file (dry run)

  skein redact-check [--config skein.yaml] [--key=value ...] < trace.json
  The trace is OTLP JSON or a Jaeger UI download ({"data":[{"traceID", "spans", "processes"}]}).
  The rules are pipeline.processors.redaction of the config (defaults without --config).
  Exit status 0, or 2 when the config or the file cannot be used.
`;

/**
 * `skein redact-check`: reads a trace file from stdin, runs the redaction processor of
 * the effective configuration over it and prints, per span, each field that would
 * change (before → after, or dropped), then a summary. Nothing is sent or stored.
 * Returns the exit code.
 */
export async function redactCheckCommand(
  configFile: string | undefined,
  options: Record<string, string>,
): Promise<number> {
  if (process.stdin.isTTY === true) {
    return fail(
      'give the trace file on stdin: skein redact-check --config skein.yaml < trace.json',
    );
  }
  let settings;
  let order: string[];
  try {
    const config = loadConfig({ file: configFile, env: process.env, overrides: options });
    settings = redactionFactory.compile(config);
    order = config.pipeline.processors.order;
  } catch (err) {
    return fail((err as Error).message);
  }

  let decoded: DecodeResult;
  try {
    const input = await text(process.stdin);
    let body: unknown;
    try {
      body = JSON.parse(input);
    } catch (err) {
      return fail(
        `stdin is not JSON (${(err as Error).message}); give an OTLP JSON or Jaeger UI trace file`,
      );
    }
    decoded =
      body !== null && typeof body === 'object' && 'resourceSpans' in body
        ? decodeOtlpJson(body)
        : decodeJaegerUiJson(body);
  } catch (err) {
    if (isSkeinError(err)) return fail(err.message);
    throw err;
  }

  const out: string[] = [];
  if (!settings.enabled) {
    out.push('note: pipeline.processors.redaction.enabled is false: nothing would be changed');
  } else if (!order.includes('redaction')) {
    out.push('note: pipeline.processors.order does not list redaction: nothing would be changed');
  }
  if (decoded.rejectedSpans > 0)
    out.push(`note: ${decoded.errorMessage}; those spans are not shown`);

  const spans = decoded.spans;
  // structuredClone keeps shared resources shared within the copy.
  const before = structuredClone(spans);
  redactionFactory.create(settings).process(spans, { changed() {}, dropped() {} });

  let changedSpans = 0;
  let changedFields = 0;
  for (let i = 0; i < spans.length; i++) {
    const lines = diffSpan(before[i], spans[i]);
    if (lines.length === 0) continue;
    changedSpans++;
    changedFields += lines.length;
    const redacted = spans[i].attributes.find((a) => a.key === REDACTED_ATTRIBUTE);
    out.push(
      `span ${spans[i].traceId}/${spans[i].spanId} ${spans[i].resource.serviceName} ${JSON.stringify(spans[i].name)}` +
        (redacted === undefined ? '' : ` (${REDACTED_ATTRIBUTE} = ${String(redacted.value)})`),
    );
    for (const line of lines) out.push(`  ${line}`);
  }

  const shared = [
    diffShared(before, spans, 'resource', (s) => s.resource),
    diffShared(before, spans, 'scope', (s) => s.scope),
  ];
  let sharedFields = 0;
  for (const { lines, fields } of shared) {
    out.push(...lines);
    sharedFields += fields;
  }

  out.push(
    `summary: ${changedSpans} of ${spans.length} spans would change in ${changedFields} fields of their own; ` +
      `${sharedFields} fields of resources and scopes would change`,
  );
  console.log(out.join('\n'));
  return 0;
}

function fail(message: string): number {
  console.error(`skein redact-check: ${message}`);
  return 2;
}

/** One line per changed field of the span itself (not its resource and scope). */
function diffSpan(a: Span, b: Span): string[] {
  const lines: string[] = [];
  if (a.name !== b.name) lines.push(`name: ${JSON.stringify(a.name)} → ${JSON.stringify(b.name)}`);
  if (a.statusMessage !== b.statusMessage) {
    lines.push(
      `status message: ${JSON.stringify(a.statusMessage)} → ${JSON.stringify(b.statusMessage)}`,
    );
  }
  diffAttributes(a.attributes, b.attributes, 'attribute', lines);
  for (let e = 0; e < a.events.length; e++) {
    const label = `event[${e}] ${JSON.stringify(a.events[e].name)}`;
    if (a.events[e].name !== b.events[e].name) {
      lines.push(`${label} name → ${JSON.stringify(b.events[e].name)}`);
    }
    diffAttributes(a.events[e].attributes, b.events[e].attributes, `${label} attribute`, lines);
  }
  for (let l = 0; l < a.links.length; l++) {
    diffAttributes(a.links[l].attributes, b.links[l].attributes, `link[${l}] attribute`, lines);
  }
  return lines;
}

function diffAttributes(a: Attribute[], b: Attribute[], label: string, lines: string[]): void {
  const after = new Map<string, Attribute>();
  for (const attr of b) if (!after.has(attr.key)) after.set(attr.key, attr);
  for (const attr of a) {
    const now = after.get(attr.key);
    if (now === undefined) lines.push(`${label} ${attr.key}: dropped (was ${render(attr)})`);
    else if (render(now) !== render(attr)) {
      lines.push(`${label} ${attr.key}: ${render(attr)} → ${render(now)}`);
    }
  }
}

/** Resources or scopes (shared by spans) that changed, each reported once. */
function diffShared<T extends { attributes: Attribute[] }>(
  before: Span[],
  after: Span[],
  what: string,
  of: (span: Span) => T,
): { lines: string[]; fields: number } {
  const seen = new Set<T>();
  const lines: string[] = [];
  let fields = 0;
  for (let i = 0; i < after.length; i++) {
    const object = of(after[i]);
    if (seen.has(object)) continue;
    seen.add(object);
    const changes: string[] = [];
    diffAttributes(of(before[i]).attributes, object.attributes, 'attribute', changes);
    if (changes.length === 0) continue;
    fields += changes.length;
    const users = after.filter((s) => of(s) === object).length;
    lines.push(`${what} of ${after[i].resource.serviceName} (shared by ${users} spans)`);
    for (const line of changes) lines.push(`  ${line}`);
  }
  return { lines, fields };
}

function render(value: AnyValue): string {
  switch (value.type) {
    case ValueType.String:
      return JSON.stringify(value.value);
    case ValueType.Bytes:
      return `bytes ${Buffer.from(value.value).toString('base64')}`;
    case ValueType.Array:
    case ValueType.KvList:
      return anyValueToJson(value);
    default:
      return String(value.value);
  }
}
