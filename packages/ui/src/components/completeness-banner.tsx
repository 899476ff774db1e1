import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.ts';
import { causeInfo } from '../model/break-causes.ts';
import { traceUrl } from '../model/route.ts';
import { lineText, parseVerdict, verdictBanner, type Banner } from '../model/trace-verdict.ts';
import { navigate } from '../router.ts';
import { colorForName } from '../theme.ts';

/**
 * What is broken in this trace, from `/api/completeness/traces/{traceId}`: one sentence per
 * break, a link to the other half of a split, and a button that selects the span at fault.
 * Shows nothing for a complete trace, and nothing when completeness is off (501), the
 * trace is not stored (404) or the request fails: the trace itself is what the page is for.
 */
export function CompletenessBanner({ traceId }: { traceId: string }) {
  const [banner, setBanner] = useState<Banner | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setBanner(null);
    getJson<unknown>(`/api/completeness/traces/${encodeURIComponent(traceId)}`, ctl.signal).then(
      (body) => {
        const verdict = parseVerdict(body);
        setBanner(verdict && verdict.traceId === traceId ? verdictBanner(verdict) : null);
      },
      () => setBanner(null),
    );
    return () => ctl.abort();
  }, [traceId]);
  if (!banner) return null;
  return (
    <section class="completeness-banner" role="note" aria-label="Trace completeness">
      <strong class="headline">{banner.headline}</strong>
      <ul>
        {banner.lines.map((line, i) => (
          <li
            key={i}
            data-cause={line.cause}
            data-other-trace-id={line.otherTraceId || undefined}
            title={causeInfo(line.cause).meaning}
          >
            <span class="sentence">
              {line.parts.map((p, k) =>
                'text' in p ? (
                  p.text
                ) : 'service' in p ? (
                  <b key={k} class="service-name" style={{ borderColor: colorForName(p.service) }}>
                    {p.service}
                  </b>
                ) : (
                  <a key={k} href={p.href} class="other-half" data-trace-id={p.traceId}>
                    {p.label}
                  </a>
                ),
              )}
            </span>
            {line.spanIds.length > 0 && (
              <button
                type="button"
                class="show-span"
                data-span-id={line.spanIds[0]}
                aria-label={`Show the span: ${lineText(line)}`}
                onClick={() => navigate(traceUrl(traceId, line.spanIds[0]), true)}
              >
                {line.spanIds.length > 1
                  ? `show first of ${line.spanIds.length} spans`
                  : 'show span'}
              </button>
            )}
          </li>
        ))}
      </ul>
      <a class="muted more" href="/completeness">
        Where traces break across all services
      </a>
    </section>
  );
}
