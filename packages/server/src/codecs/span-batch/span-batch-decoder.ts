import { CorruptBatchError } from '../../errors.ts';
import type {
  AnyValue,
  Attribute,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '../../model/span.ts';
import {
  DEFAULT_TENANT as importedDEFAULT_TENANT,
  ValueType as importedValueType,
} from '../../model/span.ts';
import { MAX_ANY_VALUE_DEPTH as importedMAX_ANY_VALUE_DEPTH } from '../../receivers/otlp/limits.ts';
import {
  FORMAT_VERSION as importedFORMAT_VERSION,
  FORMAT_VERSION_NO_TENANT as importedFORMAT_VERSION_NO_TENANT,
  HEADER_BYTES as importedHEADER_BYTES,
  LinkBit as importedLinkBit,
  MAGIC_0 as importedMAGIC_0,
  MAGIC_1 as importedMAGIC_1,
  MAGIC_2 as importedMAGIC_2,
  SpanBit as importedSpanBit,
  StrMode as importedStrMode,
  ValueTag as importedValueTag,
} from './span-batch-format.ts';

// Module-local copies: an imported binding is a getter under tsx, read on every use.
const FORMAT_VERSION = importedFORMAT_VERSION;
const FORMAT_VERSION_NO_TENANT = importedFORMAT_VERSION_NO_TENANT;
const HEADER_BYTES = importedHEADER_BYTES;
const LinkBit = importedLinkBit;
const MAGIC_0 = importedMAGIC_0;
const MAGIC_1 = importedMAGIC_1;
const MAGIC_2 = importedMAGIC_2;
const SpanBit = importedSpanBit;
const StrMode = importedStrMode;
const ValueTag = importedValueTag;
const ValueType = importedValueType;
const DEFAULT_TENANT = importedDEFAULT_TENANT;
const MAX_ANY_VALUE_DEPTH = importedMAX_ANY_VALUE_DEPTH;

/** Node's Buffer#utf8Slice(start, end); @types/node does not declare it. */
interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

const HEX = '0123456789abcdef';
const HEX_HIGH = new Uint16Array(256);
const HEX_LOW = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  HEX_HIGH[b] = HEX.charCodeAt(b >>> 4);
  HEX_LOW[b] = HEX.charCodeAt(b & 15);
}

/** Short ASCII strings are built by hand; longer ones by utf8Slice (see wire-reader.ts). */
const SHORT_STRING_BYTES = 12;
/** The fewest bytes one span takes: flags, span id string, kind, flags, name, times, 3 counts ×2, resource, scope. */
const MIN_SPAN_BYTES = 14;
const MAX_KIND = 5;
const MAX_STATUS = 2;

/**
 * Reads one batch. Every read checks the bytes left first, and every count is
 * checked against the bytes left before anything is allocated for it (each
 * element takes at least one byte), so garbage costs at most its own size.
 */
class SpanBatchReader {
  private buf: Uint8Array = new Uint8Array(0);
  private text: Utf8SliceBuffer = Buffer.alloc(0) as Utf8SliceBuffer;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private end = 0;
  private strings: string[] = [];
  private resources: Resource[] = [];
  private scopes: Scope[] = [];
  /** The batch's resources carry their tenant (version 2 on). */
  private withTenant = true;

  decode(bytes: Uint8Array): Span[] {
    this.buf = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Utf8SliceBuffer;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.byteLength;
    try {
      return this.batch();
    } finally {
      // Nothing of this batch is kept alive by the reader.
      this.strings = [];
      this.resources = [];
      this.scopes = [];
      this.buf = new Uint8Array(0);
      this.text = Buffer.alloc(0) as Utf8SliceBuffer;
      this.view = new DataView(new ArrayBuffer(0));
    }
  }

  private fail(detail: string): CorruptBatchError {
    return new CorruptBatchError([`${detail} at byte ${this.pos} of ${this.end}`]);
  }

  private batch(): Span[] {
    const buf = this.buf;
    if (this.end < HEADER_BYTES || buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1 || buf[2] !== MAGIC_2) {
      throw this.fail('no span-batch header (magic "SKB")');
    }
    if (buf[3] !== FORMAT_VERSION && buf[3] !== FORMAT_VERSION_NO_TENANT) {
      throw this.fail(
        `format version ${buf[3]}, this skein reads versions ${FORMAT_VERSION_NO_TENANT} to ${FORMAT_VERSION}`,
      );
    }
    this.withTenant = buf[3] !== FORMAT_VERSION_NO_TENANT;
    this.pos = HEADER_BYTES;
    const count = this.uvarint();
    if (count * MIN_SPAN_BYTES > this.end - this.pos) {
      throw this.fail(`${count} spans announced but only ${this.end - this.pos} bytes follow`);
    }
    const spans: Span[] = [];
    let traceId = '';
    let prevStart = 0;
    for (let i = 0; i < count; i++) {
      const flags = this.u8();
      if ((flags & SpanBit.SameTrace) === 0) {
        traceId = (flags & SpanBit.TraceIdHex) !== 0 ? this.hexId(16) : this.str();
      }
      const spanId = (flags & SpanBit.SpanIdHex) !== 0 ? this.hexId(8) : this.str();
      let parentSpanId = '';
      if ((flags & SpanBit.HasParent) !== 0) {
        parentSpanId = (flags & SpanBit.ParentHex) !== 0 ? this.hexId(8) : this.str();
      }
      const traceState = (flags & SpanBit.HasTraceState) !== 0 ? this.str() : '';
      const kindStatus = this.u8();
      const kind = kindStatus & 7;
      const statusCode = kindStatus >>> 3;
      if (kind > MAX_KIND || statusCode > MAX_STATUS) {
        throw this.fail(`span kind ${kind} / status code ${statusCode} out of range`);
      }
      const spanFlags = this.uvarint();
      const name = this.str();
      const floatTimes = (flags & SpanBit.FloatTimes) !== 0;
      let startTime: number;
      let duration: number;
      if (floatTimes) {
        startTime = this.f64();
        duration = this.f64();
      } else {
        startTime = prevStart + this.zigzag();
        duration = this.uvarint();
        prevStart = startTime;
      }
      const attributes = this.attributes(0);
      const droppedAttributesCount = this.uvarint();
      const events = this.events(startTime, floatTimes);
      const droppedEventsCount = this.uvarint();
      const links = this.links();
      const droppedLinksCount = this.uvarint();
      const statusMessage = (flags & SpanBit.HasStatusMessage) !== 0 ? this.str() : '';
      const resource = this.resource();
      const scope = this.scope();
      spans.push({
        traceId,
        spanId,
        parentSpanId,
        traceState,
        flags: spanFlags,
        name,
        kind: kind as SpanKind,
        startTime,
        duration,
        attributes,
        droppedAttributesCount,
        events,
        droppedEventsCount,
        links,
        droppedLinksCount,
        statusCode: statusCode as StatusCode,
        statusMessage,
        resource,
        scope,
      });
    }
    if (this.pos !== this.end) throw this.fail(`${this.end - this.pos} bytes after the last span`);
    return spans;
  }

  private events(start: number, floatTimes: boolean): SpanEvent[] {
    const count = this.count();
    const events: SpanEvent[] = [];
    for (let i = 0; i < count; i++) {
      const time = floatTimes ? this.f64() : start + this.zigzag();
      const name = this.str();
      const attributes = this.attributes(0);
      events.push({ time, name, attributes, droppedAttributesCount: this.uvarint() });
    }
    return events;
  }

  private links(): SpanLink[] {
    const count = this.count();
    const links: SpanLink[] = [];
    for (let i = 0; i < count; i++) {
      const flags = this.u8();
      const traceId = (flags & LinkBit.TraceIdHex) !== 0 ? this.hexId(16) : this.str();
      const spanId = (flags & LinkBit.SpanIdHex) !== 0 ? this.hexId(8) : this.str();
      const traceState = this.str();
      const attributes = this.attributes(0);
      const droppedAttributesCount = this.uvarint();
      links.push({
        traceId,
        spanId,
        traceState,
        attributes,
        droppedAttributesCount,
        flags: this.uvarint(),
      });
    }
    return links;
  }

  private resource(): Resource {
    const index = this.uvarint();
    const resources = this.resources;
    if (index < resources.length) return resources[index];
    if (index !== resources.length) throw this.fail(`resource ${index} referred to before it`);
    const serviceName = this.str();
    const attributes = this.attributes(0);
    const droppedAttributesCount = this.uvarint();
    const schemaUrl = this.str();
    const resource: Resource = {
      serviceName,
      tenant: this.withTenant ? this.str() : DEFAULT_TENANT,
      attributes,
      droppedAttributesCount,
      schemaUrl,
    };
    resources.push(resource);
    return resource;
  }

  private scope(): Scope {
    const index = this.uvarint();
    const scopes = this.scopes;
    if (index < scopes.length) return scopes[index];
    if (index !== scopes.length) throw this.fail(`scope ${index} referred to before it`);
    const name = this.str();
    const version = this.str();
    const attributes = this.attributes(0);
    const droppedAttributesCount = this.uvarint();
    const scope: Scope = {
      name,
      version,
      attributes,
      droppedAttributesCount,
      schemaUrl: this.str(),
    };
    scopes.push(scope);
    return scope;
  }

  private attributes(depth: number): Attribute[] {
    const count = this.count();
    const attrs: Attribute[] = [];
    for (let i = 0; i < count; i++) {
      const key = this.str();
      attrs.push(this.value(key, depth) as Attribute);
    }
    return attrs;
  }

  /** One value; with a key (not undefined) it is built as an Attribute. */
  private value(key: string | undefined, depth: number): AnyValue {
    const tag = this.u8();
    let type: number;
    let value: unknown;
    switch (tag) {
      case ValueTag.Empty:
        type = ValueType.Empty;
        value = null;
        break;
      case ValueTag.String:
        type = ValueType.String;
        value = this.str();
        break;
      case ValueTag.False:
      case ValueTag.True:
        type = ValueType.Bool;
        value = tag === ValueTag.True;
        break;
      case ValueTag.Int:
        type = ValueType.Int;
        value = this.zigzag();
        break;
      case ValueTag.BigInt:
        type = ValueType.Int;
        this.need(8);
        value = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        break;
      case ValueTag.IntFloat:
        type = ValueType.Int;
        value = this.f64();
        break;
      case ValueTag.Double:
        type = ValueType.Double;
        value = this.f64();
        break;
      case ValueTag.Bytes: {
        const length = this.uvarint();
        this.need(length);
        type = ValueType.Bytes;
        value = this.buf.slice(this.pos, this.pos + length);
        this.pos += length;
        break;
      }
      case ValueTag.Array: {
        if (depth >= MAX_ANY_VALUE_DEPTH) throw this.fail('values nested too deep');
        const count = this.count();
        const values: AnyValue[] = [];
        for (let i = 0; i < count; i++) values.push(this.value(undefined, depth + 1));
        type = ValueType.Array;
        value = values;
        break;
      }
      case ValueTag.KvList:
        if (depth >= MAX_ANY_VALUE_DEPTH) throw this.fail('values nested too deep');
        type = ValueType.KvList;
        value = this.attributes(depth + 1);
        break;
      default:
        throw this.fail(`unknown value tag ${tag}`);
    }
    return (key === undefined ? { type, value } : { key, type, value }) as AnyValue;
  }

  private hexId(bytes: number): string {
    this.need(bytes);
    const b = this.buf;
    const p = this.pos;
    const H = HEX_HIGH;
    const L = HEX_LOW;
    this.pos = p + bytes;
    // prettier-ignore
    if (bytes === 8) {
      return String.fromCharCode(
        H[b[p]], L[b[p]], H[b[p + 1]], L[b[p + 1]], H[b[p + 2]], L[b[p + 2]], H[b[p + 3]], L[b[p + 3]],
        H[b[p + 4]], L[b[p + 4]], H[b[p + 5]], L[b[p + 5]], H[b[p + 6]], L[b[p + 6]], H[b[p + 7]], L[b[p + 7]],
      );
    }
    // prettier-ignore
    return String.fromCharCode(
      H[b[p]], L[b[p]], H[b[p + 1]], L[b[p + 1]], H[b[p + 2]], L[b[p + 2]], H[b[p + 3]], L[b[p + 3]],
      H[b[p + 4]], L[b[p + 4]], H[b[p + 5]], L[b[p + 5]], H[b[p + 6]], L[b[p + 6]], H[b[p + 7]], L[b[p + 7]],
      H[b[p + 8]], L[b[p + 8]], H[b[p + 9]], L[b[p + 9]], H[b[p + 10]], L[b[p + 10]], H[b[p + 11]], L[b[p + 11]],
      H[b[p + 12]], L[b[p + 12]], H[b[p + 13]], L[b[p + 13]], H[b[p + 14]], L[b[p + 14]], H[b[p + 15]], L[b[p + 15]],
    );
  }

  private str(): string {
    const header = this.uvarint();
    const mode = header % 4;
    const n = (header - mode) / 4;
    if (mode === StrMode.Ref) {
      if (n >= this.strings.length) throw this.fail(`string ${n} referred to before it`);
      return this.strings[n];
    }
    let s: string;
    if (mode === StrMode.Utf16) {
      this.need(n * 2);
      const b = this.buf;
      let p = this.pos;
      s = '';
      for (let i = 0; i < n; i++, p += 2) s += String.fromCharCode(b[p] | (b[p + 1] << 8));
      this.pos = p;
      return s;
    }
    this.need(n);
    const start = this.pos;
    const stop = start + n;
    this.pos = stop;
    if (n <= SHORT_STRING_BYTES) {
      const b = this.buf;
      s = '';
      for (let i = start; i < stop; i++) {
        const c = b[i];
        if (c >= 0x80) {
          s = this.text.utf8Slice(start, stop);
          break;
        }
        s += String.fromCharCode(c);
      }
    } else {
      s = this.text.utf8Slice(start, stop);
    }
    if (mode === StrMode.Utf8Interned) this.strings.push(s);
    return s;
  }

  private need(bytes: number): void {
    if (bytes > this.end - this.pos) {
      throw this.fail(`${bytes} bytes needed, ${this.end - this.pos} left`);
    }
  }

  /** A count of elements, each at least one byte: more than the bytes left is corrupt. */
  private count(): number {
    const n = this.uvarint();
    if (n > this.end - this.pos) throw this.fail(`count ${n} exceeds the bytes left`);
    return n;
  }

  private u8(): number {
    if (this.pos >= this.end) throw this.fail('truncated');
    return this.buf[this.pos++];
  }

  private f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  private zigzag(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    if (pos < end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= end) throw this.fail('truncated varint');
      const b = buf[pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw this.fail('varint over 2^53');
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    throw this.fail('varint longer than 8 bytes');
  }
}

const reader = new SpanBatchReader();

/**
 * Decodes bytes written by encodeSpanBatch into new spans (nothing refers to
 * `bytes` afterwards; byte values are copies). Spans decoded from one resource or
 * scope object share one object again, as protocol decoders share them.
 *
 * @throws CorruptBatchError when the bytes are not a whole, well-formed batch of
 *   a version this skein reads (garbage, truncation, trailing bytes). Work and
 *   allocation are bounded by the input's length.
 */
export function decodeSpanBatch(bytes: Uint8Array): Span[] {
  return reader.decode(bytes);
}
