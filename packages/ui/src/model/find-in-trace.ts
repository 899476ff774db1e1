import type { KeyValue } from './raw-trace.ts';
import type { TraceModel } from './trace-model.ts';

export interface FindResult {
  /** 1 for each matching span index. */
  matched: Uint8Array;
  /** Matching span indices in display order, for next/previous. */
  list: Int32Array;
}

const searchText = new WeakMap<TraceModel, string[]>();

function appendTags(parts: string[], tags: KeyValue[]): void {
  for (const t of tags) parts.push(`${t.key}=${t.value}`);
}

/** Lower-cased text of each span, built once per model on the first search. */
function textOf(model: TraceModel): string[] {
  let texts = searchText.get(model);
  if (texts) return texts;
  texts = new Array(model.spans.length);
  for (let i = 0; i < model.spans.length; i++) {
    const s = model.spans[i];
    const parts = [s.service, s.operation, s.spanId];
    appendTags(parts, s.tags);
    appendTags(parts, s.process);
    for (const e of s.events) {
      parts.push(e.name);
      appendTags(parts, e.fields);
    }
    if (s.statusMessage) parts.push(s.statusMessage);
    texts[i] = parts.join('\n').toLowerCase();
  }
  searchText.set(model, texts);
  return texts;
}

/**
 * Spans matching every whitespace-separated term of `query`, case-insensitively, in
 * their service, operation, span id, tags (`key=value`), resource, events or status
 * message. An empty query matches nothing.
 */
export function findInTrace(model: TraceModel, query: string): FindResult {
  const n = model.spans.length;
  const matched = new Uint8Array(n);
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (terms.length === 0) return { matched, list: new Int32Array(0) };
  const texts = textOf(model);
  const list = new Int32Array(n);
  let count = 0;
  for (let pos = 0; pos < n; pos++) {
    const i = model.order[pos];
    const text = texts[i];
    let ok = true;
    for (const term of terms) {
      if (!text.includes(term)) {
        ok = false;
        break;
      }
    }
    if (ok) {
      matched[i] = 1;
      list[count++] = i;
    }
  }
  return { matched, list: list.subarray(0, count) };
}
