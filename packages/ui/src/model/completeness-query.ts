/**
 * The Completeness page's state, kept in the URL
 * (`/completeness?service=frontend&lookback=1h&cause=split_trace`), and its translation to
 * `GET /api/completeness`. Jaeger UI's Quality Metrics page links here with
 * `lookback=<hours>h` (hours may be fractional), so any positive duration in m, h or d is
 * accepted, not only the presets.
 */
import {
  EDGE_COLUMNS,
  SERVICE_COLUMNS,
  type EdgeColumn,
  type ServiceColumn,
} from './completeness-report.ts';

/** Windows offered in the select. */
export const COMPLETENESS_LOOKBACKS: readonly { value: string; label: string }[] = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '48h', label: 'Last 2 days' },
  { value: '7d', label: 'Last 7 days' },
];

export interface CompletenessState {
  /** '' = all services. */
  service: string;
  /** A duration: a number and m, h or d (`15m`, `1h`, `0.5h`, `7d`). */
  lookback: string;
  /** The cause the page opens on ('' = none). */
  cause: string;
  serviceSort: ServiceColumn;
  serviceDesc: boolean;
  edgeSort: EdgeColumn;
  edgeDesc: boolean;
}

export const DEFAULT_COMPLETENESS: CompletenessState = {
  service: '',
  lookback: '1h',
  cause: '',
  serviceSort: 'breakCount',
  serviceDesc: true,
  edgeSort: 'breakCount',
  edgeDesc: true,
};

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A lookback in ms, or null when it is not a positive number followed by m, h or d. */
export function completenessLookbackMs(lookback: string): number | null {
  const m = /^(\d{1,9}(?:\.\d{1,20})?)([mhd])$/.exec(lookback);
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  return ms > 0 ? ms : null;
}

/** A label for a lookback: the preset's, or `Last 2.5h` for one that came in a link. */
export function lookbackLabel(lookback: string): string {
  const preset = COMPLETENESS_LOOKBACKS.find((l) => l.value === lookback);
  if (preset) return preset.label;
  const m = /^(\d+(?:\.\d+)?)([mhd])$/.exec(lookback);
  if (!m) return lookback;
  return `Last ${Number(Number(m[1]).toFixed(2))}${m[2]}`;
}

/** A sort from the URL: `-breakCount` is descending, `service` ascending. */
function readSort<C extends string>(
  text: string | null,
  columns: readonly C[],
  fallback: { column: C; desc: boolean },
): { column: C; desc: boolean } {
  if (text === null) return fallback;
  const desc = text.startsWith('-');
  const column = (desc ? text.slice(1) : text) as C;
  return columns.includes(column) ? { column, desc } : fallback;
}

/** Reads the state from URL parameters; missing or invalid values take defaults. */
export function completenessFromParams(params: URLSearchParams): CompletenessState {
  const lookback = params.get('lookback') ?? '';
  const services = readSort(params.get('serviceSort'), SERVICE_COLUMNS, {
    column: DEFAULT_COMPLETENESS.serviceSort,
    desc: DEFAULT_COMPLETENESS.serviceDesc,
  });
  const edges = readSort(params.get('edgeSort'), EDGE_COLUMNS, {
    column: DEFAULT_COMPLETENESS.edgeSort,
    desc: DEFAULT_COMPLETENESS.edgeDesc,
  });
  const cause = params.get('cause') ?? '';
  return {
    service: params.get('service') ?? '',
    lookback: completenessLookbackMs(lookback) !== null ? lookback : DEFAULT_COMPLETENESS.lookback,
    cause: /^[a-z_]{1,40}$/.test(cause) ? cause : '',
    serviceSort: services.column,
    serviceDesc: services.desc,
    edgeSort: edges.column,
    edgeDesc: edges.desc,
  };
}

/** The state as URL parameters, leaving out values at their defaults (lookback always kept). */
export function completenessToParams(state: CompletenessState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.service) p.set('service', state.service);
  p.set('lookback', state.lookback);
  if (state.cause) p.set('cause', state.cause);
  if (
    state.serviceSort !== DEFAULT_COMPLETENESS.serviceSort ||
    state.serviceDesc !== DEFAULT_COMPLETENESS.serviceDesc
  )
    p.set('serviceSort', `${state.serviceDesc ? '-' : ''}${state.serviceSort}`);
  if (
    state.edgeSort !== DEFAULT_COMPLETENESS.edgeSort ||
    state.edgeDesc !== DEFAULT_COMPLETENESS.edgeDesc
  )
    p.set('edgeSort', `${state.edgeDesc ? '-' : ''}${state.edgeSort}`);
  return p;
}

/** The Completeness page URL for a state. */
export function completenessUrl(state: CompletenessState): string {
  return `/completeness?${completenessToParams(state)}`;
}

/**
 * The `/api/completeness` URL for a state at `nowMs`: the window as `start`/`end` in µs
 * (the API's `lookback` is a Go duration, which has no days), and the service filter.
 * The step is left to the server (at most 120 points).
 */
export function completenessApiUrl(state: CompletenessState, nowMs: number): string {
  const lookbackMs = completenessLookbackMs(state.lookback) ?? 3_600_000;
  const end = Math.floor(nowMs) * 1000;
  const p = new URLSearchParams();
  p.set('start', String(end - lookbackMs * 1000));
  p.set('end', String(end));
  if (state.service) p.set('service', state.service);
  return `/api/completeness?${p}`;
}
