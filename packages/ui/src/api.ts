/** Calls to Skein's public query API (docs/api.md); errors carry the server's message. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
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
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json' } });
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

export interface JaegerEnvelope<T> {
  data: T;
  errors: { code: number; msg: string }[] | null;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}
