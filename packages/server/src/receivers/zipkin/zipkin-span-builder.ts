import type { Attribute, Resource, Scope, Span, SpanEvent, SpanKind } from '../../model/span.ts';
import {
  DEFAULT_TENANT,
  SpanKind as Kind,
  StatusCode,
  UNKNOWN_SERVICE,
  ValueType,
} from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { ZeroIdError } from '../../errors.ts';
import { SpanRejections } from '../otlp/span-rejections.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { timeProblem } from '../span-times.ts';
import {
  ZIPKIN_DEBUG_FLAG,
  ZIPKIN_SAMPLED_FLAG,
  ZIPKIN_SHARED_ATTRIBUTE,
  ZipkinAttribute,
  sharedServerSpanId,
} from './zipkin-conventions.ts';

const HEX_ID = /^[0-9a-fA-F]+$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const EMPTY_SCOPE_KEY = '\u0000';

/**
 * Lowercase hex of `id` left-padded to `width` digits, or '' when it is not 1 to
 * `width` hex digits (Zipkin ids are 16 or 32 digits; shorter ones are padded).
 */
export function normalizeHexId(id: string, width: number): string {
  if (id.length === 0 || id.length > width || !HEX_ID.test(id)) return '';
  const lower = id.toLowerCase();
  return lower.length === width ? lower : '0'.repeat(width - lower.length) + lower;
}

/** Zipkin's `Span.Kind` name → span kind; absent or unknown → INTERNAL (OTel mapping). */
export function kindFromZipkin(kind: string): SpanKind {
  switch (kind) {
    case 'CLIENT':
      return Kind.Client;
    case 'SERVER':
      return Kind.Server;
    case 'PRODUCER':
      return Kind.Producer;
    case 'CONSUMER':
      return Kind.Consumer;
    default:
      return Kind.Internal;
  }
}

/**
 * Turns Zipkin spans, one field at a time, into Skein spans, applying the
 * OpenTelemetry Zipkin mapping in one place for every Zipkin decoder (JSON v1/v2,
 * protobuf, thrift):
 *
 * - `localEndpoint.serviceName` → resource `service.name` (one shared Resource
 *   per service per request); its ip/port → `net.host.ip` / `net.host.port`;
 * - `remoteEndpoint` → `peer.service`, `net.peer.ip`, `net.peer.port`;
 * - tags `otel.status_code` / `otel.status_description` / `error` → status (and are
 *   not kept as attributes); `otel.scope.*` (and the older `otel.library.*`) → scope;
 *   `otel.dropped_attributes_count` / `otel.dropped_events_count` → dropped counts;
 * - annotations → events; kind names → span kind (absent → INTERNAL);
 * - 64-bit trace ids → 32 hex digits with leading zeros; `debug` → flags bit 2;
 * - a `shared` SERVER span gets its own id (see `sharedServerSpanId`).
 *
 * Usage per span: `begin()`, set fields and call `tag` / `attribute` / `annotation`,
 * then `finish()`. Bad spans (ids, no timestamp, times out of range) are counted,
 * not thrown; an all-zero trace or span id throws ZeroIdError (the whole request
 * is answered 400, as Zipkin does). Tags and annotations past one over their
 * `limits` are not kept (counted as dropped); `result()` applies the limits.
 */
export class ZipkinSpanBuilder {
  readonly spans: Span[] = [];
  readonly rejections = new SpanRejections();
  readonly #limits: SpanLimits;
  readonly #resources = new Map<string, Resource>();
  readonly #scopes = new Map<string, Scope>();

  /** Hex ids as sent (any case, possibly short); checked in `finish`. */
  traceId = '';
  spanId = '';
  parentId = '';
  name = '';
  kind: SpanKind = Kind.Internal;
  /** µs since epoch; 0 = absent (then the first annotation's time is used). */
  timestamp = 0;
  /** µs. */
  duration = 0;
  debug = false;
  shared = false;
  localService = '';
  attributes: Attribute[] = [];
  events: SpanEvent[] = [];
  #statusCode: StatusCode = StatusCode.Unset;
  #statusDescription: string | undefined;
  #errorTag: string | undefined;
  #scopeName = '';
  #scopeVersion = '';
  #droppedAttributes = 0;
  #droppedEvents = 0;
  #cutAttributes = 0;
  #cutEvents = 0;

  constructor(limits: SpanLimits = DEFAULT_SPAN_LIMITS) {
    this.#limits = limits;
  }

  begin(): void {
    this.traceId = '';
    this.spanId = '';
    this.parentId = '';
    this.name = '';
    this.kind = Kind.Internal;
    this.timestamp = 0;
    this.duration = 0;
    this.debug = false;
    this.shared = false;
    this.localService = '';
    this.attributes = [];
    this.events = [];
    this.#statusCode = StatusCode.Unset;
    this.#statusDescription = undefined;
    this.#errorTag = undefined;
    this.#scopeName = '';
    this.#scopeVersion = '';
    this.#droppedAttributes = 0;
    this.#droppedEvents = 0;
    this.#cutAttributes = 0;
    this.#cutEvents = 0;
  }

  /** A string tag (v2 `tags`, v1 string binary annotation). */
  tag(key: string, value: string): void {
    switch (key) {
      case ZipkinAttribute.StatusCode: {
        const upper = value.toUpperCase();
        if (upper === 'ERROR') this.#statusCode = StatusCode.Error;
        else if (upper === 'OK') this.#statusCode = StatusCode.Ok;
        else break;
        return;
      }
      case ZipkinAttribute.StatusDescription:
        this.#statusDescription = value;
        return;
      case ZipkinAttribute.Error:
        this.#errorTag = value;
        return;
      case ZipkinAttribute.ScopeName:
      case ZipkinAttribute.LibraryName:
        this.#scopeName = value;
        return;
      case ZipkinAttribute.ScopeVersion:
      case ZipkinAttribute.LibraryVersion:
        this.#scopeVersion = value;
        return;
      case ZipkinAttribute.DroppedAttributes:
      case ZipkinAttribute.DroppedEvents: {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) break;
        if (key === ZipkinAttribute.DroppedEvents) this.#droppedEvents = n;
        else this.#droppedAttributes = n;
        return;
      }
    }
    if (this.attributes.length <= this.#limits.maxAttributesPerSpan) {
      this.attributes.push({ key, type: ValueType.String, value });
    } else {
      this.#cutAttributes++;
    }
  }

  /** A typed attribute (v1 binary annotations); strings go through `tag`. */
  attribute(attribute: Attribute): void {
    if (attribute.type === ValueType.String) this.tag(attribute.key, attribute.value);
    else if (this.attributes.length <= this.#limits.maxAttributesPerSpan)
      this.attributes.push(attribute);
    else this.#cutAttributes++;
  }

  annotation(time: number, value: string): void {
    if (this.events.length <= this.#limits.maxEventsPerSpan) {
      this.events.push({ time, name: value, attributes: [], droppedAttributesCount: 0 });
    } else {
      this.#cutEvents++;
    }
  }

  localIp(ip: string): void {
    if (ip !== '')
      this.attributes.push({ key: ZipkinAttribute.HostIp, type: ValueType.String, value: ip });
  }

  localPort(port: number): void {
    if (port > 0)
      this.attributes.push({ key: ZipkinAttribute.HostPort, type: ValueType.Int, value: port });
  }

  remoteService(name: string): void {
    if (name !== '') {
      this.attributes.push({
        key: ZipkinAttribute.PeerService,
        type: ValueType.String,
        value: name,
      });
    }
  }

  remoteIp(ip: string): void {
    if (ip !== '')
      this.attributes.push({ key: ZipkinAttribute.PeerIp, type: ValueType.String, value: ip });
  }

  remotePort(port: number): void {
    if (port > 0)
      this.attributes.push({ key: ZipkinAttribute.PeerPort, type: ValueType.Int, value: port });
  }

  /** Ends the current span: appends it to `spans`, or counts it as rejected with a reason. */
  finish(): void {
    const index = this.spans.length + this.rejections.count;
    const traceId = normalizeHexId(this.traceId, 32);
    let spanId = normalizeHexId(this.spanId, 16);
    let parentId = this.parentId === '' ? '' : normalizeHexId(this.parentId, 16);
    if (traceId === ZERO_TRACE_ID) throw new ZeroIdError([index, 'traceId', this.traceId]);
    if (spanId === ZERO_SPAN_ID) throw new ZeroIdError([index, 'id', this.spanId]);
    let problem = '';
    if (traceId === '') {
      problem = `has trace id "${this.traceId}" (want 16 or 32 hex digits, not all zero)`;
    } else if (spanId === '') {
      problem = `has id "${this.spanId}" (want 16 hex digits, not all zero)`;
    } else if (parentId === '' && this.parentId !== '') {
      problem = `has parentId "${this.parentId}" (want 16 hex digits)`;
    }
    let start = this.timestamp;
    if (start === 0) {
      for (let i = 0; i < this.events.length; i++) {
        const t = this.events[i].time;
        if (t > 0 && (start === 0 || t < start)) start = t;
      }
    }
    if (problem === '' && start === 0)
      problem = 'has no timestamp (and no annotation to take one from)';
    if (problem !== '') {
      this.rejections.reject(`span ${index} ${problem}`);
      return;
    }
    problem = timeProblem(start, this.duration);
    if (problem !== '') {
      this.rejections.rejectTime(`span ${index} ${problem}`);
      return;
    }
    if (parentId === ZERO_SPAN_ID) parentId = '';
    if (this.shared && this.kind === Kind.Server) {
      parentId = spanId;
      spanId = sharedServerSpanId(spanId);
      this.attributes.push({ key: ZIPKIN_SHARED_ATTRIBUTE, type: ValueType.Bool, value: true });
    }
    let statusCode = this.#statusCode;
    let statusMessage = '';
    if (this.#errorTag !== undefined && statusCode === StatusCode.Unset)
      statusCode = StatusCode.Error;
    if (statusCode === StatusCode.Error) {
      statusMessage =
        this.#statusDescription ??
        (this.#errorTag === undefined || this.#errorTag === 'true' ? '' : this.#errorTag);
    } else if (this.#statusDescription !== undefined) {
      this.attributes.push({
        key: ZipkinAttribute.StatusDescription,
        type: ValueType.String,
        value: this.#statusDescription,
      });
    }
    if (statusCode === StatusCode.Ok && this.#errorTag !== undefined) {
      this.attributes.push({
        key: ZipkinAttribute.Error,
        type: ValueType.String,
        value: this.#errorTag,
      });
    }
    this.spans.push({
      traceId,
      spanId,
      parentSpanId: parentId,
      traceState: '',
      flags: this.debug ? ZIPKIN_SAMPLED_FLAG | ZIPKIN_DEBUG_FLAG : ZIPKIN_SAMPLED_FLAG,
      name: this.name,
      kind: this.kind,
      startTime: start,
      duration: this.duration,
      attributes: this.attributes,
      droppedAttributesCount: this.#droppedAttributes + this.#cutAttributes,
      events: this.events,
      droppedEventsCount: this.#droppedEvents + this.#cutEvents,
      links: [],
      droppedLinksCount: 0,
      statusCode,
      statusMessage,
      resource: this.#resource(this.localService),
      scope: this.#scope(),
    });
  }

  /** The spans built, cut to the limits, and the rejections. */
  result(): DecodeResult {
    this.#limits.apply(this.spans);
    return this.rejections.result(this.spans);
  }

  #resource(service: string): Resource {
    let r = this.#resources.get(service);
    if (r === undefined) {
      r = {
        serviceName: service === '' ? UNKNOWN_SERVICE : service,
        tenant: DEFAULT_TENANT,
        attributes:
          service === '' ? [] : [{ key: 'service.name', type: ValueType.String, value: service }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      };
      this.#resources.set(service, r);
    }
    return r;
  }

  #scope(): Scope {
    const key =
      this.#scopeName === '' && this.#scopeVersion === ''
        ? EMPTY_SCOPE_KEY
        : this.#scopeName + '\u0000' + this.#scopeVersion;
    let s = this.#scopes.get(key);
    if (s === undefined) {
      s = {
        name: this.#scopeName,
        version: this.#scopeVersion,
        attributes: [],
        droppedAttributesCount: 0,
        schemaUrl: '',
      };
      this.#scopes.set(key, s);
    }
    return s;
  }
}
