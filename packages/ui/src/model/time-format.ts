/** A duration in µs for people: `850µs`, `12.3ms`, `1.25s`, `2m 5s`, `1h 2m`. */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const abs = Math.abs(us);
  const sign = us < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${trim(abs)}µs`;
  if (abs < 1_000_000) return `${sign}${trim(abs / 1000)}ms`;
  if (abs < 60_000_000) return `${sign}${trim(abs / 1_000_000)}s`;
  const totalSeconds = Math.round(abs / 1_000_000);
  if (totalSeconds < 3600) return `${sign}${Math.floor(totalSeconds / 60)}m ${totalSeconds % 60}s`;
  const minutes = Math.round(totalSeconds / 60);
  return `${sign}${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** Three significant digits, no trailing zeros. */
function trim(v: number): string {
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/** µs since the epoch → `2026-11-21 08:31:02.123` in local time. */
export function formatTimestamp(us: number): string {
  const d = new Date(us / 1000);
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** How long ago, coarse: `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`. */
export function formatAgo(us: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - us / 1000) / 1000));
  if (s < 45) return 'just now';
  const unit = (v: number, name: string) => `${v} ${name}${v === 1 ? '' : 's'} ago`;
  if (s < 3600) return unit(Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 86400) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86400), 'day');
}
