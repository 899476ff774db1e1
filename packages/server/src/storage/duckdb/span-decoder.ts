import type { DuckDBDataChunk, DuckDBListValue } from '@duckdb/node-api';
import { DEFAULT_TENANT } from '../../model/span.ts';
import type { Resource, Scope, Span, SpanKind, StatusCode } from '../../model/span.ts';
import { attributeFromString, splitTerm } from './attribute-codec.ts';
import { parentIdToHex, spanIdToHex, traceIdToHex } from './ids.ts';
import { decodeResource, decodeScope } from './origin-registry.ts';
import type { OriginRegistry } from './origin-registry.ts';
import { applySpanExtra, type ExtraJson } from '../span-extra.ts';

/**
 * Rebuilds spans from rows selected with `SPAN_SELECT_COLUMNS`. Resource and scope
 * objects are decoded once per origin per reader and shared by that reader's spans,
 * as decoders share them; they are fresh objects, owned by the caller.
 */
export class SpanDecoder {
  private readonly resources = new Map<number, { resource: Resource; scope: Scope }>();

  constructor(private readonly origins: OriginRegistry) {}

  private origin(id: number): { resource: Resource; scope: Scope } {
    let o = this.resources.get(id);
    if (o === undefined) {
      const row = this.origins.get(id);
      o =
        row === undefined
          ? {
              resource: {
                serviceName: '',
                tenant: DEFAULT_TENANT,
                attributes: [],
                droppedAttributesCount: 0,
                schemaUrl: '',
              },
              scope: {
                name: '',
                version: '',
                attributes: [],
                droppedAttributesCount: 0,
                schemaUrl: '',
              },
            }
          : { resource: decodeResource(row.resource, row.tenant), scope: decodeScope(row.scope) };
      this.resources.set(id, o);
    }
    return o;
  }

  /** Appends the spans of one result chunk to `out`. */
  decodeChunk(chunk: DuckDBDataChunk, out: Span[]): void {
    const n = chunk.rowCount;
    const vStart = chunk.getColumnVector(0);
    const vDuration = chunk.getColumnVector(1);
    const vTrace = chunk.getColumnVector(2);
    const vSpan = chunk.getColumnVector(3);
    const vParent = chunk.getColumnVector(4);
    const vName = chunk.getColumnVector(5);
    const vKind = chunk.getColumnVector(6);
    const vStatus = chunk.getColumnVector(7);
    const vFlags = chunk.getColumnVector(8);
    const vOrigin = chunk.getColumnVector(9);
    const vTypes = chunk.getColumnVector(10);
    const vTags = chunk.getColumnVector(11);
    const vExtra = chunk.getColumnVector(12);
    for (let row = 0; row < n; row++) {
      const startTime = Number(vStart.getItem(row) as bigint);
      const types = vTypes.getItem(row) as string;
      const terms = (vTags.getItem(row) as DuckDBListValue).items as string[];
      const attributes = new Array(types.length);
      for (let i = 0; i < types.length; i++) {
        const [key, value] = splitTerm(terms[i]);
        attributes[i] = attributeFromString(key, types[i], value);
      }
      const { resource, scope } = this.origin(vOrigin.getItem(row) as number);
      const span: Span = {
        traceId: traceIdToHex(vTrace.getItem(row) as bigint),
        spanId: spanIdToHex(vSpan.getItem(row) as bigint),
        parentSpanId: parentIdToHex(vParent.getItem(row) as bigint),
        traceState: '',
        flags: vFlags.getItem(row) as number,
        name: vName.getItem(row) as string,
        kind: vKind.getItem(row) as SpanKind,
        startTime,
        duration: Number(vDuration.getItem(row) as bigint),
        attributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        statusCode: vStatus.getItem(row) as StatusCode,
        statusMessage: '',
        resource,
        scope,
      };
      const extra = vExtra.getItem(row) as string | null;
      if (extra !== null) applySpanExtra(span, JSON.parse(extra) as ExtraJson);
      out.push(span);
    }
  }
}
