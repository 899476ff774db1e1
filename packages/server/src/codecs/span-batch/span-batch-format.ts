/**
 * The span-batch wire format, shared by the encoder and the decoder. Version 2:
 *
 *   batch     = magic "SKB" (3 bytes) · version u8 · spanCount uvarint · span*
 *   span      = flags u8 · traceId · spanId · parentSpanId? · traceState? · kindStatus u8
 *               · spanFlags uvarint · name str · times · attrs · droppedAttrs uvarint
 *               · events · droppedEvents uvarint · links · droppedLinks uvarint
 *               · statusMessage? · resource · scope
 *   ids       = 16 / 8 raw bytes when the id is lowercase hex of that length (flag
 *               bit set), else a str; the trace id is absent when it equals the
 *               previous span's (SAME_TRACE)
 *   times     = startTime as a zigzag uvarint delta from the previous span's start,
 *               duration uvarint; or both as f64 (FLOAT_TIMES) when a time is not an
 *               integer within ±(2^52 - 1). Event times are deltas from the span's start,
 *               encoded the same way as the span's times.
 *   kindStatus= kind + 8 · statusCode
 *   attrs     = count uvarint · (key str · value)*
 *   value     = tag u8 · payload (see ValueTag)
 *   events    = count uvarint · (time · name str · attrs · dropped uvarint)*
 *   links     = count uvarint · (linkFlags u8 · traceId · spanId · traceState str
 *               · attrs · dropped uvarint · flags uvarint)*
 *   resource  = ref uvarint: an index into the resources seen so far in this batch,
 *               or the next index followed by serviceName str · attrs · dropped
 *               uvarint · schemaUrl str · tenant str (so each distinct object is
 *               written once)
 *   scope     = likewise: name str · version str · attrs · dropped uvarint · schemaUrl str
 *   str       = uvarint h, h & 3 = mode, h >>> 2 = n:
 *               mode 0: the n-th interned string of this batch;
 *               mode 1: n UTF-8 bytes, not interned;
 *               mode 2: n UTF-8 bytes, appended to the batch's intern table;
 *               mode 3: n UTF-16 code units (2 bytes each, little-endian): a string
 *                       with lone surrogates, which UTF-8 cannot carry
 *   f64       = 8 bytes little-endian; i64 = 8 bytes two's complement little-endian
 *
 * Unsigned varints hold integers up to 2^53 (at most 8 bytes). Everything is
 * positional: there are no field tags, so a new field needs a new version.
 *
 * Version 1 is version 2 without the resource's tenant: the decoder still reads it
 * (a durable intake or a NATS stream may hold such records after an upgrade), as
 * spans of the default tenant.
 */

/** "SKB": Skein batch. */
export const MAGIC_0 = 0x53;
export const MAGIC_1 = 0x4b;
export const MAGIC_2 = 0x42;
export const FORMAT_VERSION = 2;
/** The version before resources carried their tenant; decoded as the default tenant. */
export const FORMAT_VERSION_NO_TENANT = 1;
export const HEADER_BYTES = 4;

/** Span flag bits (the first byte of a span). */
export const SpanBit = {
  SameTrace: 1,
  TraceIdHex: 2,
  SpanIdHex: 4,
  HasParent: 8,
  ParentHex: 16,
  FloatTimes: 32,
  HasTraceState: 64,
  HasStatusMessage: 128,
} as const;

/** Link flag bits. */
export const LinkBit = {
  TraceIdHex: 1,
  SpanIdHex: 2,
} as const;

/** The tag byte in front of an AnyValue. */
export const ValueTag = {
  Empty: 0,
  /** str */
  String: 1,
  False: 2,
  True: 3,
  /** zigzag uvarint of an integer number within ±(2^52 - 1) */
  Int: 4,
  /** f64 */
  Double: 5,
  /** uvarint length · bytes */
  Bytes: 6,
  /** count uvarint · value* */
  Array: 7,
  /** attrs */
  KvList: 8,
  /** i64: an Int held as a bigint */
  BigInt: 9,
  /** f64: an Int held as a number outside ±2^52 (or -0) */
  IntFloat: 10,
} as const;

export const StrMode = {
  Ref: 0,
  Utf8: 1,
  Utf8Interned: 2,
  Utf16: 3,
} as const;

/** Strings longer than this (in UTF-16 units) are written without interning, unless they are keys or names. */
export const INTERN_VALUE_MAX_CHARS = 48;

/** Integers whose zigzag form stays exact in a double. */
export const MAX_ZIGZAG = 2 ** 52 - 1;
