import { plannedCalls, plannedServices, type PlannedCall } from './trace-plan.ts';

/**
 * What `skein tracegen` can break (issue #10's "proof that it measures the truth"):
 * - `split`: an HTTP/gRPC call whose callee did not extract the trace context: the
 *   callee's SERVER span and its subtree become a new trace (a root, no link);
 * - `async`: the same across the queue (PRODUCER → CONSUMER);
 * - `unanswered`: the callee side of a call (SERVER/CONSUMER span and subtree) is never sent;
 * - `orphan`: the caller's CLIENT/PRODUCER span is never sent, so the callee's span
 *   points at a parent that is not in the trace;
 * - `late`: a span is sent well after the rest of its trace (only spans no other span
 *   hangs from and that answer no call: internal, database and cache spans).
 */
export type InjectedCause = 'split' | 'async' | 'unanswered' | 'orphan' | 'late';

export const INJECTED_CAUSES: readonly InjectedCause[] = [
  'split',
  'async',
  'unanswered',
  'orphan',
  'late',
];

/**
 * One break injection rule. `caller`/`callee` name services or are `*` (any); for
 * `late` both are `*`. `rate` is the probability, per eligible call (per eligible span
 * for `late`), that the break is injected. Rules matching the same call are exclusive:
 * one uniform draw per call picks at most one of them, in the order given, so each
 * keeps its own rate as long as the matching rates add up to at most 1.
 */
export interface BreakSpec {
  cause: InjectedCause;
  caller: string;
  callee: string;
  rate: number;
}

/** Whether `cause` can be injected on `call` (db and cache calls are never eligible). */
export function callEligible(cause: InjectedCause, call: PlannedCall): boolean {
  switch (cause) {
    case 'split':
      return call.protocol === 'http' || call.protocol === 'grpc';
    case 'async':
      return call.protocol === 'queue';
    case 'unanswered':
    case 'orphan':
      return true;
    case 'late':
      return false;
  }
}

const SYNTAX =
  'breaks are written CAUSE:CALLER>CALLEE=RATE (or CALLER/CALLEE, no shell quoting needed), ' +
  'e.g. split:frontend>catalog=0.05, unanswered:*>*=0.01, or late=RATE';

/**
 * Parses one `--break` value: `CAUSE:CALLER>CALLEE=RATE` (`/` may stand for `>`),
 * or `late=RATE`. Checks the cause, the services (against the topology) and that the
 * rule matches at least one call its cause can break.
 * @throws Error naming the valid causes, services or edges.
 */
export function parseBreakSpec(text: string): BreakSpec {
  const eq = text.lastIndexOf('=');
  if (eq < 0) throw new Error(`--break "${text}" has no =RATE; ${SYNTAX}`);
  const rateText = text.slice(eq + 1);
  const rate = Number(rateText);
  if (rateText.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(
      `--break "${text}": the rate must be a probability between 0 and 1, got "${rateText}"`,
    );
  }
  const head = text.slice(0, eq);
  const colon = head.indexOf(':');
  const cause = (colon < 0 ? head : head.slice(0, colon)) as InjectedCause;
  if (!INJECTED_CAUSES.includes(cause)) {
    throw new Error(
      `--break "${text}": unknown cause "${cause}"; causes are ${INJECTED_CAUSES.join(', ')}`,
    );
  }
  if (cause === 'late') {
    if (colon >= 0 && !['*', '*>*', '*/*'].includes(head.slice(colon + 1))) {
      throw new Error(`--break "${text}": late breaks apply to any span; write late=RATE`);
    }
    return { cause, caller: '*', callee: '*', rate };
  }
  if (colon < 0) throw new Error(`--break "${text}" names no edge; ${SYNTAX}`);
  const edge = head.slice(colon + 1);
  const sep = edge.includes('>') ? '>' : '/';
  const parts = edge.split(sep);
  if (parts.length !== 2) throw new Error(`--break "${text}": "${edge}" is not an edge; ${SYNTAX}`);
  const [caller, callee] = parts.map((p) => p.trim());
  const services = plannedServices();
  for (const name of [caller, callee]) {
    if (name !== '*' && !services.includes(name)) {
      throw new Error(
        `--break "${text}": no service "${name}"; services are ${services.join(', ')} (or *)`,
      );
    }
  }
  const spec: BreakSpec = { cause, caller, callee, rate };
  const eligible = plannedCalls().filter((c) => callEligible(cause, c));
  if (!eligible.some((c) => specMatches(spec, c.caller, c.callee))) {
    throw new Error(
      `--break "${text}": no ${caller}>${callee} call can be broken by ${cause}; ` +
        `${cause} applies to ${eligible.map((c) => `${c.caller}>${c.callee}`).join(', ')}`,
    );
  }
  return spec;
}

/** Whether `spec`'s caller and callee patterns match the edge. */
export function specMatches(spec: BreakSpec, caller: string, callee: string): boolean {
  return (
    (spec.caller === '*' || spec.caller === caller) &&
    (spec.callee === '*' || spec.callee === callee)
  );
}

/**
 * Parses one `--skew` value `SERVICE=MS` (MS may be negative or fractional): every span
 * of that service is shifted by MS milliseconds, as if its clock were off.
 * @throws Error naming the services of the topology.
 */
export function parseSkew(text: string): { service: string; ms: number } {
  const eq = text.lastIndexOf('=');
  const service = eq < 0 ? '' : text.slice(0, eq).trim();
  const msText = eq < 0 ? '' : text.slice(eq + 1);
  const ms = Number(msText);
  if (eq < 0 || msText.trim() === '' || !Number.isFinite(ms)) {
    throw new Error(`--skew "${text}": write SERVICE=MS, e.g. catalog=5 or shipping=-5`);
  }
  const services = plannedServices();
  if (!services.includes(service)) {
    throw new Error(
      `--skew "${text}": no service "${service}"; services are ${services.join(', ')}`,
    );
  }
  return { service, ms };
}
