import type { Server } from 'node:http';
import type { HttpListenerLimitsConfig } from '../config/config.ts';

/**
 * Applies `limits.http` to a node:http server (also a Fastify app's `server`);
 * call it before `listen`.
 *
 * node:http checks header and request timeouts on a timer
 * (`connectionsCheckingInterval`, 30 s by default), so a client could hold a
 * connection up to 30 s past its timeout; the interval is set to a quarter of
 * the shorter timeout, at least 50 ms and at most 1 s, so a slow client is cut
 * close to the configured time. A client cut for its headers or body gets 408
 * and the connection is closed.
 */
export function applyHttpTimeouts(server: Server, limits: HttpListenerLimitsConfig): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  // Read when the server starts listening (node:http's setupConnectionsTracking).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.max(50, Math.min(1000, Math.floor(shorter / 4)));
}
