import { CalleeDirectory } from './callee-directory.ts';
import type { RootCandidate } from './split-finder.ts';
import { SplitFinder } from './split-finder.ts';

/** Linked span ids of consumers remembered, so a producer answered by a link elsewhere is not a break. */
const LINKED_REMEMBERED = 100_000;

/**
 * What the completeness processor learns from one tenant's traces: who calls whom,
 * the roots that may be the callee half of a split, and consumers' links. Kept apart
 * per tenant so that one tenant's traffic never answers, pairs with or explains
 * another's (two tenants may use the same service names and trace ids). A tenant quiet
 * for longer than its split candidates are kept is forgotten (the processor drops its
 * state), so memory follows the tenants sending now.
 */
export class TenantCompleteness {
  readonly tenant: string;
  readonly directory = new CalleeDirectory();
  readonly splits: SplitFinder;
  /** Root candidates whose trace is still being assembled, by trace id. */
  readonly pending = new Map<string, RootCandidate>();
  readonly linked = new Map<string, true>();
  /** When a span of the tenant was last observed (ms). */
  lastSeen = 0;

  constructor(tenant: string, options: { skewMs: number; retainUs: number }) {
    this.tenant = tenant;
    this.splits = new SplitFinder(options);
  }

  remember(spanId: string): void {
    this.linked.set(spanId, true);
    if (this.linked.size > LINKED_REMEMBERED)
      this.linked.delete(this.linked.keys().next().value as string);
  }
}
