/** Calls to Skein's public query API (docs/api.md); errors carry the server's message. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A page's view of one API call: still loading, failed (with the HTTP status, 0 when none), or done. */
export type Load<T> =
  | { state: 'loading' }
  | { state: 'error'; message: string; status: number }
  | { state: 'done'; value: T };

/** The `error` state for a failed call: the API's message and status (0 for a network error). */
export function loadFailure(err: unknown): { state: 'error'; message: string; status: number } {
  const e = err as Error;
  return { state: 'error', message: e.message, status: e instanceof ApiError ? e.status : 0 };
}

interface Envelope {
  errors?: { msg?: string }[] | null;
  error?: { message?: string };
}

function messageOf(body: unknown, status: number): string {
  const env = body as Envelope | null;
  const msg = env?.errors?.[0]?.msg ?? env?.error?.message;
  if (msg) return msg;
  if (status === 0) return 'Skein did not answer; is it running?';
  return `Skein answered ${status}`;
}

/** GETs JSON; throws ApiError with the API's own message on a non-2xx answer. */
export function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return readJson<T>(url, fetch(url, { signal, headers: { accept: 'application/json' } }));
}

/** Reads the JSON of a request already under way (see `takePrefetchedTrace`). */
export async function readJson<T>(url: string, response: Promise<Response>): Promise<T> {
  let res: Response;
  try {
    res = await response;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(
      `could not reach Skein at ${location.host}: ${(err as Error).message}; check that skein is running`,
      0,
    );
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    if (res.ok) throw new ApiError(`${url} did not answer JSON`, res.status);
  }
  if (!res.ok) throw new ApiError(messageOf(body, res.status), res.status);
  return body as T;
}

declare global {
  interface Window {
    /** Set by index.html's inline script when the page was opened at /trace/{id}. */
    __skeinTracePrefetch?: { id: string; response: Promise<Response> };
  }
}

/**
 * The request for `/api/traces/{traceId}` that index.html started while the app's code
 * was loading, if the page was opened on that trace; used once.
 */
export function takePrefetchedTrace(traceId: string): Promise<Response> | null {
  const pre = window.__skeinTracePrefetch;
  window.__skeinTracePrefetch = undefined;
  return pre && pre.id === traceId ? pre.response : null;
}

export interface JaegerEnvelope<T> {
  data: T;
  errors: { code: number; msg: string }[] | null;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}
