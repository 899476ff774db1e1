import type { Span } from '@opentelemetry/api';
import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * Request-id alignment for node:http: on a server span, records an incoming
 * `<header>` as `http.request.header.<header>`; on a client span, sets `<header>` to
 * the trace id when the request has none, so logs keyed by request id and traces
 * meet. The returned function is the http instrumentation's `requestHook`.
 */
export function requestIdHook(
  header: string,
): (span: Span, req: ClientRequest | IncomingMessage) => void {
  const name = header.toLowerCase();
  const attribute = `http.request.header.${name}`;
  return (span, req) => {
    if (
      'headers' in req &&
      typeof (req as IncomingMessage).method === 'string' &&
      !('setHeader' in req)
    ) {
      const value = (req as IncomingMessage).headers[name];
      if (value !== undefined) span.setAttribute(attribute, Array.isArray(value) ? value : [value]);
      return;
    }
    const client = req as ClientRequest;
    if (client.headersSent || client.getHeader(name) !== undefined) return;
    const id = span.spanContext().traceId;
    client.setHeader(name, id);
    span.setAttribute(attribute, [id]);
  };
}

/** The same for undici / fetch requests (the undici instrumentation's `requestHook`). */
export function undiciRequestIdHook(
  header: string,
): (
  span: Span,
  req: { headers: string | (string | string[])[]; addHeader(n: string, v: string): void },
) => void {
  const name = header.toLowerCase();
  const attribute = `http.request.header.${name}`;
  return (span, req) => {
    if (hasHeader(req.headers, name)) return;
    const id = span.spanContext().traceId;
    req.addHeader(name, id);
    span.setAttribute(attribute, [id]);
  };
}

function hasHeader(headers: string | (string | string[])[], name: string): boolean {
  if (typeof headers === 'string') return headers.toLowerCase().includes(`${name}:`);
  for (let i = 0; i < headers.length; i += 2) {
    const key = headers[i];
    if (typeof key === 'string' && key.toLowerCase() === name) return true;
  }
  return false;
}
