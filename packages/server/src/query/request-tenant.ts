import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_TENANT } from '../model/span.ts';
import { identityOf } from '../security/index.ts';

/**
 * The tenant an HTTP request acts for: the one its credentials are bound to, else the
 * tenant header's value, else {@link DEFAULT_TENANT} (the listener's guard resolved
 * it; security/identity.ts). Every storage read a route makes passes this, so no
 * route can show one tenant's data to another.
 */
export function tenantOfRequest(req: IncomingMessage): string {
  return identityOf(req)?.tenant ?? DEFAULT_TENANT;
}

/** {@link tenantOfRequest} for a Fastify route. */
export function requestTenant(request: FastifyRequest): string {
  return tenantOfRequest(request.raw);
}
