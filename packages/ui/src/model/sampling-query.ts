/**
 * The Sampling page's state, kept in the URL (`/sampling?service=cart&sort=observed&order=desc`)
 * so a view can be bookmarked and shared, and its translation to
 * `GET /api/sampling/strategies`.
 */
import { OPERATION_COLUMNS, type SamplingColumn } from './sampling-strategies.ts';

export interface SamplingState {
  /** '' = every service (the overview); otherwise that service's strategy and operations. */
  service: string;
  /** The per-operation table's order. */
  sort: SamplingColumn;
  desc: boolean;
}

export const DEFAULT_SAMPLING: SamplingState = { service: '', sort: 'operation', desc: false };

/** Reads the state from URL parameters; missing or invalid values take defaults. */
export function samplingFromParams(params: URLSearchParams): SamplingState {
  const sort = params.get('sort') as SamplingColumn | null;
  const sortOk = sort !== null && OPERATION_COLUMNS.includes(sort);
  return {
    service: params.get('service') ?? '',
    sort: sortOk ? sort : DEFAULT_SAMPLING.sort,
    // A column named without an order sorts the way people expect: names A→Z, numbers high first.
    desc: params.has('order')
      ? params.get('order') === 'desc'
      : sortOk
        ? sort !== 'operation'
        : DEFAULT_SAMPLING.desc,
  };
}

/** The state as URL parameters, leaving out values at their defaults. */
export function samplingToParams(state: SamplingState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.service) p.set('service', state.service);
  if (state.sort !== DEFAULT_SAMPLING.sort || state.desc !== DEFAULT_SAMPLING.desc) {
    p.set('sort', state.sort);
    p.set('order', state.desc ? 'desc' : 'asc');
  }
  return p;
}

/** The Sampling page URL for a state. */
export function samplingUrl(state: SamplingState): string {
  const q = samplingToParams(state).toString();
  return q ? `/sampling?${q}` : '/sampling';
}

/**
 * The API URL for a state: one service (known or not: what it would get) or every
 * service Skein knows.
 */
export function samplingApiUrl(state: SamplingState): string {
  return state.service
    ? `/api/sampling/strategies?${new URLSearchParams({ service: state.service })}`
    : '/api/sampling/strategies';
}
