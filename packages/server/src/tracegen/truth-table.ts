import type { TruthRates } from './truth-tally.ts';

function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

/** Left-aligns the first `left` columns (names), right-aligns the rest (numbers). */
function table(header: string[], rows: string[][], left = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The truth of a tracegen run as a plain-text report: what Skein's completeness should measure. */
export function formatTruthTable(rates: TruthRates): string {
  const fragments = rates.causes.fragment ?? 0;
  const out = [
    `truth: ${rates.traces} traces (${rates.traces - fragments} main, ${fragments} fragments), ` +
      `${rates.complete} complete = ${percent(rates.completeness)} completeness`,
    '',
    ...table(
      ['root service', 'traces', 'complete', 'rate'],
      rates.roots.map((r) => [
        r.service,
        String(r.traces),
        String(r.complete),
        percent(r.completeness),
      ]),
    ),
    '',
    ...table(
      ['edge', 'calls', 'answered', 'rate'],
      rates.edges.map((e) => [
        `${e.caller}>${e.callee}`,
        String(e.calls),
        String(e.answered),
        percent(e.answeredShare),
      ]),
    ),
  ];
  if (rates.breaks.length > 0) {
    const causes = Object.entries(rates.causes)
      .sort((a, b) => b[1] - a[1])
      .map(([cause, n]) => `${cause} ${n}`);
    out.push(
      '',
      `  breaks by cause: ${causes.join(', ')}`,
      '',
      ...table(
        ['cause', 'service', 'peer', 'count'],
        rates.breaks.map((b) => [
          b.cause,
          b.service,
          b.peer === '' ? '-' : b.peer,
          String(b.count),
        ]),
        3,
      ),
    );
  } else {
    out.push('', '  no breaks injected: every trace is complete');
  }
  return out.join('\n');
}
