/**
 * What a credential may do. `ingest`: send spans and fetch sampling strategies;
 * `read`: the query API, Zipkin's read API and the UI's data; `admin`: the admin
 * port's `/metrics`. A route declared `public` needs no credentials (the UI's static
 * files, `/health`, `/ready`, CORS preflights).
 */
export type Scope = 'ingest' | 'read' | 'admin';

/** The scope a route needs, or `public` for none. */
export type RouteScope = Scope | 'public';

export const SCOPES: readonly Scope[] = ['ingest', 'read', 'admin'];

export function isScope(value: unknown): value is Scope {
  return value === 'ingest' || value === 'read' || value === 'admin';
}
