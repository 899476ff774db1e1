/**
 * The search form's state, kept in the URL (`/search?service=cart&lookback=1h&...`) so a
 * search can be bookmarked and shared, and its translation to an api_v3
 * trace-summaries request. Parameter names follow Jaeger UI's search URLs.
 */
export interface SearchForm {
  /** '' = all services. */
  service: string;
  operation: string;
  /** logfmt: `http.status_code=500 error=true`. */
  tags: string;
  /** Go durations, as the API takes them; '' = no bound. */
  minDuration: string;
  maxDuration: string;
  /** A preset such as `1h` or `2d`, or `custom` to use `start`/`end`. */
  lookback: string;
  /** µs since the epoch, used when `lookback` is `custom`. */
  start: number | null;
  end: number | null;
  limit: number;
  sort: SortOrder;
}

export type SortOrder = 'recent' | 'longest' | 'shortest' | 'most-spans';

export const SORT_ORDERS: readonly SortOrder[] = ['recent', 'longest', 'shortest', 'most-spans'];

export const LOOKBACKS: readonly { value: string; label: string }[] = [
  { value: '5m', label: 'Last 5 minutes' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '2h', label: 'Last 2 hours' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '12h', label: 'Last 12 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '2d', label: 'Last 2 days' },
  { value: '7d', label: 'Last 7 days' },
  { value: 'custom', label: 'Custom range' },
];

export const DEFAULT_FORM: SearchForm = {
  service: '',
  operation: '',
  tags: '',
  minDuration: '',
  maxDuration: '',
  lookback: '1h',
  start: null,
  end: null,
  limit: 20,
  sort: 'recent',
};

function intOrNull(v: string | null): number | null {
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** Reads the form from URL search parameters; missing or invalid values take defaults. */
export function formFromParams(params: URLSearchParams): SearchForm {
  const limit = intOrNull(params.get('limit'));
  const sort = params.get('sort') as SortOrder | null;
  const lookback = params.get('lookback') ?? DEFAULT_FORM.lookback;
  return {
    service: params.get('service') ?? '',
    operation: params.get('operation') ?? '',
    tags: params.get('tags') ?? '',
    minDuration: params.get('minDuration') ?? '',
    maxDuration: params.get('maxDuration') ?? '',
    lookback:
      lookback === 'custom' || lookbackMs(lookback) !== null ? lookback : DEFAULT_FORM.lookback,
    start: intOrNull(params.get('start')),
    end: intOrNull(params.get('end')),
    limit: limit !== null && limit > 0 ? limit : DEFAULT_FORM.limit,
    sort: sort !== null && SORT_ORDERS.includes(sort) ? sort : DEFAULT_FORM.sort,
  };
}

/** The form as URL parameters, leaving out values at their defaults. */
export function formToParams(form: SearchForm): URLSearchParams {
  const p = new URLSearchParams();
  if (form.service) p.set('service', form.service);
  if (form.operation) p.set('operation', form.operation);
  if (form.tags.trim()) p.set('tags', form.tags.trim());
  if (form.minDuration) p.set('minDuration', form.minDuration);
  if (form.maxDuration) p.set('maxDuration', form.maxDuration);
  p.set('lookback', form.lookback);
  if (form.lookback === 'custom') {
    if (form.start !== null) p.set('start', String(form.start));
    if (form.end !== null) p.set('end', String(form.end));
  }
  if (form.limit !== DEFAULT_FORM.limit) p.set('limit', String(form.limit));
  if (form.sort !== DEFAULT_FORM.sort) p.set('sort', form.sort);
  return p;
}

const LOOKBACK_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m`, `6h`, `2d` → ms; null for anything else. */
export function lookbackMs(lookback: string): number | null {
  const m = /^(\d+)([mhd])$/.exec(lookback);
  return m ? Number(m[1]) * LOOKBACK_UNITS[m[2]] : null;
}

export type LogfmtResult =
  { ok: true; tags: Record<string, string> } | { ok: false; error: string };

/**
 * Parses logfmt tag conditions as Jaeger UI takes them: `key=value` pairs separated by
 * spaces; values with spaces in double quotes (`msg="out of stock"`, `\"` escapes a quote).
 */
export function parseLogfmt(input: string): LogfmtResult {
  const tags: Record<string, string> = {};
  let i = 0;
  const s = input;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const keyStart = i;
    while (i < s.length && s[i] !== '=' && !/\s/.test(s[i])) i++;
    const key = s.slice(keyStart, i);
    if (s[i] !== '=' || key === '') {
      return {
        ok: false,
        error: `"${key || s.slice(keyStart)}" is not a key=value pair; write tags as key=value, e.g. http.status_code=500`,
      };
    }
    i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        if (s[i] === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else if (s[i] === '"') {
          closed = true;
          i++;
          break;
        } else value += s[i++];
      }
      if (!closed) return { ok: false, error: `the value of "${key}" has no closing quote` };
    } else {
      const valueStart = i;
      while (i < s.length && !/\s/.test(s[i])) i++;
      value = s.slice(valueStart, i);
    }
    tags[key] = value;
  }
  return { ok: true, tags };
}

/**
 * The `/api/v3/trace-summaries` query string for a form, with the time window resolved
 * against `nowMs`. Throws with a message for the user when the tags do not parse.
 */
export function summariesQuery(form: SearchForm, nowMs: number): URLSearchParams {
  const p = new URLSearchParams();
  if (form.service) p.set('query.serviceName', form.service);
  if (form.operation) p.set('query.operationName', form.operation);
  const tags = parseLogfmt(form.tags);
  if (!tags.ok) throw new Error(tags.error);
  if (Object.keys(tags.tags).length > 0) p.set('query.attributes', JSON.stringify(tags.tags));
  let startMs: number;
  let endMs: number;
  if (form.lookback === 'custom') {
    endMs = form.end !== null ? form.end / 1000 : nowMs;
    startMs = form.start !== null ? form.start / 1000 : endMs - 3_600_000;
  } else {
    endMs = nowMs;
    startMs = nowMs - (lookbackMs(form.lookback) ?? 3_600_000);
  }
  p.set('query.startTimeMin', new Date(startMs).toISOString());
  p.set('query.startTimeMax', new Date(endMs).toISOString());
  if (form.minDuration) p.set('query.durationMin', form.minDuration);
  if (form.maxDuration) p.set('query.durationMax', form.maxDuration);
  p.set('query.searchDepth', String(form.limit));
  return p;
}

/** One row of `/api/v3/trace-summaries`. */
export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startTime: number;
  duration: number;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  services: { name: string; spanCount: number; errorSpanCount: number }[];
}

/** Sorts summaries in place for the chosen order; ties keep the most recent first. */
export function sortSummaries(list: TraceSummary[], order: SortOrder): TraceSummary[] {
  const recent = (a: TraceSummary, b: TraceSummary) => b.startTime - a.startTime;
  switch (order) {
    case 'longest':
      return list.sort((a, b) => b.duration - a.duration || recent(a, b));
    case 'shortest':
      return list.sort((a, b) => a.duration - b.duration || recent(a, b));
    case 'most-spans':
      return list.sort((a, b) => b.spanCount - a.spanCount || recent(a, b));
    default:
      return list.sort(recent);
  }
}
