/** A page of the UI, parsed from the location; every route is deep-linkable. */
export type Route =
  | { page: 'search'; params: URLSearchParams }
  | { page: 'trace'; traceId: string; spanId: string }
  | { page: 'dependencies'; params: URLSearchParams }
  | { page: 'monitor'; params: URLSearchParams }
  | { page: 'completeness'; params: URLSearchParams }
  | { page: 'sampling'; params: URLSearchParams }
  | { page: 'upload' }
  | { page: 'compare'; a: string; b: string }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/search') return { page: 'search', params };
  if (path === '/dependencies') return { page: 'dependencies', params };
  if (path === '/monitor') return { page: 'monitor', params };
  if (path === '/completeness') return { page: 'completeness', params };
  if (path === '/sampling') return { page: 'sampling', params };
  if (path === '/upload') return { page: 'upload' };
  const trace = /^\/trace\/([^/]+)$/.exec(path);
  if (trace) {
    return {
      page: 'trace',
      traceId: decodeURIComponent(trace[1]).toLowerCase(),
      spanId: params.get('span') ?? '',
    };
  }
  const compare = /^\/compare\/([^/.]*)\.\.\.([^/.]*)$/.exec(path);
  if (compare) return { page: 'compare', a: compare[1], b: compare[2] };
  return { page: 'not-found', path: pathname };
}

/** The URL of a trace page, optionally with a span selected. */
export function traceUrl(traceId: string, spanId = ''): string {
  return `/trace/${encodeURIComponent(traceId)}${spanId ? `?span=${encodeURIComponent(spanId)}` : ''}`;
}
