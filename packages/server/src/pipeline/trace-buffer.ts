import type { Span, SpanKind, StatusCode } from '../model/span.ts';
import { SpanKind as Kind } from '../model/span.ts';
import { readCallTarget, nameHash, type CallTarget, type SpanDigest } from './span-digest.ts';
import { traceKey } from './trace-key.ts';

/** Why a trace left the buffer. */
export type ReleaseReason = 'idle' | 'evicted' | 'shutdown';

/** A trace handed to trace-level processors: every span that arrived for it, once. */
export interface AssembledTrace {
  /** The tenant whose trace this is (`Resource.tenant` of its spans). */
  tenant: string;
  traceId: string;
  /** In arrival order. Owned by the receiver of the trace. */
  spans: SpanDigest[];
  /** The spans themselves, in arrival order, when they were held (tail sampling); else undefined. */
  held: Span[] | undefined;
  reason: ReleaseReason;
  /** What processors noted on the trace while it was buffered (`note`). */
  notes: Map<string, unknown> | undefined;
}

export interface TraceBufferOptions {
  /** A trace is assembled when no span arrived for it for this long (ms). */
  idleMs: number;
  /** Traces buffered at most; beyond it the oldest is released early (`evicted`). */
  maxTraces: number;
  /** Spans buffered at most (this sizes the span slab); beyond it the oldest traces are released early. */
  maxSpans: number;
  /** Encoded bytes of held spans at most; beyond it the oldest traces are released early. */
  maxHeldBytes: number;
  /** Traces remembered after release, to recognise late spans. */
  rememberReleased: number;
  /**
   * Called once per trace, in release order; returns whether the trace was kept (the
   * decision late spans of it follow). Must not throw.
   */
  onRelease: (trace: AssembledTrace) => boolean;
  /** Called for a span of a trace already released (a late span), with that trace's decision. Must not throw. */
  onLateSpan: (span: Span, kept: boolean) => void;
  /** Clock in ms (tests pass their own). */
  now?: () => number;
}

interface BufferedTrace {
  tenant: string;
  traceId: string;
  /** `traceKey(tenant, traceId)`: the key in `#traces` and `#released`. */
  key: string;
  /** First and last slot of the trace's span list (linked through `#next`). */
  head: number;
  tail: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
  released: boolean;
  notes: Map<string, unknown> | undefined;
}

/** Interned strings (services, addresses, destinations); id 0 is ''. Bounded: past the limit, new strings read back as ''. */
class StringTable {
  readonly #ids = new Map<string, number>([['', 0]]);
  readonly #values: string[] = [''];
  readonly #limit: number;
  overflowed = 0;
  constructor(limit: number) {
    this.#limit = limit;
  }
  id(value: string): number {
    const id = this.#ids.get(value);
    if (id !== undefined) return id;
    if (this.#values.length >= this.#limit) {
      this.overflowed++;
      return 0;
    }
    this.#ids.set(value, this.#values.length);
    this.#values.push(value);
    return this.#values.length - 1;
  }
  value(id: number): string {
    return this.#values[id];
  }
}

/** Hex digit value by char code (0 for anything else). */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}
/** Char codes of the lowercase hex digits. */
const HEX_CODE = new Uint8Array([
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102,
]);

/** Parses 8 hex digits of `id` from `at` into an unsigned 32-bit number (bad digits read as 0). */
function hex32(id: string, at: number): number {
  const v = HEX_VALUE;
  return (
    ((v[id.charCodeAt(at) & 127] << 28) |
      (v[id.charCodeAt(at + 1) & 127] << 24) |
      (v[id.charCodeAt(at + 2) & 127] << 20) |
      (v[id.charCodeAt(at + 3) & 127] << 16) |
      (v[id.charCodeAt(at + 4) & 127] << 12) |
      (v[id.charCodeAt(at + 5) & 127] << 8) |
      (v[id.charCodeAt(at + 6) & 127] << 4) |
      v[id.charCodeAt(at + 7) & 127]) >>>
    0
  );
}

/** The 16 lowercase hex digits of a 64-bit id given as two 32-bit halves. */
function hex64(hi: number, lo: number): string {
  const c = HEX_CODE;
  // prettier-ignore
  return String.fromCharCode(
    c[(hi >>> 28) & 15], c[(hi >>> 24) & 15], c[(hi >>> 20) & 15], c[(hi >>> 16) & 15],
    c[(hi >>> 12) & 15], c[(hi >>> 8) & 15], c[(hi >>> 4) & 15], c[hi & 15],
    c[(lo >>> 28) & 15], c[(lo >>> 24) & 15], c[(lo >>> 20) & 15], c[(lo >>> 16) & 15],
    c[(lo >>> 12) & 15], c[(lo >>> 8) & 15], c[(lo >>> 4) & 15], c[lo & 15],
  );
}

/**
 * The trace buffer: assembles traces by (tenant, trace id) until they are idle, for the processors
 * that need whole traces (completeness; tail sampling later). Shared: one buffer per
 * pipeline, fed once per span.
 *
 * Memory is bounded and compact: a span is kept as 59 bytes in typed arrays (~75 with its trace entry) (a
 * slab of `maxSpans` slots, touched only as it fills), never as the span object, so
 * spans flow on to storage at once. Strings (services, call targets) are interned.
 * When `maxTraces` or `maxSpans` is reached, the oldest traces are released early
 * with reason `evicted` (counted), never dropped unannounced.
 *
 * Contract: `add` is synchronous and allocation-light; `tick` releases traces idle
 * for `idleMs` (call it from a timer; `start` does); `flush` releases every trace
 * (reason `shutdown`). A span whose trace was released within the last
 * `rememberReleased` traces goes to `onLateSpan` instead of starting a new trace.
 * A trace is its tenant's (`span.resource.tenant`): two tenants sending the same trace
 * id make two traces, assembled, released and decided apart.
 */
export class TraceBuffer {
  readonly #options: TraceBufferOptions;
  readonly #now: () => number;
  /** Buffered traces by `traceKey(tenant, traceId)`. */
  readonly #traces = new Map<string, BufferedTrace>();
  /** Buffered traces in first-seen order (from `#head`); released ones are skipped. */
  #order: BufferedTrace[] = [];
  #head = 0;
  /** Recently released traces (by `traceKey`) and whether each was kept. */
  readonly #released = new Map<string, boolean>();
  readonly #strings = new StringTable(100_000);
  readonly #target: CallTarget = { peerService: '', serverAddress: '', destination: '' };
  #timer: NodeJS.Timeout | undefined;
  /** The trace the last span was added to. */
  #last: BufferedTrace | undefined;

  // The span slab: one slot per buffered span.
  readonly #spanHi: Uint32Array;
  readonly #spanLo: Uint32Array;
  readonly #parentHi: Uint32Array;
  readonly #parentLo: Uint32Array;
  readonly #start: Float64Array;
  readonly #duration: Float64Array;
  readonly #kind: Uint8Array;
  readonly #flags: Uint8Array;
  readonly #status: Uint8Array;
  readonly #service: Uint32Array;
  readonly #name: Uint32Array;
  readonly #peer: Uint32Array;
  readonly #address: Uint32Array;
  readonly #destination: Uint32Array;
  readonly #next: Int32Array;
  readonly #links = new Map<number, string[]>();
  /** Held spans and their encoded bytes, by slot (only for spans added with `hold`). */
  readonly #held: (Span | undefined)[] = [];
  readonly #heldBytes: Float64Array;
  #heldTotal = 0;
  /** Slots below this were handed out at least once; freed ones are on the free list. */
  #highWater = 0;
  #free = -1;
  #spans = 0;

  /** Traces released so far, by reason. */
  readonly releasedCount: Record<ReleaseReason, number> = { idle: 0, evicted: 0, shutdown: 0 };
  lateSpans = 0;

  constructor(options: TraceBufferOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const n = Math.max(1, options.maxSpans);
    this.#spanHi = new Uint32Array(n);
    this.#spanLo = new Uint32Array(n);
    this.#parentHi = new Uint32Array(n);
    this.#parentLo = new Uint32Array(n);
    this.#start = new Float64Array(n);
    this.#duration = new Float64Array(n);
    this.#kind = new Uint8Array(n);
    this.#flags = new Uint8Array(n);
    this.#status = new Uint8Array(n);
    this.#service = new Uint32Array(n);
    this.#name = new Uint32Array(n);
    this.#peer = new Uint32Array(n);
    this.#address = new Uint32Array(n);
    this.#destination = new Uint32Array(n);
    this.#next = new Int32Array(n);
    this.#heldBytes = new Float64Array(n);
  }

  /** Bytes the slab takes per span slot. */
  static readonly BYTES_PER_SPAN = 4 * 4 + 8 * 2 + 3 + 4 * 5 + 4;

  get traces(): number {
    return this.#traces.size;
  }

  get spans(): number {
    return this.#spans;
  }

  /** The bound on held bytes (hot reload may change it). */
  set maxHeldBytes(bytes: number) {
    this.#options.maxHeldBytes = bytes;
  }

  /** Encoded bytes of the spans held now. */
  get heldBytes(): number {
    return this.#heldTotal;
  }

  /** Interned strings that did not fit (read back as ''). */
  get internOverflow(): number {
    return this.#strings.overflowed;
  }

  /** The idle time (hot reload may change it; the timer follows at its next start). */
  get idleMs(): number {
    return this.#options.idleMs;
  }

  set idleMs(ms: number) {
    this.#options.idleMs = ms;
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.start();
    }
  }

  /** Starts the idle timer (unref'd), ticking at a quarter of the idle time, at most every second. */
  start(): void {
    if (this.#timer !== undefined) return;
    const every = Math.max(10, Math.min(1000, this.#options.idleMs / 4));
    this.#timer = setInterval(() => this.tick(), every);
    this.#timer.unref();
  }

  /** Stops the timer and releases every buffered trace (reason `shutdown`). */
  flush(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    while (this.#head < this.#order.length) {
      const t = this.#order[this.#head++];
      if (!t.released) this.#release(t, 'shutdown');
    }
    this.#order = [];
    this.#head = 0;
  }

  /** The buffer's clock, ms (callers adding a batch read it once and pass it to `add`). */
  now(): number {
    return this.#now();
  }

  /**
   * Adds one span (hot path); `now` is `this.now()`, read once per batch. With
   * `hold`, the span itself is kept until its trace is released (`bytes` is its share
   * of the encoded batch, counted against `maxHeldBytes`).
   */
  add(span: Span, now: number = this.#now(), hold = false, bytes = 0): void {
    const traceId = span.traceId;
    const tenant = span.resource.tenant;
    // Spans of a trace usually arrive together: skip the map (and the key) for a run of them.
    let trace = this.#last;
    let key: string | undefined;
    if (
      trace === undefined ||
      trace.released ||
      trace.traceId !== traceId ||
      trace.tenant !== tenant
    ) {
      key = traceKey(tenant, traceId);
      trace = this.#traces.get(key);
    }
    if (trace === undefined) {
      key ??= traceKey(tenant, traceId);
      const decided = this.#released.get(key);
      if (decided !== undefined) {
        this.lateSpans++;
        this.#options.onLateSpan(span, decided);
        return;
      }
      while (this.#traces.size >= this.#options.maxTraces) this.#evictOldest();
      trace = {
        tenant,
        traceId,
        key,
        head: -1,
        tail: -1,
        count: 0,
        firstSeen: now,
        lastSeen: now,
        released: false,
        notes: undefined,
      };
      this.#traces.set(key, trace);
      this.#order.push(trace);
    }
    this.#last = trace;
    trace.lastSeen = now;
    let slot = this.#takeSlot(trace);
    while (slot < 0) {
      if (trace.released) {
        // The trace alone outgrew the slab and was released: the rest of it is late.
        this.lateSpans++;
        this.#options.onLateSpan(span, this.#released.get(trace.key) ?? true);
        return;
      }
      slot = this.#takeSlot(trace);
    }
    this.#fill(slot, span);
    if (hold) {
      this.#held[slot] = span;
      this.#heldBytes[slot] = bytes;
      this.#heldTotal += bytes;
    }
    if (trace.tail < 0) trace.head = slot;
    else this.#next[trace.tail] = slot;
    trace.tail = slot;
    this.#next[slot] = -1;
    trace.count++;
    this.#spans++;
    // Held spans over their byte bound: release the oldest traces early (this one last).
    while (this.#heldTotal > this.#options.maxHeldBytes && this.#traces.size > 1) {
      this.#evictOldest(trace);
    }
  }

  /**
   * Attaches a note to a buffered trace of `tenant` (e.g. "this is the callee half of a
   * split"). Returns false when the trace is not buffered (never seen, or already released).
   */
  note(tenant: string, traceId: string, name: string, value: unknown): boolean {
    const trace = this.#traces.get(traceKey(tenant, traceId));
    if (trace === undefined) return false;
    (trace.notes ??= new Map()).set(name, value);
    return true;
  }

  /** Releases the traces idle for `idleMs`; a trace still growing goes to the back of the line. */
  tick(): void {
    const now = this.#now();
    const idle = this.#options.idleMs;
    const end = this.#order.length;
    for (let i = this.#head; i < end; i++) {
      const t = this.#order[i];
      this.#head = i + 1;
      if (t.released) continue;
      if (now - t.lastSeen >= idle) this.#release(t, 'idle');
      else this.#order.push(t);
    }
    this.#compactOrder();
  }

  #compactOrder(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A free slot, or -1 after evicting the oldest trace to make room (the caller tries again). */
  #takeSlot(adding: BufferedTrace): number {
    if (this.#free >= 0) {
      const slot = this.#free;
      this.#free = this.#next[slot];
      return slot;
    }
    if (this.#highWater < this.#next.length) return this.#highWater++;
    // Full: release the oldest trace that is not the one being added to (or that one, if alone).
    this.#evictOldest(adding);
    return -1;
  }

  #evictOldest(adding?: BufferedTrace): void {
    while (this.#head < this.#order.length) {
      const t = this.#order[this.#head];
      if (t.released) {
        this.#head++;
        continue;
      }
      if (t === adding && this.#traces.size > 1) {
        // Keep the trace being added to; evict the next oldest instead.
        this.#order.push(t);
        this.#head++;
        continue;
      }
      this.#head++;
      this.#release(t, 'evicted');
      this.#compactOrder();
      return;
    }
  }

  #fill(slot: number, span: Span): void {
    const s = this.#strings;
    this.#spanHi[slot] = hex32(span.spanId, 0);
    this.#spanLo[slot] = hex32(span.spanId, 8);
    if (span.parentSpanId.length === 16) {
      this.#parentHi[slot] = hex32(span.parentSpanId, 0);
      this.#parentLo[slot] = hex32(span.parentSpanId, 8);
    } else {
      this.#parentHi[slot] = 0;
      this.#parentLo[slot] = 0;
    }
    this.#start[slot] = span.startTime;
    this.#duration[slot] = span.duration;
    this.#kind[slot] = span.kind;
    this.#flags[slot] = span.flags & 0xff;
    this.#status[slot] = span.statusCode;
    this.#service[slot] = s.id(span.resource.serviceName);
    const kind = span.kind;
    // Names are compared only between a call and the root of another trace (split pairing).
    this.#name[slot] =
      kind === Kind.Client || kind === Kind.Producer || span.parentSpanId === ''
        ? nameHash(span.name)
        : 0;
    if (kind === Kind.Client || kind === Kind.Producer || kind === Kind.Consumer) {
      const t = readCallTarget(span, this.#target);
      this.#peer[slot] = t.peerService === '' ? 0 : s.id(t.peerService);
      this.#address[slot] = t.serverAddress === '' ? 0 : s.id(t.serverAddress);
      this.#destination[slot] = t.destination === '' ? 0 : s.id(t.destination);
    } else {
      this.#peer[slot] = 0;
      this.#address[slot] = 0;
      this.#destination[slot] = 0;
    }
    if (span.links.length > 0) {
      const ids: string[] = [];
      for (const link of span.links) ids.push(link.spanId);
      this.#links.set(slot, ids);
    }
  }

  #release(trace: BufferedTrace, reason: ReleaseReason): void {
    trace.released = true;
    this.#traces.delete(trace.key);
    // Until the decision is known, a span of this trace counts as late and kept.
    this.#released.set(trace.key, true);
    const s = this.#strings;
    const spans: SpanDigest[] = new Array(trace.count);
    let held: Span[] | undefined;
    let i = 0;
    for (let slot = trace.head; slot >= 0;) {
      const next = this.#next[slot];
      const heldSpan = this.#held[slot];
      if (heldSpan !== undefined) {
        (held ??= []).push(heldSpan);
        this.#held[slot] = undefined;
        this.#heldTotal -= this.#heldBytes[slot];
      }
      const pHi = this.#parentHi[slot];
      const pLo = this.#parentLo[slot];
      const links = this.#links.get(slot);
      if (links !== undefined) this.#links.delete(slot);
      spans[i++] = {
        spanId: hex64(this.#spanHi[slot], this.#spanLo[slot]),
        parentSpanId: pHi === 0 && pLo === 0 ? '' : hex64(pHi, pLo),
        service: s.value(this.#service[slot]),
        nameHash: this.#name[slot],
        kind: this.#kind[slot] as SpanKind,
        startTime: this.#start[slot],
        duration: this.#duration[slot],
        flags: this.#flags[slot],
        statusCode: this.#status[slot] as StatusCode,
        peerService: s.value(this.#peer[slot]),
        serverAddress: s.value(this.#address[slot]),
        destination: s.value(this.#destination[slot]),
        linkedSpanIds: links,
      };
      this.#next[slot] = this.#free;
      this.#free = slot;
      slot = next;
    }
    this.#spans -= trace.count;
    this.releasedCount[reason]++;
    const kept = this.#options.onRelease({
      tenant: trace.tenant,
      traceId: trace.traceId,
      spans,
      held,
      reason,
      notes: trace.notes,
    });
    this.#released.set(trace.key, kept);
    if (this.#released.size > this.#options.rememberReleased) {
      const oldest = this.#released.keys().next().value as string;
      this.#released.delete(oldest);
    }
  }
}
