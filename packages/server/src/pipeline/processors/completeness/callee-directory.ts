import { SpanKind } from '../../../model/span.ts';
import type { SpanDigest } from '../../span-digest.ts';

/**
 * What Skein has learned about who serves whom, from the traces it assembled:
 * which services are instrumented (they emitted SERVER or CONSUMER spans), which
 * service answers calls to a `server.address`, and which service consumes a
 * messaging destination. Bounded: past `limit` entries per map it stops learning
 * new names (existing ones keep working).
 */
export class CalleeDirectory {
  readonly #instrumented = new Set<string>();
  readonly #byAddress = new Map<string, string>();
  readonly #byDestination = new Map<string, string>();
  readonly #callees = new Set<string>();
  /** caller → callee → how much later the callee's span starts than the call (µs), a running mean. */
  readonly #offsets = new Map<string, Map<string, { us: number; n: number }>>();
  readonly #limit: number;

  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  /**
   * Marks a service instrumented as soon as one of its SERVER/CONSUMER spans arrives
   * (before its trace is assembled), so calls to it judged meanwhile are judged.
   */
  markInstrumented(service: string): void {
    if (this.#instrumented.size < this.#limit || this.#instrumented.has(service))
      this.#instrumented.add(service);
  }

  isInstrumented(service: string): boolean {
    return this.#instrumented.has(service);
  }

  /** Whether calls to `service` were seen (so its root spans may be halves of split traces). */
  isCallee(service: string): boolean {
    return this.#callees.has(service);
  }

  serviceForAddress(address: string): string | undefined {
    return this.#byAddress.get(address);
  }

  consumerOf(destination: string): string | undefined {
    return this.#byDestination.get(destination);
  }

  /**
   * How much later (µs) the callee's SERVER/CONSUMER span typically starts than the
   * caller's CLIENT/PRODUCER span on this edge, learned from answered calls: the
   * network delay plus the clock skew between the two services (0 when unknown).
   * Pairing split traces looks for the other half around the call's start plus this.
   */
  offsetUs(caller: string, callee: string): number {
    return this.#offsets.get(caller)?.get(callee)?.us ?? 0;
  }

  /** Learns from one assembled trace (call before classifying it). */
  learn(spans: readonly SpanDigest[], byId: ReadonlyMap<string, SpanDigest>): void {
    for (const s of spans) {
      if (s.kind !== SpanKind.Server && s.kind !== SpanKind.Consumer) continue;
      if (this.#instrumented.size < this.#limit) this.#instrumented.add(s.service);
      if (s.kind === SpanKind.Consumer && s.destination !== '') {
        if (!this.#byDestination.has(s.destination) && this.#byDestination.size < this.#limit)
          this.#byDestination.set(s.destination, s.service);
      }
      // An answered call teaches which service its address leads to, and the edge's offset.
      const caller = s.parentSpanId === '' ? undefined : byId.get(s.parentSpanId);
      if (
        caller !== undefined &&
        (caller.kind === SpanKind.Client || caller.kind === SpanKind.Producer)
      )
        this.#learnOffset(caller.service, s.service, s.startTime - caller.startTime);
      if (caller !== undefined && caller.kind === SpanKind.Client && caller.serverAddress !== '') {
        if (this.#byAddress.size < this.#limit || this.#byAddress.has(caller.serverAddress))
          this.#byAddress.set(caller.serverAddress, s.service);
      }
    }
  }

  #learnOffset(caller: string, callee: string, us: number): void {
    let byCallee = this.#offsets.get(caller);
    if (byCallee === undefined) {
      if (this.#offsets.size >= this.#limit) return;
      byCallee = new Map();
      this.#offsets.set(caller, byCallee);
    }
    const offset = byCallee.get(callee);
    if (offset === undefined) {
      if (byCallee.size < this.#limit) byCallee.set(callee, { us, n: 1 });
      return;
    }
    // A mean over the last ~64 calls follows a drifting clock.
    if (offset.n < 64) offset.n++;
    offset.us += (us - offset.us) / offset.n;
  }

  /**
   * The instrumented service a CLIENT or PRODUCER span calls, or undefined when it
   * cannot be told (a database, a cache, an uninstrumented API): such calls are not judged.
   */
  calleeOf(span: SpanDigest): string | undefined {
    const callee = this.#resolve(span);
    if (callee !== undefined && this.#callees.size < this.#limit) this.#callees.add(callee);
    return callee;
  }

  #resolve(span: SpanDigest): string | undefined {
    if (span.peerService !== '' && this.#instrumented.has(span.peerService))
      return span.peerService;
    if (span.serverAddress !== '') {
      const learned = this.#byAddress.get(span.serverAddress);
      if (learned !== undefined) return learned;
      if (this.#instrumented.has(span.serverAddress)) return span.serverAddress;
    }
    if (span.kind === SpanKind.Producer && span.destination !== '')
      return this.#byDestination.get(span.destination);
    return undefined;
  }
}
