import type {
  AnyValue,
  Attribute,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanLink,
} from '../../model/span.ts';
import { ValueType as importedValueType } from '../../model/span.ts';
import {
  FORMAT_VERSION as importedFORMAT_VERSION,
  HEADER_BYTES as importedHEADER_BYTES,
  INTERN_VALUE_MAX_CHARS as importedINTERN_VALUE_MAX_CHARS,
  LinkBit as importedLinkBit,
  MAGIC_0 as importedMAGIC_0,
  MAGIC_1 as importedMAGIC_1,
  MAGIC_2 as importedMAGIC_2,
  MAX_ZIGZAG as importedMAX_ZIGZAG,
  SpanBit as importedSpanBit,
  StrMode as importedStrMode,
  ValueTag as importedValueTag,
} from './span-batch-format.ts';

// Module-local copies: an imported binding is a getter under tsx, read on every use.
const FORMAT_VERSION = importedFORMAT_VERSION;
const HEADER_BYTES = importedHEADER_BYTES;
const INTERN_VALUE_MAX_CHARS = importedINTERN_VALUE_MAX_CHARS;
const LinkBit = importedLinkBit;
const MAGIC_0 = importedMAGIC_0;
const MAGIC_1 = importedMAGIC_1;
const MAGIC_2 = importedMAGIC_2;
const MAX_ZIGZAG = importedMAX_ZIGZAG;
const SpanBit = importedSpanBit;
const StrMode = importedStrMode;
const ValueTag = importedValueTag;
const ValueType = importedValueType;

/** Node's Buffer#utf8Write(string, offset, length); @types/node does not declare it. */
interface Utf8WriteBuffer extends Buffer {
  utf8Write(s: string, offset: number, length: number): number;
}

/** Hex digit value of each UTF-16 code unit: 0-15 for 0-9 and a-f, -1 otherwise. */
const HEX_VALUE = new Int8Array(65536).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_VALUE[97 + c] = 10 + c;

const INITIAL_BYTES = 64 * 1024;
/**
 * Strings up to this long are copied char by char while they are ASCII; longer
 * ones (and non-ASCII) go to Buffer#utf8Write, whose native call costs more than
 * the loop for short strings.
 */
const ASCII_BY_HAND_CHARS = 256;
/**
 * Slots of the intern index (a power of two). The index is a direct-mapped cache,
 * not a map: a string whose slot holds another is written again and takes the
 * slot. That loses a little sharing on collisions, and saves hashing the whole of
 * every freshly decoded string (what a Map lookup would do).
 */
const INTERN_SLOTS = 1024;
/** A scratch buffer grown past this is dropped after the call rather than kept. */
const KEEP_BYTES = 8 * 1024 * 1024;

function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The intern slot of a string: a hash of its length and six of its characters
 * (as pipeline/name-slot.ts), so it costs the same for any length.
 */
function internSlot(s: string): number {
  const n = s.length;
  let h = n;
  h = (Math.imul(h, 31) + s.charCodeAt(0)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(n >> 2)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(n >> 1)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt((n * 3) >> 2)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(n - 2)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(n - 1)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) & (INTERN_SLOTS - 1);
}

/** An integer time or count the varint form carries exactly (not -0, not fractional). */
function isWholeNumber(v: number): boolean {
  return Number.isInteger(v) && (v !== 0 || 1 / v > 0);
}

/**
 * Writes one batch into a scratch buffer that is reused from call to call (the
 * encoder is synchronous, so one per process suffices), then copies the bytes out.
 */
class SpanBatchWriter {
  private buf: Utf8WriteBuffer;
  private view: DataView;
  private pos = 0;
  /** The interned string in each slot, its index in the batch's table, and its batch stamp. */
  private readonly slotString: string[] = new Array<string>(INTERN_SLOTS).fill('');
  private readonly slotIndex = new Int32Array(INTERN_SLOTS);
  private readonly slotBatch = new Int32Array(INTERN_SLOTS);
  /** Stamp of the batch being written: slots stamped otherwise are empty. */
  private batch = 0;
  private interned = 0;
  private capacity = 0;
  private readonly resources = new Map<Resource, number>();
  private readonly scopes = new Map<Scope, number>();
  private lastResource: Resource | undefined = undefined;
  private lastResourceIndex = 0;
  private lastScope: Scope | undefined = undefined;
  private lastScopeIndex = 0;
  private prevTraceId = '';
  private prevStart = 0;

  constructor() {
    this.buf = Buffer.allocUnsafeSlow(INITIAL_BYTES) as Utf8WriteBuffer;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.capacity = this.buf.byteLength;
  }

  encode(spans: readonly Span[]): Uint8Array {
    this.pos = 0;
    this.prevTraceId = '';
    this.prevStart = 0;
    this.interned = 0;
    this.batch = (this.batch + 1) | 0;
    try {
      this.ensure(HEADER_BYTES + 10);
      const buf = this.buf;
      buf[0] = MAGIC_0;
      buf[1] = MAGIC_1;
      buf[2] = MAGIC_2;
      buf[3] = FORMAT_VERSION;
      this.pos = HEADER_BYTES;
      this.uvarint(spans.length);
      for (let i = 0; i < spans.length; i++) this.span(spans[i]);
      // A copy the caller owns: the scratch buffer is written again by the next call.
      return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos).slice();
    } finally {
      this.resources.clear();
      this.scopes.clear();
      this.lastResource = undefined;
      this.lastScope = undefined;
      if (this.buf.byteLength > KEEP_BYTES) this.grow(INITIAL_BYTES, false);
    }
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes > this.capacity) {
      this.grow(Math.max(this.capacity * 2, this.pos + bytes), true);
    }
  }

  private grow(size: number, keep: boolean): void {
    const next = Buffer.allocUnsafeSlow(size) as Utf8WriteBuffer;
    if (keep) this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.capacity = size;
  }

  private span(span: Span): void {
    this.ensure(64);
    const flagsAt = this.pos++;
    let flags = 0;
    if (span.traceId === this.prevTraceId) {
      flags |= SpanBit.SameTrace;
    } else {
      if (this.hexId(span.traceId, 16)) flags |= SpanBit.TraceIdHex;
      else this.str(span.traceId, false);
      this.prevTraceId = span.traceId;
    }
    if (this.hexId(span.spanId, 8)) flags |= SpanBit.SpanIdHex;
    else this.str(span.spanId, false);
    if (span.parentSpanId !== '') {
      flags |= SpanBit.HasParent;
      if (this.hexId(span.parentSpanId, 8)) flags |= SpanBit.ParentHex;
      else this.str(span.parentSpanId, false);
    }
    if (span.traceState !== '') {
      flags |= SpanBit.HasTraceState;
      this.str(span.traceState, true);
    }
    if (span.statusMessage !== '') flags |= SpanBit.HasStatusMessage;
    const start = span.startTime;
    const floatTimes = !this.integralTimes(span);
    if (floatTimes) flags |= SpanBit.FloatTimes;
    this.buf[flagsAt] = flags;

    this.ensure(24);
    const kind = span.kind;
    const status = span.statusCode;
    if (!(kind >= 0 && kind < 8 && status >= 0 && status < 32)) {
      throw new RangeError(`span kind ${kind} / status ${status} out of range`);
    }
    this.buf[this.pos++] = kind + 8 * status;
    this.uvarint(span.flags);
    this.str(span.name, true);
    if (floatTimes) {
      this.f64(start);
      this.f64(span.duration);
    } else {
      this.zigzag(start - this.prevStart);
      this.uvarint(span.duration);
      this.prevStart = start;
    }
    this.attributes(span.attributes, 0);
    this.uvarint(span.droppedAttributesCount);
    this.events(span.events, start, floatTimes);
    this.uvarint(span.droppedEventsCount);
    this.links(span.links);
    this.uvarint(span.droppedLinksCount);
    if (span.statusMessage !== '') this.str(span.statusMessage, true);
    this.resource(span.resource);
    this.scope(span.scope);
  }

  /** Whether every time of the span fits the varint form relative to the previous start. */
  private integralTimes(span: Span): boolean {
    const start = span.startTime;
    if (!isWholeNumber(start) || !isWholeNumber(span.duration)) return false;
    if (span.duration < 0 || span.duration > Number.MAX_SAFE_INTEGER) return false;
    const delta = start - this.prevStart;
    if (delta > MAX_ZIGZAG || delta < -MAX_ZIGZAG) return false;
    const events = span.events;
    for (let i = 0; i < events.length; i++) {
      const t = events[i].time;
      if (!isWholeNumber(t)) return false;
      const d = t - start;
      if (d > MAX_ZIGZAG || d < -MAX_ZIGZAG) return false;
    }
    return true;
  }

  private events(events: SpanEvent[], start: number, floatTimes: boolean): void {
    this.uvarint(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      this.ensure(10);
      if (floatTimes) this.f64(e.time);
      else this.zigzag(e.time - start);
      this.str(e.name, true);
      this.attributes(e.attributes, 0);
      this.uvarint(e.droppedAttributesCount);
    }
  }

  private links(links: SpanLink[]): void {
    this.uvarint(links.length);
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      this.ensure(32);
      const flagsAt = this.pos++;
      let flags = 0;
      if (this.hexId(l.traceId, 16)) flags |= LinkBit.TraceIdHex;
      else this.str(l.traceId, false);
      if (this.hexId(l.spanId, 8)) flags |= LinkBit.SpanIdHex;
      else this.str(l.spanId, false);
      this.buf[flagsAt] = flags;
      this.str(l.traceState, true);
      this.attributes(l.attributes, 0);
      this.uvarint(l.droppedAttributesCount);
      this.uvarint(l.flags);
    }
  }

  private resource(resource: Resource): void {
    if (resource === this.lastResource) {
      this.uvarint(this.lastResourceIndex);
      return;
    }
    let index = this.resources.get(resource);
    if (index === undefined) {
      index = this.resources.size;
      this.resources.set(resource, index);
      this.uvarint(index);
      this.str(resource.serviceName, true);
      this.attributes(resource.attributes, 0);
      this.uvarint(resource.droppedAttributesCount);
      this.str(resource.schemaUrl, true);
      this.str(resource.tenant, true);
    } else {
      this.uvarint(index);
    }
    this.lastResource = resource;
    this.lastResourceIndex = index;
  }

  private scope(scope: Scope): void {
    if (scope === this.lastScope) {
      this.uvarint(this.lastScopeIndex);
      return;
    }
    let index = this.scopes.get(scope);
    if (index === undefined) {
      index = this.scopes.size;
      this.scopes.set(scope, index);
      this.uvarint(index);
      this.str(scope.name, true);
      this.str(scope.version, true);
      this.attributes(scope.attributes, 0);
      this.uvarint(scope.droppedAttributesCount);
      this.str(scope.schemaUrl, true);
    } else {
      this.uvarint(index);
    }
    this.lastScope = scope;
    this.lastScopeIndex = index;
  }

  private attributes(attrs: Attribute[], depth: number): void {
    this.uvarint(attrs.length);
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i];
      this.str(a.key, true);
      this.value(a, depth);
    }
  }

  private value(v: AnyValue, depth: number): void {
    this.ensure(10);
    const buf = this.buf;
    switch (v.type) {
      case ValueType.String:
        buf[this.pos++] = ValueTag.String;
        this.str(v.value, v.value.length <= INTERN_VALUE_MAX_CHARS);
        return;
      case ValueType.Bool:
        buf[this.pos++] = v.value ? ValueTag.True : ValueTag.False;
        return;
      case ValueType.Int: {
        const n = v.value;
        if (typeof n === 'bigint') {
          if (n !== BigInt.asIntN(64, n))
            throw new RangeError(`int attribute ${n} is not an int64`);
          buf[this.pos++] = ValueTag.BigInt;
          this.view.setBigInt64(this.pos, n, true);
          this.pos += 8;
        } else if (isWholeNumber(n) && n <= MAX_ZIGZAG && n >= -MAX_ZIGZAG) {
          buf[this.pos++] = ValueTag.Int;
          this.zigzag(n);
        } else {
          buf[this.pos++] = ValueTag.IntFloat;
          this.f64(n);
        }
        return;
      }
      case ValueType.Double:
        buf[this.pos++] = ValueTag.Double;
        this.f64(v.value);
        return;
      case ValueType.Bytes: {
        const bytes = v.value;
        buf[this.pos++] = ValueTag.Bytes;
        this.uvarint(bytes.byteLength);
        this.ensure(bytes.byteLength);
        this.buf.set(bytes, this.pos);
        this.pos += bytes.byteLength;
        return;
      }
      case ValueType.Array: {
        const values = v.value;
        buf[this.pos++] = ValueTag.Array;
        this.uvarint(values.length);
        for (let i = 0; i < values.length; i++) this.value(values[i], depth + 1);
        return;
      }
      case ValueType.KvList:
        buf[this.pos++] = ValueTag.KvList;
        this.attributes(v.value, depth + 1);
        return;
      default:
        buf[this.pos++] = ValueTag.Empty;
    }
  }

  /**
   * Writes `id` as raw bytes when it is `bytes` bytes of lowercase hex and says so;
   * otherwise writes nothing and returns false.
   */
  private hexId(id: string, bytes: number): boolean {
    if (id.length !== bytes * 2) return false;
    this.ensure(bytes);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < id.length; i += 2) {
      const high = HEX_VALUE[id.charCodeAt(i)];
      const low = HEX_VALUE[id.charCodeAt(i + 1)];
      if ((high | low) < 0) return false;
      buf[p++] = (high << 4) | low;
    }
    this.pos = p;
    return true;
  }

  private str(s: string, intern: boolean): void {
    const length = s.length;
    if (length === 0) {
      this.ensure(1);
      this.buf[this.pos++] = StrMode.Utf8; // n = 0
      return;
    }
    let mode: number = StrMode.Utf8;
    let slot = -1;
    if (intern) {
      slot = internSlot(s);
      if (this.slotBatch[slot] === this.batch && this.slotString[slot] === s) {
        this.uvarint(this.slotIndex[slot] * 4);
        return;
      }
      mode = StrMode.Utf8Interned;
    }
    this.ensure(length * 3 + 10);
    const buf = this.buf;
    if (length <= ASCII_BY_HAND_CHARS) {
      // ASCII by hand: the length prefix is then the char count, known up front.
      const start = this.pos;
      this.uvarint(length * 4 + mode);
      let p = this.pos;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === length) {
        this.pos = p;
        if (slot >= 0) this.remember(slot, s);
        return;
      }
      this.pos = start;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    if (bytes !== length && !isWellFormed(s)) {
      // Lone surrogates: UTF-8 would turn them into U+FFFD, so keep the code units
      // (such strings are not interned).
      this.uvarint(length * 4 + StrMode.Utf16);
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i);
        buf[this.pos++] = c & 0xff;
        buf[this.pos++] = c >>> 8;
      }
      return;
    }
    this.uvarint(bytes * 4 + mode);
    this.pos += buf.utf8Write(s, this.pos, bytes);
    if (slot >= 0) this.remember(slot, s);
  }

  /** Records that `s` was just written as the next interned string. */
  private remember(slot: number, s: string): void {
    this.slotString[slot] = s;
    this.slotIndex[slot] = this.interned++;
    this.slotBatch[slot] = this.batch;
  }

  private f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  private zigzag(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** An unsigned integer up to 2^53 as a varint (at most 8 bytes). */
  private uvarint(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`${v} is not a non-negative safe integer`);
    }
    this.ensure(8);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0x80) {
      buf[p] = v;
      this.pos = p + 1;
      return;
    }
    if (v < 0x80000000) {
      while (v >= 0x80) {
        buf[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        buf[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
    }
    buf[p++] = v;
    this.pos = p;
  }
}

const writer = new SpanBatchWriter();

/**
 * Encodes spans into Skein's compact span-batch format (span-batch-format.ts).
 *
 * Every field round-trips exactly through decodeSpanBatch, including int64
 * attributes held as bigint, byte values, nested arrays and kvlists, and strings
 * with lone surrogates. Each distinct resource and scope object is written once
 * per batch. The returned bytes belong to the caller.
 *
 * @throws RangeError for a span outside the model's contract (a negative or
 *   fractional count, a bigint outside int64, kind or status out of range).
 */
export function encodeSpanBatch(spans: readonly Span[]): Uint8Array {
  return writer.encode(spans);
}
