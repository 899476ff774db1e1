import type { Resource, Scope } from '../../model/span.ts';
import {
  decodeAttributeList,
  encodeAttributeList,
  tagTerm,
  valueToString,
} from './attribute-codec.ts';

/**
 * One row of the `origins` table: a resource + scope pair, as JSON, and the tenant whose
 * spans reference it (two tenants sending the same resource get two origins, so a
 * decoded span's resource says whose it is).
 */
export interface OriginRow {
  id: number;
  resource: string;
  scope: string;
  tenant: string;
}

interface Origin {
  row: OriginRow;
  tenant: string;
  /** Search terms of the resource and scope attributes, plus otel.scope.name/version. */
  terms: Set<string>;
}

/**
 * One write batch's view of the registry: the origins it inserts (registered once it
 * commits) and the earlier, still uncommitted batches whose new origins (or
 * operations) it references without inserting them itself. Such a batch may commit
 * only after those did, and must fail if one of them failed.
 */
export class OriginBatch {
  readonly added: OriginRow[] = [];
  readonly byKey = new Map<string, number>();
  /** Spans of one decoded request share their resource and scope objects. */
  readonly byIdentity = new Map<Resource, Map<Scope, number>>();
  readonly borrowed = new Set<OriginBatch>();
  /** Set once its transaction is known not to have committed. */
  failed = false;
}

interface PendingOrigin {
  id: number;
  owner: OriginBatch;
}

function encodeResource(r: Resource): string {
  return JSON.stringify([
    r.serviceName,
    encodeAttributeList(r.attributes),
    r.droppedAttributesCount,
    r.schemaUrl,
  ]);
}

function encodeScope(s: Scope): string {
  return JSON.stringify([
    s.name,
    s.version,
    encodeAttributeList(s.attributes),
    s.droppedAttributesCount,
    s.schemaUrl,
  ]);
}

/** The resource of an `origins` row; `tenant` is the row's (not part of the JSON). */
export function decodeResource(json: string, tenant: string): Resource {
  const [serviceName, attrs, droppedAttributesCount, schemaUrl] = JSON.parse(json) as [
    string,
    string[],
    number,
    string,
  ];
  return {
    serviceName,
    tenant,
    attributes: decodeAttributeList(attrs),
    droppedAttributesCount,
    schemaUrl,
  };
}

export function decodeScope(json: string): Scope {
  const [name, version, attrs, droppedAttributesCount, schemaUrl] = JSON.parse(json) as [
    string,
    string,
    string[],
    number,
    string,
  ];
  return {
    name,
    version,
    attributes: decodeAttributeList(attrs),
    droppedAttributesCount,
    schemaUrl,
  };
}

/** The registry key of an origin: tenant, resource JSON and scope JSON (tenant names hold no newline). */
function originKey(tenant: string, resource: string, scope: string): string {
  return tenant + '\n' + resource + '\n' + scope;
}

function originTerms(resource: Resource, scope: Scope): Set<string> {
  const terms = new Set<string>();
  for (const a of resource.attributes) terms.add(tagTerm(a.key, valueToString(a)));
  for (const a of scope.attributes) terms.add(tagTerm(a.key, valueToString(a)));
  if (scope.name !== '') terms.add(tagTerm('otel.scope.name', scope.name));
  if (scope.version !== '') terms.add(tagTerm('otel.scope.version', scope.version));
  return terms;
}

/**
 * Every distinct resource + scope pair the store holds, in memory: there are few
 * (one per SDK instance and instrumentation library), so keeping them here lets a
 * span row carry a 4-byte id and lets tag search resolve resource and scope
 * conditions to a set of ids before it touches the spans table.
 */
export class OriginRegistry {
  private readonly byKey = new Map<string, number>();
  private readonly byId = new Map<number, Origin>();
  /** Origins inserted by batches whose transaction is open: referenced, never inserted twice. */
  private readonly pending = new Map<string, PendingOrigin>();
  private nextId = 1;

  load(rows: readonly OriginRow[]): void {
    this.byKey.clear();
    this.byId.clear();
    this.pending.clear();
    this.nextId = 1;
    for (const row of rows) this.add(row);
  }

  private add(row: OriginRow): void {
    this.byKey.set(originKey(row.tenant, row.resource, row.scope), row.id);
    const resource = decodeResource(row.resource, row.tenant);
    const scope = decodeScope(row.scope);
    this.byId.set(row.id, { row, tenant: row.tenant, terms: originTerms(resource, scope) });
    if (row.id >= this.nextId) this.nextId = row.id + 1;
  }

  /** The id of a resource + scope pair, allocating one (recorded in `batch`) if new. */
  resolve(resource: Resource, scope: Scope, batch: OriginBatch): number {
    let scopes = batch.byIdentity.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      batch.byIdentity.set(resource, scopes);
    }
    const known = scopes.get(scope);
    if (known !== undefined) return known;
    const r = encodeResource(resource);
    const s = encodeScope(scope);
    const key = originKey(resource.tenant, r, s);
    let id = this.byKey.get(key) ?? batch.byKey.get(key);
    if (id === undefined) {
      const pending = this.pending.get(key);
      if (pending !== undefined) {
        id = pending.id;
        batch.borrowed.add(pending.owner);
      } else {
        id = this.nextId++;
        batch.byKey.set(key, id);
        batch.added.push({ id, resource: r, scope: s, tenant: resource.tenant });
      }
    }
    scopes.set(scope, id);
    return id;
  }

  /**
   * The batch's origin rows are in its open transaction: later batches reuse their
   * ids (borrowing) instead of inserting the same origins again.
   */
  publish(batch: OriginBatch): void {
    for (const [key, id] of batch.byKey) this.pending.set(key, { id, owner: batch });
  }

  /** Makes the origins of a committed batch known. */
  commit(batch: OriginBatch): void {
    for (const row of batch.added) this.add(row);
    this.unpublish(batch);
  }

  /** Forgets the origins of a batch that did not commit (their ids are never reused). */
  unpublish(batch: OriginBatch): void {
    for (const key of batch.byKey.keys()) {
      if (this.pending.get(key)?.owner === batch) this.pending.delete(key);
    }
  }

  get(id: number): OriginRow | undefined {
    return this.byId.get(id)?.row;
  }

  /** Ids of `tenant`'s origins whose resource or scope carries `term`. */
  idsWithTerm(term: string, tenant: string): number[] {
    const ids: number[] = [];
    for (const [id, origin] of this.byId) {
      if (origin.tenant === tenant && origin.terms.has(term)) ids.push(id);
    }
    return ids;
  }
}
