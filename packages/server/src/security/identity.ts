import type { IncomingMessage } from 'node:http';
import type { RequestIdentity } from './principal.ts';

const identities = new WeakMap<IncomingMessage, RequestIdentity>();

/** Records who a request was admitted as (the guards call this). */
export function setIdentity(req: IncomingMessage, identity: RequestIdentity): void {
  identities.set(req, identity);
}

/**
 * Who an admitted HTTP request acts as: principal and tenant. Undefined when the
 * listener has no guard (tests that build a server alone).
 */
export function identityOf(req: IncomingMessage): RequestIdentity | undefined {
  return identities.get(req);
}
