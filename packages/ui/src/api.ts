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
  if (!res.ok) {
    if (res.status === 401) void signInAgain();
    throw new ApiError(messageOf(body, res.status), res.status);
  }
  return body as T;
}

/** `GET /api/session`: whether Skein offers sign-in, and who this browser is signed in as. */
export interface SessionInfo {
  login: boolean;
  signedIn: boolean;
  name?: string;
  scopes?: string[];
  tenant?: string;
  /** Sent back as `X-CSRF-Token` on every POST the session cookie signs in. */
  csrfToken?: string;
  expiresAt?: number;
}

let session: Promise<SessionInfo> | undefined;

/** The session, asked once per page load (`fresh` asks again). */
export function sessionInfo(fresh = false): Promise<SessionInfo> {
  if (session === undefined || fresh) {
    session = getJsonPlain<SessionInfo>('/api/session').catch(
      () => ({ login: false, signedIn: false }) as SessionInfo,
    );
  }
  return session;
}

function getJsonPlain<T>(url: string): Promise<T> {
  return fetch(url, { headers: { accept: 'application/json' } }).then((res) => {
    if (!res.ok) throw new ApiError(`Skein answered ${res.status}`, res.status);
    return res.json() as Promise<T>;
  });
}

/** A 401 with sign-in offered: the session ended, so the browser signs in again. */
async function signInAgain(): Promise<void> {
  const s = await sessionInfo(true);
  if (s.login && !s.signedIn) {
    location.assign(`/login?returnTo=${encodeURIComponent(location.pathname + location.search)}`);
  }
}

/**
 * POSTs JSON with the session's CSRF token (`X-CSRF-Token`): Skein refuses a POST
 * signed in by the session cookie without it. Throws ApiError like getJson.
 */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const s = await sessionInfo();
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
  };
  if (s.csrfToken !== undefined) headers['x-csrf-token'] = s.csrfToken;
  return readJson<T>(url, fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
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
