import { parseBreakSpec, parseSkew, type BreakSpec } from '../tracegen/break-spec.ts';
import { plannedServices } from '../tracegen/trace-plan.ts';
import { runTracegen, type TracegenProtocol } from '../tracegen/tracegen.ts';
import { formatTruthTable } from '../tracegen/truth-table.ts';

const PROTOCOLS: TracegenProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

export const TRACEGEN_HELP = `skein tracegen: send synthetic traces of a small web shop over OTLP

  --endpoint URL     where to send (default http://localhost:4318, or :4317 for grpc)
  --protocol P       http/protobuf (default), http/json or grpc
  --rate N           traces per second (default 50)
  --count N          stop after N traces (default 1000; 0 = no limit)
  --duration S       stop after S seconds (default 0 = no limit)
  --seed N           PRNG seed, for reproducible traces (default 1)

Break injection (to check what skein's trace completeness measures; repeat or
comma-separate; quote values with > or *, or write CALLER/CALLEE):
  --break CAUSE:CALLER>CALLEE=RATE
                     break that share (0..1) of the calls on an edge; CALLER or
                     CALLEE may be * (any). Causes:
                       split       HTTP/gRPC callee starts a new trace (no context)
                       async       queue consumer starts a new trace (checkout>shipping)
                       unanswered  the callee's side of the call is never sent
                       orphan      the caller's client/producer span is never sent
  --break late=RATE  send that share of leaf spans (internal, db, cache) late
  --late-delay-ms N  how long after the rest of its trace a late span is sent
                     (default 15000; keep it above skein's pipeline.traceBuffer.idleSeconds)
  --skew SERVICE=MS  shift every span of SERVICE by MS ms (clock skew; may be < 0)
  Services: ${plannedServices().join(', ')}.
  At the end tracegen prints the truth: completeness, per edge answered share,
  per cause counts. Example:
    skein tracegen --break 'split:frontend>catalog=0.05' --break late=0.01
`;

/** A repeatable option's values (`--break a --break b` or `--break a,b`). */
function listOption(options: Record<string, string>, name: string): string[] {
  const raw = options[name];
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function intOption(options: Record<string, string>, name: string, fallback: number): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number >= 0, got "${raw}"`);
  return n;
}

/** `skein tracegen`: runs until the count or duration is reached or SIGINT; returns the exit code. */
export async function tracegenCommand(options: Record<string, string>): Promise<number> {
  for (const key of Object.keys(options)) {
    if (
      ![
        'endpoint',
        'protocol',
        'rate',
        'count',
        'duration',
        'seed',
        'break',
        'late-delay-ms',
        'skew',
      ].includes(key)
    ) {
      throw new Error(`unknown tracegen option --${key}\n\n${TRACEGEN_HELP}`);
    }
  }
  const protocol = (options.protocol ?? 'http/protobuf') as TracegenProtocol;
  if (!PROTOCOLS.includes(protocol)) {
    throw new Error(`--protocol must be one of ${PROTOCOLS.join(', ')}, got "${protocol}"`);
  }
  const endpoint =
    options.endpoint ?? (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318');
  const rate = intOption(options, 'rate', 50);
  if (rate === 0) throw new Error('--rate must be at least 1');
  const count = intOption(options, 'count', 1000);
  const durationSeconds = intOption(options, 'duration', 0);
  const seed = intOption(options, 'seed', 1);
  const breaks: BreakSpec[] = listOption(options, 'break').map(parseBreakSpec);
  const skewMs: Record<string, number> = {};
  for (const item of listOption(options, 'skew')) {
    const { service, ms } = parseSkew(item);
    skewMs[service] = ms;
  }
  const lateDelayMs = intOption(options, 'late-delay-ms', 15_000);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  console.error(
    `tracegen: ${rate} traces/s to ${endpoint} (${protocol})${count > 0 ? `, ${count} traces` : ''}` +
      (breaks.length > 0
        ? `; breaking ${breaks.map((b) => (b.cause === 'late' ? `late=${b.rate}` : `${b.cause}:${b.caller}>${b.callee}=${b.rate}`)).join(', ')}`
        : ''),
  );
  const result = await runTracegen(
    {
      endpoint,
      protocol,
      rate,
      count,
      durationSeconds,
      seed,
      breaks,
      skewMs,
      lateDelayMs,
      onProgress: (p) => {
        const line =
          `tracegen: ${p.traces} traces, ${p.spans} spans generated; ${p.exportedSpans} exported, ` +
          `${p.failedSpans} failed; ${(p.traces / Math.max(p.elapsedSeconds, 0.001)).toFixed(0)} traces/s` +
          (p.heldLateSpans > 0 ? `; ${p.heldLateSpans} late spans held` : '') +
          (p.lastError !== '' ? `; last error: ${p.lastError}` : '');
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else console.error(line);
      },
    },
    abort.signal,
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (tty) process.stderr.write('\n');
  if (breaks.length > 0 || Object.keys(skewMs).length > 0) {
    console.log(formatTruthTable(result.truth.rates()));
  }
  if (result.failedSpans > 0) {
    console.error(
      `tracegen: ${result.failedSpans} spans were not accepted (${result.lastError}); is skein running at ${endpoint}?`,
    );
    return 1;
  }
  console.error(
    `tracegen: done, ${result.exportedSpans} spans in ${result.traces} traces accepted`,
  );
  return 0;
}
