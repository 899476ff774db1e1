import assert from 'node:assert/strict';
import jaeger from 'jaeger-client';
import type { JaegerClientSpan, Sender } from 'jaeger-client';
import thriftModule from 'jaeger-client/dist/src/thrift.js';
import type { ThriftSpan } from 'jaeger-client/dist/src/thrift.js';
import type { FastifyInstance } from 'fastify';
import { createQueryApp } from '../../../query/query-app.ts';
import type { DependencyReader } from '../../../storage/dependency-reader.ts';
import type { TraceReader } from '../../../storage/trace-reader.ts';

/*
 * A trace sent by the real jaeger-client (its UDP or HTTP sender), and the
 * checks that it reads back through the query API as Jaeger shows it.
 */

const ThriftUtils = thriftModule.default;
const quiet = { info: () => {}, error: () => {} };

export const CLIENT_SERVICE = 'jaeger-client-test';

/** The query API the checks below read through, over `reader`. */
export function readBackApp(reader: TraceReader & DependencyReader): Promise<FastifyInstance> {
  return createQueryApp({ reader, logger: false, defaultLimit: 20, maxLimit: 100 });
}

export interface SentTrace {
  /** 32 hex digits. */
  traceId: string;
  /** The spans as the client reported them (in finish order). */
  spans: JaegerClientSpan[];
  /** Process tags as the client encoded them. */
  processTags: ThriftSpan['tags'];
}

function hex(id: Buffer, digits: number): string {
  return id.toString('hex').padStart(digits, '0');
}

/**
 * Sends three spans through `sender` with a real jaeger-client Tracer and closes
 * it (which flushes): a SERVER root with tags of every type jaeger-client writes
 * (string, double, bool, binary), a CLIENT child with `error=true` and two logs
 * (one with an `event` field), and a PRODUCER span that FOLLOWS_FROM the root.
 * Times are whole milliseconds so the µs values are exact.
 */
export async function sendClientTrace(sender: Sender, traceId128bit: boolean): Promise<SentTrace> {
  const memory = new jaeger.InMemoryReporter();
  const remote = new jaeger.RemoteReporter(sender, { bufferFlushInterval: 60_000, logger: quiet });
  const tracer = new jaeger.Tracer(
    CLIENT_SERVICE,
    new jaeger.CompositeReporter([remote, memory]),
    new jaeger.ConstSampler(true),
    {
      tags: { 'deployment.environment': 'test', 'build.number': 42, canary: false },
      traceId128bit,
      logger: quiet,
    },
  );
  const t0 = Math.floor(Date.now()) - 1000;
  const root = tracer.startSpan('GET /cart', {
    startTime: t0,
    tags: {
      'span.kind': 'server',
      'http.method': 'GET',
      'http.status_code': 200,
      ratio: 0.25,
      'cache.hit': true,
      payload: Buffer.from([1, 2, 3, 250]),
    },
  });
  const child = tracer.startSpan('SELECT cart', {
    childOf: root.context(),
    startTime: t0 + 2,
    tags: { 'span.kind': 'client', 'db.system': 'postgresql' },
  });
  child.setTag('error', true);
  child.log({ event: 'error', message: 'connection reset', 'retry.count': 2 }, t0 + 3);
  child.log({ message: 'no event field' }, t0 + 4);
  child.finish(t0 + 5);
  const producer = tracer.startSpan('send email', {
    references: [jaeger.opentracing.followsFrom(root.context())],
    startTime: t0 + 6,
    tags: { 'span.kind': 'producer' },
  });
  producer.finish(t0 + 9);
  root.finish(t0 + 10);
  await new Promise<void>((resolve) => tracer.close(resolve));
  return {
    traceId: hex(root.context().traceId, 32),
    spans: memory.spans,
    processTags: ThriftUtils.getThriftTags(tracer._process.tags),
  };
}

interface JsonKeyValue {
  key: string;
  type: string;
  value: unknown;
}

/** A jaeger-client thrift tag as Jaeger's JSON shows it. */
function jsonTag(tag: ThriftSpan['tags'][number]): JsonKeyValue {
  switch (tag.vType) {
    case 'DOUBLE':
      return { key: tag.key, type: 'float64', value: tag.vDouble };
    case 'BOOL':
      return { key: tag.key, type: 'bool', value: tag.vBool };
    case 'BINARY':
      return { key: tag.key, type: 'binary', value: tag.vBinary.toString('base64') };
    default:
      return { key: tag.key, type: 'string', value: tag.vStr };
  }
}

const byKey = (a: { key: string }, b: { key: string }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
const sortedTags = (tags: JsonKeyValue[]) => [...tags].sort(byKey);

/**
 * The Jaeger UI JSON span the query API must return for a span jaeger-client
 * sent, as Jaeger shows it: tags typed as sent (compared as sets), plus
 * `otel.status_code=ERROR` beside `error=true` (Jaeger v2 adds it too); the
 * parent as a CHILD_OF reference unless a reference already names it.
 */
function expectedSpan(span: JaegerClientSpan, traceId: string): Record<string, unknown> {
  const t = ThriftUtils.spanToThrift(span) as ThriftSpan & Record<string, unknown>;
  const ctx = span.context();
  const tags = t.tags.map(jsonTag);
  if (tags.some((x) => x.key === 'error' && x.value === true)) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
  }
  const refs = (
    span as unknown as {
      _references: Array<{ type(): string; referencedContext(): { spanId: Buffer } }>;
    }
  )._references.map((r) => ({
    refType: r.type() === 'follows_from' ? 'FOLLOWS_FROM' : 'CHILD_OF',
    traceID: traceId,
    spanID: hex(r.referencedContext().spanId, 16),
  }));
  const parent = ctx.parentId === null ? '' : hex(ctx.parentId, 16);
  if (parent !== '' && !refs.some((r) => r.spanID === parent)) {
    refs.unshift({ refType: 'CHILD_OF', traceID: traceId, spanID: parent });
  }
  const internal = span as unknown as {
    _startTime: number;
    _duration: number;
    _logs: Array<{ timestamp: number; fields: Array<{ key: string; value: unknown }> }>;
  };
  return {
    traceID: traceId,
    spanID: hex(ctx.spanId, 16),
    flags: ctx.flags,
    operationName: (span as unknown as { _operationName: string })._operationName,
    references: refs,
    startTime: internal._startTime * 1000,
    duration: internal._duration * 1000,
    tags: sortedTags(tags),
    logs: internal._logs.map((log) => ({
      timestamp: log.timestamp * 1000,
      fields: sortedTags(ThriftUtils.getThriftTags(log.fields).map(jsonTag)),
    })),
    warnings: null,
  };
}

/**
 * Reads `/api/traces/{id}` and compares it with what the client sent, span by
 * span and field by field.
 */
export async function assertJaegerApiTrace(app: FastifyInstance, sent: SentTrace): Promise<void> {
  const res = await app.inject({ method: 'GET', url: `/api/traces/${sent.traceId}` });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.data.length, 1);
  const trace = body.data[0];
  assert.equal(trace.traceID, sent.traceId);
  assert.equal(trace.spans.length, sent.spans.length);
  for (const span of sent.spans) {
    const spanId = hex(span.context().spanId, 16);
    const got = trace.spans.find((s: { spanID: string }) => s.spanID === spanId);
    assert.ok(got, `span ${spanId} is in the trace`);
    const { processID, ...rest } = got;
    assert.deepEqual(
      {
        ...rest,
        tags: sortedTags(rest.tags),
        logs: rest.logs.map((l: { timestamp: number; fields: JsonKeyValue[] }) => ({
          timestamp: l.timestamp,
          fields: sortedTags(l.fields),
        })),
      },
      expectedSpan(span, sent.traceId),
      `span ${spanId} (${rest.operationName})`,
    );
    const process = trace.processes[processID];
    assert.equal(process.serviceName, CLIENT_SERVICE);
    assert.deepEqual(sortedTags(process.tags), sortedTags(sent.processTags.map(jsonTag)));
  }
}

/** The OTLP JSON span fields the checks read. */
interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: unknown }>;
  events: Array<{ name?: string }>;
  links: Array<{ spanId: string; attributes: unknown[] }>;
  status: { code?: number };
}

/**
 * Reads `/api/v3/traces/{id}` (OTLP JSON) and checks the mapping into the span
 * model: kinds, parent, status, typed attributes, event names, the FOLLOWS_FROM
 * link and the resource.
 */
export async function assertApiV3Trace(app: FastifyInstance, sent: SentTrace): Promise<void> {
  const res = await app.inject({ method: 'GET', url: `/api/v3/traces/${sent.traceId}` });
  assert.equal(res.statusCode, 200, res.body);
  const { resourceSpans } = res.json().result;
  assert.equal(resourceSpans.length, 1);
  const resourceAttrs = resourceSpans[0].resource.attributes;
  assert.deepEqual(
    resourceAttrs.find((a: { key: string }) => a.key === 'service.name'),
    { key: 'service.name', value: { stringValue: CLIENT_SERVICE } },
  );
  assert.deepEqual(
    resourceAttrs.find((a: { key: string }) => a.key === 'canary'),
    { key: 'canary', value: { boolValue: false } },
  );
  const spans: OtlpJsonSpan[] = resourceSpans[0].scopeSpans.flatMap(
    (s: { spans: OtlpJsonSpan[] }) => s.spans,
  );
  const named = (name: string): OtlpJsonSpan => {
    const span = spans.find((s) => s.name === name);
    assert.ok(span, `span "${name}" is in the trace`);
    return span;
  };
  const root = named('GET /cart');
  const child = named('SELECT cart');
  const producer = named('send email');
  const [sentChild, sentProducer, sentRoot] = sent.spans;
  const rootStart = (sentRoot as unknown as { _startTime: number })._startTime;

  assert.equal(root.traceId, sent.traceId);
  assert.equal(root.kind, 2);
  assert.equal(root.parentSpanId ?? '', '');
  assert.equal(root.startTimeUnixNano, String(rootStart * 1_000_000));
  assert.equal(root.endTimeUnixNano, String((rootStart + 10) * 1_000_000));
  const attr = (s: OtlpJsonSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;
  assert.deepEqual(attr(root, 'http.status_code'), { doubleValue: 200 });
  assert.deepEqual(attr(root, 'cache.hit'), { boolValue: true });
  assert.deepEqual(attr(root, 'payload'), {
    bytesValue: Buffer.from([1, 2, 3, 250]).toString('base64'),
  });
  assert.equal(attr(root, 'span.kind'), undefined, 'span.kind became the kind');

  assert.equal(child.kind, 3);
  assert.equal(child.spanId, hex(sentChild.context().spanId, 16));
  assert.equal(child.parentSpanId, root.spanId);
  assert.equal(child.status.code, 2);
  assert.equal(attr(child, 'error'), undefined, 'error=true became the status');
  assert.deepEqual(
    child.events.map((e) => e.name ?? ''),
    ['error', ''],
  );
  assert.deepEqual(child.links, []);

  assert.equal(producer.kind, 4);
  assert.equal(producer.spanId, hex(sentProducer.context().spanId, 16));
  assert.equal(producer.parentSpanId, root.spanId);
  assert.deepEqual(
    producer.links.map((l) => [l.spanId, l.attributes]),
    [[root.spanId, [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }]]],
  );
}
