import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_METHODS = 'GET, HEAD, POST';
const ALLOW_HEADERS =
  'authorization, content-type, content-encoding, x-scope-orgid, x-tenant, traceparent, tracestate';

/**
 * One listener's CORS allowlist (`security.cors.*`). An allowed origin is echoed
 * back (`Vary: Origin`), `*` answers any origin with `*`; credentials are never
 * allowed cross-origin (tokens travel in the Authorization header, which the
 * preflight allows). A preflight is answered here, before authentication (browsers
 * send none with it); requests from other origins get no CORS headers, so the
 * browser keeps their answers from the page.
 */
export class CorsPolicy {
  readonly #any: boolean;
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#any = origins.includes('*');
    this.#origins = new Set(origins.filter((o) => o !== '*').map((o) => o.replace(/\/$/, '')));
  }

  get enabled(): boolean {
    return this.#any || this.#origins.size > 0;
  }

  /** The Access-Control-Allow-Origin value for a request's Origin, or undefined when not allowed. */
  allowedOrigin(origin: string | undefined): string | undefined {
    if (origin === undefined) return undefined;
    if (this.#any) return '*';
    return this.#origins.has(origin) ? origin : undefined;
  }

  /** True for a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method). */
  static isPreflight(method: string | undefined, headers: IncomingMessage['headers']): boolean {
    return (
      method === 'OPTIONS' &&
      headers.origin !== undefined &&
      headers['access-control-request-method'] !== undefined
    );
  }

  /** The headers to add to an answer for `origin` (empty when not allowed). */
  headersFor(origin: string | undefined, preflight: boolean): Record<string, string> {
    const allowed = this.allowedOrigin(origin);
    if (allowed === undefined) return {};
    const headers: Record<string, string> = { 'access-control-allow-origin': allowed };
    if (allowed !== '*') headers.vary = 'Origin';
    if (preflight) {
      headers['access-control-allow-methods'] = ALLOW_METHODS;
      headers['access-control-allow-headers'] = ALLOW_HEADERS;
      headers['access-control-max-age'] = '600';
    }
    return headers;
  }

  /**
   * For a raw node:http request: adds the CORS headers and answers a preflight (204
   * when allowed, 403 when not). Returns true when it answered.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    const preflight = CorsPolicy.isPreflight(req.method, req.headers);
    const headers = this.headersFor(origin, preflight);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (!preflight) return false;
    const allowed = 'access-control-allow-origin' in headers;
    const body = allowed
      ? ''
      : `origin ${origin} may not call this port; see security.cors in docs/configuration.md\n`;
    res.writeHead(allowed ? 204 : 403, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  }
}
