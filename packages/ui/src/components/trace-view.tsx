import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { adjustClockSkew } from '../model/clock-skew.ts';
import { toJaegerJson, toOtlpJson } from '../model/export-trace.ts';
import { findInTrace } from '../model/find-in-trace.ts';
import type { RawTrace } from '../model/raw-trace.ts';
import { collapseAll, reveal, rowOf, visibleRows } from '../model/row-layout.ts';
import { formatDuration, formatTimestamp } from '../model/time-format.ts';
import { timeTicks } from '../model/time-ticks.ts';
import { buildTraceModel, type TraceModel } from '../model/trace-model.ts';
import { FULL_WINDOW, panWindow, zoomWindow, type ViewWindow } from '../model/view-window.ts';
import { serviceColor } from '../theme.ts';
import { CopyButton } from './copy-button.tsx';
import { Minimap } from './minimap.tsx';
import { SpanDetail } from './span-detail.tsx';
import { ROW_HEIGHT, Timeline } from './timeline.tsx';

const SHORTCUTS: [string, string][] = [
  ['j / ↓', 'select the next span'],
  ['k / ↑', 'select the previous span'],
  ['→ / ←', 'expand / collapse the selected span'],
  ['w / s', 'scroll up / down'],
  ['a / d', 'pan left / right (Shift: further)'],
  ['+ / -', 'zoom in / out'],
  ['0', 'show the whole trace'],
  ['[ / ]', 'collapse all / expand all'],
  ['/', 'find in trace'],
  ['n / N', 'next / previous match'],
  ['Esc', 'close the detail, clear the find, close dialogs'],
  ['?', 'show these shortcuts'],
];

function download(name: string, data: object): void {
  const url = URL.createObjectURL(
    new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function TraceHeader({ model }: { model: TraceModel }) {
  const root = model.order.length > 0 ? model.spans[model.order[0]] : null;
  return (
    <div class="trace-header">
      <h1>
        {root ? (
          <>
            <span class="tl-svc-mark" style={{ background: serviceColor(0) }} />
            {root.service}: <span class="op">{root.operation}</span>
          </>
        ) : (
          'Empty trace'
        )}
        <span class="trace-id">
          <code>{model.traceId}</code> <CopyButton text={model.traceId} label="Copy id" />
        </span>
      </h1>
      <dl class="trace-stats">
        <div>
          <dt>Start</dt>
          <dd>{formatTimestamp(model.start)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(model.end - model.start)}</dd>
        </div>
        <div>
          <dt>Services</dt>
          <dd title={model.services.map((s) => `${s.name} (${s.spanCount})`).join(', ')}>
            {model.services.length}
          </dd>
        </div>
        <div>
          <dt>Depth</dt>
          <dd>{model.order.length > 0 ? model.maxDepth + 1 : 0}</dd>
        </div>
        <div>
          <dt>Spans</dt>
          <dd data-testid="span-count">{model.spans.length.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd class={model.errorCount > 0 ? 'status-error' : ''}>{model.errorCount}</dd>
        </div>
        {model.orphanCount > 0 && (
          <div title="Spans whose parent is not in the trace: lost spans or broken context propagation">
            <dt>Orphans</dt>
            <dd class="warn">⚠ {model.orphanCount}</dd>
          </div>
        )}
        {model.duplicateCount > 0 && (
          <div>
            <dt>Duplicates</dt>
            <dd class="warn">{model.duplicateCount} dropped</dd>
          </div>
        )}
      </dl>
      <div class="legend">
        {model.services.map((s) => (
          <span key={s.name} class="chip">
            <i style={{ background: serviceColor(s.color) }} />
            {s.name} ({s.spanCount})
          </span>
        ))}
      </div>
    </div>
  );
}

/** The handle on the service/operation column's edge: drag to resize, double-click to reset. */
function ColumnResizer({ onResize }: { onResize(width: number | null): void }) {
  const onPointerDown = (e: PointerEvent) => {
    const handle = e.currentTarget as HTMLElement;
    const column = handle.parentElement!;
    const left = column.getBoundingClientRect().left;
    const max = column.parentElement!.clientWidth - 160;
    handle.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) =>
      onResize(Math.round(Math.min(max, Math.max(160, ev.clientX - left))));
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    e.preventDefault();
  };
  return (
    <span
      class="col-resizer"
      role="separator"
      aria-orientation="vertical"
      title="Drag to resize the column; double-click to reset"
      onPointerDown={onPointerDown}
      onDblClick={() => onResize(null)}
    />
  );
}

export interface TraceViewProps {
  trace: RawTrace;
  initialSpanId: string;
  /** 'stored' for traces read from Skein, 'file' for uploaded ones. */
  source: 'stored' | 'file';
}

/**
 * The trace page proper: header, minimap, waterfall and span detail, for any RawTrace.
 * Its state belongs to one trace: give it a `key` per trace so another trace starts fresh.
 */
export function TraceView({ trace, initialSpanId, source }: TraceViewProps) {
  const model = useMemo(() => buildTraceModel(trace), [trace]);
  const [collapsed, setCollapsed] = useState<Uint8Array>(() => new Uint8Array(model.spans.length));
  const [view, setView] = useState<ViewWindow>(FULL_WINDOW);
  const [selected, setSelected] = useState(-1);
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState(-1);
  const [skewOn, setSkewOn] = useState(false);
  const [dialog, setDialog] = useState<'' | 'help' | 'json'>('');
  /** Width of the service/operation column in px, once the user has dragged it. */
  const [leftWidth, setLeftWidth] = useState<number | null>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const findRef = useRef<HTMLInputElement>(null);

  // A span named in the URL (`?span=`) is selected, revealed and scrolled to.
  useEffect(() => {
    const i = initialSpanId ? model.spans.findIndex((s) => s.spanId === initialSpanId) : -1;
    if (i >= 0) select(i);
  }, [initialSpanId]);

  const rows = useMemo(() => visibleRows(model, collapsed), [model, collapsed]);
  const found = useMemo(() => (query.trim() ? findInTrace(model, query) : null), [model, query]);
  const skew = useMemo(() => (skewOn ? adjustClockSkew(model) : null), [model, skewOn]);
  const total = model.end - model.start;
  const ticks = timeTicks(view.start * total, view.end * total, 8);

  function scrollToRow(row: number) {
    const el = bodyRef.current;
    if (!el || row < 0) return;
    const top = row * ROW_HEIGHT;
    if (top < el.scrollTop || top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
    }
  }

  function select(i: number) {
    const next = reveal(model, collapsed, i);
    if (next !== collapsed) setCollapsed(next);
    setSelected(i);
    requestAnimationFrame(() =>
      scrollToRow(rowOf(next === collapsed ? rows : visibleRows(model, next), i)),
    );
  }

  function toggle(i: number) {
    const next = collapsed.slice();
    next[i] = next[i] ? 0 : 1;
    setCollapsed(next);
  }

  function gotoMatch(step: number) {
    if (!found || found.list.length === 0) return;
    const next = (cursor + step + found.list.length) % found.list.length;
    setCursor(next);
    select(found.list[next]);
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key === 'Escape') {
        if (dialog) setDialog('');
        else if (target === findRef.current) {
          setQuery('');
          findRef.current?.blur();
        } else setSelected(-1);
        return;
      }
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (target.closest('input, select, textarea')) {
        if (e.key === 'Enter' && target === findRef.current) gotoMatch(e.shiftKey ? -1 : 1);
        return;
      }
      const row = selected >= 0 ? rowOf(rows, selected) : -1;
      const body = bodyRef.current;
      let handled = true;
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
          if (rows.length > 0) select(rows[Math.min(rows.length - 1, row + 1)]);
          break;
        case 'k':
        case 'ArrowUp':
          if (rows.length > 0) select(rows[Math.max(0, row - 1)]);
          break;
        case 'ArrowRight':
        case 'ArrowLeft':
          if (selected >= 0 && (collapsed[selected] === 1) === (e.key === 'ArrowRight'))
            toggle(selected);
          break;
        case 'w':
          if (body) body.scrollTop -= body.clientHeight * 0.5;
          break;
        case 's':
          if (body) body.scrollTop += body.clientHeight * 0.5;
          break;
        case 'a':
        case 'A':
          setView((v) => panWindow(v, e.shiftKey ? -0.5 : -0.1));
          break;
        case 'd':
        case 'D':
          setView((v) => panWindow(v, e.shiftKey ? 0.5 : 0.1));
          break;
        case '+':
        case '=':
          setView((v) => zoomWindow(v, 0.6));
          break;
        case '-':
          setView((v) => zoomWindow(v, 1 / 0.6));
          break;
        case '0':
          setView(FULL_WINDOW);
          break;
        case '[':
          setCollapsed(collapseAll(model));
          break;
        case ']':
          setCollapsed(new Uint8Array(model.spans.length));
          break;
        case '/':
          findRef.current?.focus();
          break;
        case 'n':
          gotoMatch(1);
          break;
        case 'N':
          gotoMatch(-1);
          break;
        case '?':
          setDialog('help');
          break;
        default:
          handled = false;
      }
      if (handled) e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  const base = `trace-${model.traceId}`;
  return (
    <div
      class={`trace-view${selected >= 0 ? ' with-detail' : ''}`}
      style={leftWidth === null ? undefined : { '--left': `${leftWidth}px` }}
    >
      <TraceHeader model={model} />
      <div class="toolbar" role="toolbar" aria-label="Trace tools">
        <div class="find">
          <input
            ref={findRef}
            type="search"
            placeholder="Find in trace…  ( / )"
            aria-label="Find in trace"
            value={query}
            onInput={(e) => {
              setQuery((e.target as HTMLInputElement).value);
              setCursor(-1);
            }}
          />
          {found && (
            <span class="find-count" aria-live="polite">
              {found.list.length === 0
                ? 'no match'
                : `${cursor >= 0 ? cursor + 1 : '–'} / ${found.list.length}`}
            </span>
          )}
          <button
            type="button"
            title="Previous match (N, Shift+Enter)"
            aria-label="Previous match"
            onClick={() => gotoMatch(-1)}
            disabled={!found?.list.length}
          >
            ↑
          </button>
          <button
            type="button"
            title="Next match (n, Enter)"
            aria-label="Next match"
            onClick={() => gotoMatch(1)}
            disabled={!found?.list.length}
          >
            ↓
          </button>
        </div>
        <button
          type="button"
          onClick={() => setCollapsed(new Uint8Array(model.spans.length))}
          title="Expand all (])"
        >
          Expand all
        </button>
        <button
          type="button"
          onClick={() => setCollapsed(collapseAll(model))}
          title="Collapse all ([)"
        >
          Collapse all
        </button>
        <label
          class="skew"
          title="Spans from another process that start before their parent or end after it are moved into the parent (centred), with their children, as if that machine's clock were off. Off by default: what you see is what was recorded."
        >
          <input
            type="checkbox"
            checked={skewOn}
            onChange={(e) => setSkewOn((e.target as HTMLInputElement).checked)}
          />
          Adjust clock skew
          {skew && (
            <span class="muted">
              {' '}
              ({skew.adjusted} span{skew.adjusted === 1 ? '' : 's'} moved)
            </span>
          )}
        </label>
        <span class="spacer" />
        <button type="button" onClick={() => setDialog('json')}>
          View JSON
        </button>
        <button
          type="button"
          onClick={() => download(`${base}.jaeger.json`, toJaegerJson(trace))}
          title="Download as Jaeger UI JSON, as /api/traces/{id} answers"
        >
          ↓ Jaeger JSON
        </button>
        <button
          type="button"
          onClick={() => download(`${base}.otlp.json`, toOtlpJson(trace))}
          title="Download as OTLP JSON (TracesData)"
        >
          ↓ OTLP JSON
        </button>
        <button
          type="button"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={() => setDialog('help')}
        >
          ?
        </button>
      </div>
      {skew && (
        <p class="notice" role="status">
          Clock-skew adjustment is on: {skew.adjusted} span{skew.adjusted === 1 ? '' : 's'} from
          another process that started before {skew.adjusted === 1 ? 'its' : 'their'} parent or
          ended after it {skew.adjusted === 1 ? 'was' : 'were'} moved into the parent, with{' '}
          {skew.adjusted === 1 ? 'its' : 'their'} children. Times shown are adjusted; turn it off to
          see the recorded times.
        </p>
      )}
      {source === 'file' && (
        <p class="notice">
          Opened from a file: this trace is shown here only and was not stored in Skein.
        </p>
      )}
      <Minimap model={model} offset={skew ? skew.offset : null} view={view} onChange={setView} />
      <div class="trace-main">
        <div class="tl-pane">
          <div class="tl-header">
            <div class="tl-left">
              Service &amp; operation{' '}
              <span class="muted">({rows.length.toLocaleString('en')} rows)</span>
              <ColumnResizer onResize={setLeftWidth} />
            </div>
            <div class="tl-right tl-ticks">
              {ticks.map((t) => (
                <span key={t.time} style={{ left: `${t.fraction * 100}%` }}>
                  {t.label}
                </span>
              ))}
            </div>
          </div>
          <div class="tl-wrap">
            <div class="tl-grid" aria-hidden="true">
              {ticks.map((t) => (
                <span key={t.time} style={{ left: `${t.fraction * 100}%` }} />
              ))}
            </div>
            <Timeline
              model={model}
              rows={rows}
              collapsed={collapsed}
              window={view}
              selected={selected}
              matched={found ? found.matched : null}
              offset={skew ? skew.offset : null}
              bodyRef={bodyRef}
              onSelect={(i) => setSelected(i === selected ? -1 : i)}
              onToggle={toggle}
            />
          </div>
        </div>
        {selected >= 0 && (
          <SpanDetail
            model={model}
            index={selected}
            offset={skew ? skew.offset[selected] : 0}
            onSelect={select}
            onClose={() => setSelected(-1)}
          />
        )}
      </div>
      {dialog === 'help' && (
        <div
          class="modal"
          role="dialog"
          aria-label="Keyboard shortcuts"
          onClick={() => setDialog('')}
        >
          <div class="modal-box" onClick={(e) => e.stopPropagation()}>
            <header class="modal-head">
              <h2>Keyboard shortcuts</h2>
              <button
                type="button"
                class="close"
                aria-label="Close"
                title="Close (Esc)"
                onClick={() => setDialog('')}
              >
                ×
              </button>
            </header>
            <table class="kv">
              <tbody>
                {SHORTCUTS.map(([k, what]) => (
                  <tr key={k}>
                    <th>
                      <kbd>{k}</kbd>
                    </th>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {dialog === 'json' && <JsonDialog trace={trace} onClose={() => setDialog('')} />}
    </div>
  );
}

/** Pretty JSON is slow to lay out past a few MB; larger traces are cut and offered as a download. */
const JSON_VIEW_LIMIT = 1_000_000;

function JsonDialog({ trace, onClose }: { trace: RawTrace; onClose(): void }) {
  const text = useMemo(() => JSON.stringify(toJaegerJson(trace), null, 2), [trace]);
  return (
    <div class="modal" role="dialog" aria-label="Trace JSON" onClick={onClose}>
      <div class="modal-box wide" onClick={(e) => e.stopPropagation()}>
        <header class="modal-head">
          <h2>
            Jaeger JSON <CopyButton text={text} label="Copy all" />
          </h2>
          <button
            type="button"
            class="close"
            aria-label="Close"
            title="Close (Esc)"
            onClick={onClose}
          >
            ×
          </button>
        </header>
        {text.length > JSON_VIEW_LIMIT && (
          <p class="notice">
            Showing the first {JSON_VIEW_LIMIT.toLocaleString('en')} of{' '}
            {text.length.toLocaleString('en')} characters; download the trace for all of it.
          </p>
        )}
        <pre class="json">{text.slice(0, JSON_VIEW_LIMIT)}</pre>
      </div>
    </div>
  );
}
