import type { Span } from '../../model/span.ts';

/**
 * Stamps `tenant` on the resource of every span: once per run of spans sharing a
 * resource object (decoders make resources per request, so none is shared with
 * another request's spans), without allocating.
 */
export function stampTenant(spans: readonly Span[], tenant: string): void {
  let last = undefined as Span['resource'] | undefined;
  for (let i = 0; i < spans.length; i++) {
    const resource = spans[i].resource;
    if (resource === last) continue;
    resource.tenant = tenant;
    last = resource;
  }
}
