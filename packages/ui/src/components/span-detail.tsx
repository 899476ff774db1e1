import type { KeyValue } from '../model/raw-trace.ts';
import { traceUrl } from '../model/route.ts';
import { formatDuration, formatTimestamp } from '../model/time-format.ts';
import type { TraceModel } from '../model/trace-model.ts';
import { serviceColor } from '../theme.ts';
import { CopyButton } from './copy-button.tsx';

function KeyValueTable({ items, label }: { items: KeyValue[]; label: string }) {
  if (items.length === 0) return <p class="muted">No {label.toLowerCase()}.</p>;
  return (
    <table class="kv" aria-label={label}>
      <tbody>
        {items.map((kv, n) => (
          <tr key={`${kv.key}#${n}`}>
            <th>{kv.key}</th>
            <td class={`kv-${kv.type}`}>{String(kv.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface SpanDetailProps {
  model: TraceModel;
  index: number;
  offset: number;
  onSelect(i: number): void;
  onClose(): void;
}

/** Everything about one span: ids, timing, status, attributes, resource, events and links. */
export function SpanDetail({ model, index, offset, onSelect, onClose }: SpanDetailProps) {
  const s = model.spans[index];
  const parent = model.parent[index];
  const relStart = s.start + offset - model.start;
  const byId = (spanId: string) => model.spans.findIndex((x) => x.spanId === spanId);
  return (
    <section class="span-detail" aria-label="Span detail" data-span-id={s.spanId}>
      <header>
        <span
          class="tl-svc-mark"
          style={{ background: serviceColor(model.services[model.serviceIndex[index]].color) }}
        />
        <h2>
          {s.service}: <span class="op">{s.operation}</span>
        </h2>
        <button
          type="button"
          class="close"
          aria-label="Close span detail"
          title="Close (Esc)"
          onClick={onClose}
        >
          ×
        </button>
      </header>
      <dl class="facts">
        <div>
          <dt>Span id</dt>
          <dd>
            <code>{s.spanId}</code> <CopyButton text={s.spanId} />
          </dd>
        </div>
        <div>
          <dt>Trace id</dt>
          <dd>
            <code>{s.traceId}</code> <CopyButton text={s.traceId} />
          </dd>
        </div>
        <div>
          <dt>Parent</dt>
          <dd>
            {parent >= 0 ? (
              <button type="button" class="linkish" onClick={() => onSelect(parent)}>
                {model.spans[parent].operation} ({s.parentId})
              </button>
            ) : s.parentId ? (
              <span class="warn">⚠ {s.parentId} is not in this trace (orphan span)</span>
            ) : (
              'none (root span)'
            )}
          </dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{s.kind || 'unspecified'}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd class={s.status === 'ERROR' ? 'status-error' : ''}>
            {s.status}
            {s.statusMessage ? `: ${s.statusMessage}` : ''}
          </dd>
        </div>
        <div>
          <dt>Start</dt>
          <dd>
            {formatDuration(relStart)} into the trace · {formatTimestamp(s.start)}
            {offset !== 0
              ? ` (shown ${formatDuration(offset)} later by the clock-skew adjustment)`
              : ''}
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>
            {formatDuration(s.duration)} · self {formatDuration(model.selfTime[index])}
          </dd>
        </div>
      </dl>
      {s.warnings.length > 0 && (
        <ul class="warnings">
          {s.warnings.map((w) => (
            <li key={w}>⚠ {w}</li>
          ))}
        </ul>
      )}
      <h3>Attributes</h3>
      <KeyValueTable items={s.tags} label="Attributes" />
      <h3>Resource</h3>
      <KeyValueTable
        items={[{ key: 'service.name', type: 'string', value: s.service }, ...s.process]}
        label="Resource"
      />
      <h3>Events ({s.events.length})</h3>
      {s.events.length === 0 ? (
        <p class="muted">No events.</p>
      ) : (
        <ol class="events">
          {s.events.map((e, n) => (
            <li key={n}>
              <div class="event-head">
                <span class="event-time" title={formatTimestamp(e.time)}>
                  +{formatDuration(e.time - s.start)}
                </span>
                <strong>{e.name}</strong>
                <span class="muted">
                  {formatDuration(e.time + offset - model.start)} into the trace
                </span>
              </div>
              {e.fields.length > 0 && <KeyValueTable items={e.fields} label={`Event ${e.name}`} />}
            </li>
          ))}
        </ol>
      )}
      <h3>Links ({s.links.length})</h3>
      {s.links.length === 0 ? (
        <p class="muted">No links.</p>
      ) : (
        <ul class="links">
          {s.links.map((l, n) => {
            const here = l.traceId === s.traceId ? byId(l.spanId) : -1;
            return (
              <li key={n}>
                <span class="badge">{l.type === 'FOLLOWS_FROM' ? 'link' : 'child of'}</span>{' '}
                {here >= 0 ? (
                  <button type="button" class="linkish" onClick={() => onSelect(here)}>
                    {model.spans[here].operation} in this trace
                  </button>
                ) : (
                  <a href={traceUrl(l.traceId, l.spanId)} class="span-link">
                    trace {l.traceId} · span {l.spanId}
                  </a>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
