import { InvalidPayloadError } from '../../errors.ts';
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
import { DEFAULT_TENANT, ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { MAX_ANY_VALUE_DEPTH } from './limits.ts';
import { serviceNameOf } from './service-name.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { timeProblem } from '../span-times.ts';
import { SpanRejections } from './span-rejections.ts';

/*
 * OTLP/JSON is the proto3 JSON mapping of ExportTraceServiceRequest with OTLP's
 * deviations: trace and span ids are hex (not base64) and enums may be numbers.
 * Field names are lowerCamelCase; receivers must also accept the proto names
 * (snake_case). int64/fixed64 may be strings or numbers, bytes are base64, null
 * means "not set".
 *
 * Errors: a value of the wrong JSON type throws InvalidPayloadError naming its
 * path (`resourceSpans[0].scopeSpans[1].spans[4].startTimeUnixNano: ...`). The
 * path is built only while the error unwinds, so the happy path pays nothing.
 * Bad ids are not structural: those spans are left out and counted.
 */

type JsonObject = Record<string, unknown>;

/** A JSON value of the wrong type; `path` grows as the error unwinds to the root. */
class ShapeError extends Error {
  path: string;
  constructor(path: string, detail: string) {
    super(detail);
    this.path = path;
  }
}

/** Prefixes `segment` (a field name, or `[i]`) to a ShapeError's path; rethrow the result. */
function atPath(err: unknown, segment: string): unknown {
  if (err instanceof ShapeError) {
    if (err.path === '') err.path = segment;
    else if (err.path.charCodeAt(0) === 0x5b /* [ */) err.path = segment + err.path;
    else err.path = `${segment}.${err.path}`;
  }
  return err;
}

/**
 * Decodes the parsed JSON body of an OTLP/JSON ExportTraceServiceRequest.
 * @throws InvalidPayloadError when a value has the wrong JSON type (the message names its path).
 */
export function decodeOtlpJson(
  body: unknown,
  spanLimits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  limits = spanLimits;
  try {
    return decodeRequest(body);
  } catch (err) {
    if (err instanceof ShapeError) {
      const where = err.path === '' ? 'request body' : err.path;
      throw new InvalidPayloadError(['OTLP/JSON', `${where}: ${err.message}`]);
    }
    throw err;
  }
}

function decodeRequest(body: unknown): DecodeResult {
  const request = asObject(body, 'expected a JSON object (an ExportTraceServiceRequest)');
  const out: Span[] = [];
  const rejections = new SpanRejections();
  const list = arrayField(request, 'resourceSpans', 'resource_spans');
  for (let i = 0; i < list.length; i++) {
    try {
      decodeResourceSpans(list[i], out, rejections);
    } catch (err) {
      throw atPath(err, `resourceSpans[${i}]`);
    }
  }
  limits.apply(out);
  return rejections.result(out);
}

/**
 * The limits of the request being decoded (decoding is synchronous): lists are
 * read up to one item past their limit (span-limits.ts), the rest counted in
 * `cutItems` by the last attributesField/eventsField/linksField call.
 */
let limits: SpanLimits = DEFAULT_SPAN_LIMITS;
let cutItems = 0;

function decodeResourceSpans(value: unknown, out: Span[], rejections: SpanRejections): void {
  const rs = asObject(value, 'expected an object (a ResourceSpans)');
  const resourceJson = objectField(rs, 'resource', 'resource');
  let attributes: Attribute[] = [];
  let droppedAttributesCount = 0;
  if (resourceJson !== undefined) {
    try {
      attributes = attributesField(resourceJson, 'attributes', 'attributes');
      droppedAttributesCount = uint32Field(
        resourceJson,
        'droppedAttributesCount',
        'dropped_attributes_count',
      );
    } catch (err) {
      throw atPath(err, 'resource');
    }
  }
  const resource: Resource = {
    serviceName: serviceNameOf(attributes),
    tenant: DEFAULT_TENANT,
    attributes,
    droppedAttributesCount,
    schemaUrl: stringField(rs, 'schemaUrl', 'schema_url'),
  };
  const list = arrayField(rs, 'scopeSpans', 'scope_spans');
  for (let i = 0; i < list.length; i++) {
    try {
      decodeScopeSpans(list[i], resource, out, rejections);
    } catch (err) {
      throw atPath(err, `scopeSpans[${i}]`);
    }
  }
}

function decodeScopeSpans(
  value: unknown,
  resource: Resource,
  out: Span[],
  rejections: SpanRejections,
): void {
  const ss = asObject(value, 'expected an object (a ScopeSpans)');
  const scopeJson = objectField(ss, 'scope', 'scope');
  const scope: Scope = {
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: stringField(ss, 'schemaUrl', 'schema_url'),
  };
  if (scopeJson !== undefined) {
    try {
      scope.name = stringField(scopeJson, 'name', 'name');
      scope.version = stringField(scopeJson, 'version', 'version');
      scope.attributes = attributesField(scopeJson, 'attributes', 'attributes');
      scope.droppedAttributesCount = uint32Field(
        scopeJson,
        'droppedAttributesCount',
        'dropped_attributes_count',
      );
    } catch (err) {
      throw atPath(err, 'scope');
    }
  }
  const list = arrayField(ss, 'spans', 'spans');
  for (let i = 0; i < list.length; i++) {
    try {
      decodeSpan(list[i], resource, scope, out, rejections);
    } catch (err) {
      throw atPath(err, `spans[${i}]`);
    }
  }
}

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;

const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

function decodeSpan(
  value: unknown,
  resource: Resource,
  scope: Scope,
  out: Span[],
  rejections: SpanRejections,
): void {
  const s = asObject(value, 'expected an object (a Span)');
  const traceId = stringField(s, 'traceId', 'trace_id');
  const spanId = stringField(s, 'spanId', 'span_id');
  const parentSpanId = stringField(s, 'parentSpanId', 'parent_span_id');
  const startTime = microsField(s, 'startTimeUnixNano', 'start_time_unix_nano');
  const endTime = microsField(s, 'endTimeUnixNano', 'end_time_unix_nano');
  const statusJson = objectField(s, 'status', 'status');
  let statusCode: StatusCode = 0;
  let statusMessage = '';
  if (statusJson !== undefined) {
    statusCode = enumField(
      statusJson,
      'code',
      'code',
      STATUS_CODE_NAMES,
      'status.code',
    ) as StatusCode;
    statusMessage = stringField(statusJson, 'message', 'message', 'status.message');
  }
  const span: Span = {
    traceId,
    spanId,
    parentSpanId,
    traceState: stringField(s, 'traceState', 'trace_state'),
    flags: uint32Field(s, 'flags', 'flags'),
    name: stringField(s, 'name', 'name'),
    kind: enumField(s, 'kind', 'kind', SPAN_KIND_NAMES, 'kind') as SpanKind,
    startTime,
    duration: endTime > startTime ? endTime - startTime : 0,
    // Each dropped count right after its list: it adds what that list's read left out.
    attributes: attributesField(s, 'attributes', 'attributes', 0, limits.maxAttributesPerSpan),
    droppedAttributesCount:
      uint32Field(s, 'droppedAttributesCount', 'dropped_attributes_count') + cutItems,
    events: eventsField(s),
    droppedEventsCount: uint32Field(s, 'droppedEventsCount', 'dropped_events_count') + cutItems,
    links: linksField(s),
    droppedLinksCount: uint32Field(s, 'droppedLinksCount', 'dropped_links_count') + cutItems,
    statusCode,
    statusMessage,
    resource,
    scope,
  };
  const problem = spanIdProblem(span);
  if (problem !== '') {
    rejections.reject(`span ${out.length + rejections.count} ${problem}`);
    return;
  }
  const times = timeProblem(startTime, endTime > startTime ? endTime - startTime : 0);
  if (times !== '') {
    rejections.rejectTime(`span ${out.length + rejections.count} ${times}`);
    return;
  }
  out.push(span);
}

// ---- ids --------------------------------------------------------------------------

const ID_OK = 0;
const ID_NOT_HEX = 1;
const ID_ALL_ZERO = 2;

/** ID_OK, ID_NOT_HEX (wrong length or a non-hex digit) or ID_ALL_ZERO. */
function checkHexId(id: string, digits: number): number {
  if (id.length !== digits) return ID_NOT_HEX;
  let nonZero = false;
  for (let i = 0; i < digits; i++) {
    const c = id.charCodeAt(i);
    if (c === 0x30) continue;
    nonZero = true;
    // 0-9, a-f, A-F
    if (!((c >= 0x31 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) {
      return ID_NOT_HEX;
    }
  }
  return nonZero ? ID_OK : ID_ALL_ZERO;
}

function quoted(id: string): string {
  return id.length > 40 ? `'${id.slice(0, 40)}...'` : `'${id}'`;
}

/** Describes what makes an id unusable ('' when it is fine). */
function idProblem(what: string, id: string, digits: number): string {
  const check = checkHexId(id, digits);
  if (check === ID_OK) return '';
  if (id === '') return `has no ${what}`;
  if (check === ID_ALL_ZERO) return `has an all-zero ${what} (not a valid id)`;
  return `has ${what} ${quoted(id)} (want ${digits} hex digits)`;
}

/**
 * Validates and lowercases the span's ids in place; returns why the span must be
 * rejected, or ''. An all-zero parent span id means "no parent", as some exporters send it.
 */
function spanIdProblem(span: Span): string {
  let problem = idProblem('trace id', span.traceId, 32);
  if (problem !== '') return problem;
  problem = idProblem('span id', span.spanId, 16);
  if (problem !== '') return problem;
  if (span.parentSpanId !== '') {
    const check = checkHexId(span.parentSpanId, 16);
    if (check === ID_NOT_HEX) {
      return `has parent span id ${quoted(span.parentSpanId)} (want 16 hex digits, or empty for a root span)`;
    }
    span.parentSpanId = check === ID_ALL_ZERO ? '' : span.parentSpanId.toLowerCase();
  }
  for (let i = 0; i < span.links.length; i++) {
    const link = span.links[i];
    problem = idProblem('trace id', link.traceId, 32);
    if (problem === '') problem = idProblem('span id', link.spanId, 16);
    if (problem !== '') return `link ${i} ${problem}`;
    link.traceId = link.traceId.toLowerCase();
    link.spanId = link.spanId.toLowerCase();
  }
  span.traceId = span.traceId.toLowerCase();
  span.spanId = span.spanId.toLowerCase();
  return '';
}

// ---- events and links -------------------------------------------------------------

function eventsField(s: JsonObject): SpanEvent[] {
  const list = arrayField(s, 'events', 'events');
  const events: SpanEvent[] = [];
  const keep = Math.min(list.length, limits.maxEventsPerSpan + 1);
  for (let i = 0; i < keep; i++) {
    try {
      const e = asObject(list[i], 'expected an object (an Event)');
      events.push({
        time: microsField(e, 'timeUnixNano', 'time_unix_nano'),
        name: stringField(e, 'name', 'name'),
        attributes: attributesField(e, 'attributes', 'attributes', 0, limits.maxAttributesPerEvent),
        droppedAttributesCount:
          uint32Field(e, 'droppedAttributesCount', 'dropped_attributes_count') + cutItems,
      });
    } catch (err) {
      throw atPath(err, `events[${i}]`);
    }
  }
  cutItems = list.length - keep;
  return events;
}

function linksField(s: JsonObject): SpanLink[] {
  const list = arrayField(s, 'links', 'links');
  const links: SpanLink[] = [];
  const keep = Math.min(list.length, limits.maxLinksPerSpan + 1);
  for (let i = 0; i < keep; i++) {
    try {
      const l = asObject(list[i], 'expected an object (a Link)');
      links.push({
        traceId: stringField(l, 'traceId', 'trace_id'),
        spanId: stringField(l, 'spanId', 'span_id'),
        traceState: stringField(l, 'traceState', 'trace_state'),
        attributes: attributesField(l, 'attributes', 'attributes', 0, limits.maxAttributesPerLink),
        droppedAttributesCount:
          uint32Field(l, 'droppedAttributesCount', 'dropped_attributes_count') + cutItems,
        flags: uint32Field(l, 'flags', 'flags'),
      });
    } catch (err) {
      throw atPath(err, `links[${i}]`);
    }
  }
  cutItems = list.length - keep;
  return links;
}

// ---- attributes and AnyValue ------------------------------------------------------

/*
 * readAnyValue leaves its result in these two variables instead of returning an
 * object, so an attribute is built as one { key, type, value } object without a
 * throwaway AnyValue. Callers read them immediately after the call (before any
 * other readAnyValue call, which recursion into arrays and kvlists makes).
 */
let valueType: ValueType = ValueType.Empty;
let valueValue: unknown = null;

/** Reads at most `max + 1` attributes; how many it left out is in `cutItems`. */
function attributesField(
  o: JsonObject,
  camel: string,
  snake: string,
  depth = 0,
  max = Infinity,
): Attribute[] {
  const list = arrayField(o, camel, snake);
  const attributes: Attribute[] = [];
  const keep = Math.min(list.length, max + 1);
  for (let i = 0; i < keep; i++) {
    try {
      attributes.push(decodeKeyValue(list[i], depth));
    } catch (err) {
      throw atPath(err, `${camel}[${i}]`);
    }
  }
  cutItems = list.length - keep;
  return attributes;
}

function decodeKeyValue(value: unknown, depth: number): Attribute {
  const kv = asObject(value, 'expected an object (a KeyValue)');
  const key = stringField(kv, 'key', 'key');
  try {
    readAnyValue(field(kv, 'value', 'value'), depth);
  } catch (err) {
    throw atPath(err, 'value');
  }
  return { key, type: valueType, value: valueValue } as Attribute;
}

const TOO_DEEP = `arrays and kvlists nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`;
const INT_PATTERN = /^-?[0-9]{1,20}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Reads an AnyValue (undefined = not set = Empty) into valueType/valueValue.
 * Error paths are relative to the AnyValue; the caller prefixes where it sits.
 */
function readAnyValue(value: unknown, depth: number): void {
  if (value === undefined) {
    valueType = ValueType.Empty;
    valueValue = null;
    return;
  }
  const v = asObject(value, 'expected an object (an AnyValue)');
  let f = field(v, 'stringValue', 'string_value');
  if (f !== undefined) {
    if (typeof f !== 'string') throw new ShapeError('stringValue', 'expected a string');
    valueType = ValueType.String;
    valueValue = f;
    return;
  }
  f = field(v, 'boolValue', 'bool_value');
  if (f !== undefined) {
    if (typeof f !== 'boolean') throw new ShapeError('boolValue', 'expected true or false');
    valueType = ValueType.Bool;
    valueValue = f;
    return;
  }
  f = field(v, 'intValue', 'int_value');
  if (f !== undefined) {
    valueValue = int64(f, 'intValue');
    valueType = ValueType.Int;
    return;
  }
  f = field(v, 'doubleValue', 'double_value');
  if (f !== undefined) {
    valueValue = double(f, 'doubleValue');
    valueType = ValueType.Double;
    return;
  }
  f = field(v, 'bytesValue', 'bytes_value');
  if (f !== undefined) {
    if (typeof f !== 'string' || !BASE64_PATTERN.test(f)) {
      throw new ShapeError('bytesValue', 'expected a base64 string');
    }
    // A copy, not a view into Buffer's shared pool.
    valueValue = new Uint8Array(Buffer.from(f, 'base64'));
    valueType = ValueType.Bytes;
    return;
  }
  f = field(v, 'arrayValue', 'array_value');
  if (f !== undefined) {
    const array = asObject(f, 'expected an object (an ArrayValue)', 'arrayValue');
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new ShapeError('arrayValue', TOO_DEEP);
    try {
      valueValue = arrayValues(array, depth + 1);
    } catch (err) {
      throw atPath(err, 'arrayValue');
    }
    valueType = ValueType.Array;
    return;
  }
  f = field(v, 'kvlistValue', 'kvlist_value');
  if (f !== undefined) {
    const kvlist = asObject(f, 'expected an object (a KeyValueList)', 'kvlistValue');
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new ShapeError('kvlistValue', TOO_DEEP);
    try {
      valueValue = attributesField(kvlist, 'values', 'values', depth + 1);
    } catch (err) {
      throw atPath(err, 'kvlistValue');
    }
    valueType = ValueType.KvList;
    return;
  }
  valueType = ValueType.Empty;
  valueValue = null;
}

function arrayValues(array: JsonObject, depth: number): AnyValue[] {
  const list = arrayField(array, 'values', 'values');
  const values: AnyValue[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      readAnyValue(list[i], depth);
    } catch (err) {
      throw atPath(err, `values[${i}]`);
    }
    values.push({ type: valueType, value: valueValue } as AnyValue);
  }
  return values;
}

function int64(v: unknown, path: string): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ShapeError(path, 'expected an integer');
    if (Number.isSafeInteger(v)) return v + 0; // -0 -> 0
    const big = BigInt(v);
    if (big < MIN_INT64 || big > MAX_INT64) throw new ShapeError(path, 'out of int64 range');
    return big;
  }
  if (typeof v === 'string' && INT_PATTERN.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n + 0;
    const big = BigInt(v);
    if (big < MIN_INT64 || big > MAX_INT64) throw new ShapeError(path, 'out of int64 range');
    return big;
  }
  throw new ShapeError(path, 'expected an integer as a string or number');
}

function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // proto3 JSON spells the non-finite values as strings; numbers may be quoted too.
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw new ShapeError(path, 'expected a number (or "NaN", "Infinity", "-Infinity")');
}

// ---- typed field readers ----------------------------------------------------------

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown, expected: string, path = ''): JsonObject {
  if (!isObject(v)) throw new ShapeError(path, expected);
  return v;
}

/** The field under its JSON name or its proto name; null counts as not set. */
function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  const w = o[snake];
  return w === null ? undefined : w;
}

const NO_ITEMS: readonly unknown[] = Object.freeze([]);

function arrayField(o: JsonObject, camel: string, snake: string): readonly unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined) return NO_ITEMS;
  if (!Array.isArray(v)) throw new ShapeError(camel, 'expected an array');
  return v;
}

function objectField(o: JsonObject, camel: string, snake: string): JsonObject | undefined {
  const v = field(o, camel, snake);
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new ShapeError(camel, 'expected an object');
  return v;
}

function stringField(o: JsonObject, camel: string, snake: string, path = camel): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new ShapeError(path, 'expected a string');
  return v;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function uint32Field(o: JsonObject, camel: string, snake: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && isDigits(v) && v.length <= 10 ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ShapeError(camel, 'expected an unsigned 32-bit integer');
  }
  return n;
}

/**
 * A fixed64 nanosecond timestamp as µs, exactly: a decimal string loses its last
 * three digits as text, so a 19-digit value never goes through a lossy double.
 */
function microsField(o: JsonObject, camel: string, snake: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  if (typeof v === 'string') {
    if (!isDigits(v) || v.length > 20) {
      throw new ShapeError(camel, 'expected unsigned integer nanoseconds as a string or number');
    }
    return v.length <= 3 ? 0 : Number(v.slice(0, v.length - 3));
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) {
      throw new ShapeError(camel, 'expected unsigned integer nanoseconds as a string or number');
    }
    // Exact for safe integers; a larger JSON number was already rounded by JSON.parse.
    return Number.isSafeInteger(v) ? (v - (v % 1000)) / 1000 : Math.floor(v / 1000);
  }
  throw new ShapeError(camel, 'expected a string or number');
}

/**
 * An enum as its number or its name. Unknown numbers read as 0 (unspecified/unset):
 * proto3 enums are open, but the model only has the values OTLP defines today.
 */
function enumField(
  o: JsonObject,
  camel: string,
  snake: string,
  names: readonly string[],
  path: string,
): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ShapeError(path, 'expected an integer or an enum name');
    return v >= 0 && v < names.length ? v : 0;
  }
  if (typeof v === 'string') {
    const n = names.indexOf(v);
    if (n >= 0) return n;
  }
  throw new ShapeError(path, `expected a number or one of ${names.join(', ')}`);
}
