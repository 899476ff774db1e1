import type { JSX, RefObject } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { childCountOf, type TraceModel } from '../model/trace-model.ts';
import { formatDuration } from '../model/time-format.ts';
import type { ViewWindow } from '../model/view-window.ts';
import { serviceColor } from '../theme.ts';

export const ROW_HEIGHT = 24;
/** Rows rendered above and below the viewport, so fast scrolling shows no blank band. */
const OVERSCAN = 8;
/** Indentation per tree level, and the most a row is indented (deep traces). */
const INDENT = 14;
const MAX_INDENT = 420;

export interface TimelineProps {
  model: TraceModel;
  rows: Int32Array;
  collapsed: Uint8Array;
  window: ViewWindow;
  selected: number;
  matched: Uint8Array | null;
  /** Clock-skew offsets per span (µs), or null when the adjustment is off. */
  offset: Float64Array | null;
  bodyRef: RefObject<HTMLDivElement | null>;
  onSelect(i: number): void;
  onToggle(i: number): void;
}

/**
 * The waterfall: one fixed-height row per visible span, rendered only for the rows in
 * view (plus OVERSCAN), so the cost of a frame does not depend on the trace size.
 */
export function Timeline(props: TimelineProps) {
  const { model, rows, collapsed, window: view, selected, matched, offset, bodyRef } = props;
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = bodyRef.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    // Marks the moment the first rows are on screen, for bench/ui-timeline.ts.
    bodyRef.current?.setAttribute('data-timeline-ready', 'true');
    performance.mark('skein:timeline-ready');
  }, [model]);

  const total = model.end - model.start || 1;
  const viewStart = model.start + view.start * total;
  const viewWidth = (view.end - view.start) * total;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  // Rows are keyed by slot (row index modulo the pool size) and rendered in slot order:
  // a row keeps its DOM nodes while it stays in view, and a row scrolled out hands its
  // nodes to the row scrolled in, so scrolling updates nodes instead of creating them.
  const pool = Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN + 2;
  const items: (JSX.Element | null)[] = new Array(pool).fill(null);
  for (let r = first; r < last; r++) {
    const i = rows[r];
    const s = model.spans[i];
    const start = s.start + (offset ? offset[i] : 0);
    const left = ((start - viewStart) / viewWidth) * 100;
    const width = (s.duration / viewWidth) * 100;
    const color = serviceColor(model.services[model.serviceIndex[i]].color);
    const children = childCountOf(model, i);
    const depth = model.depth[i];
    const cls =
      'tl-row' +
      (i === selected ? ' selected' : '') +
      (matched !== null && matched[i] ? ' match' : '') +
      (model.error[i] ? ' error' : '');
    const selfPct = s.duration > 0 ? (model.selfTime[i] / s.duration) * 100 : 100;
    // Duration label: after the bar, else before it, else inside it when neither side has room.
    const labelAt = left + width <= 80 ? 'after' : left >= 8 ? 'before' : 'inside';
    items[r % pool] = (
      <div
        key={r % pool}
        class={cls}
        style={{ top: `${r * ROW_HEIGHT}px` }}
        data-span-id={s.spanId}
        onClick={() => props.onSelect(i)}
      >
        <div
          class="tl-left"
          title={`${s.service}: ${s.operation}`}
          style={{ paddingLeft: `${8 + Math.min(depth * INDENT, MAX_INDENT)}px` }}
        >
          {children > 0 ? (
            <button
              type="button"
              class="tl-toggle"
              aria-label={collapsed[i] ? `Expand ${children} children` : 'Collapse'}
              aria-expanded={!collapsed[i]}
              onClick={(e) => {
                e.stopPropagation();
                props.onToggle(i);
              }}
            >
              {collapsed[i] ? '▸' : '▾'}
            </button>
          ) : (
            <span class="tl-toggle" />
          )}
          <span class="tl-svc-mark" style={{ background: color }} />
          <span class="tl-svc">{s.service}</span>
          <span class="tl-op">{s.operation}</span>
          {model.error[i] ? (
            <span class="tl-err" title={s.statusMessage || 'error'}>
              !
            </span>
          ) : null}
          {model.orphan[i] ? (
            <span class="tl-orphan" title={`parent span ${s.parentId} is not in this trace`}>
              ⚠
            </span>
          ) : null}
          {collapsed[i] && children > 0 ? (
            <span class="tl-count">
              {model.subtreeEnd[model.position[i]] - model.position[i] - 1}
            </span>
          ) : null}
        </div>
        <div class="tl-right">
          <div
            class="tl-bar"
            style={{ left: `${left}%`, width: `max(1px, ${width}%)`, background: color }}
          >
            <span class="tl-self" style={{ width: `${selfPct}%` }} />
          </div>
          <span
            class={labelAt === 'inside' ? 'tl-label inside' : 'tl-label'}
            style={
              labelAt === 'after'
                ? { left: `calc(${left + width}% + 4px)` }
                : labelAt === 'before'
                  ? { right: `calc(${100 - left}% + 4px)` }
                  : { left: `calc(${Math.max(left, 0)}% + 4px)` }
            }
          >
            {formatDuration(s.duration)}
          </span>
        </div>
      </div>
    );
  }

  return (
    <div
      class="tl-body"
      ref={bodyRef}
      tabIndex={0}
      aria-label="Spans"
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
    >
      <div class="tl-canvas" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
        {items}
      </div>
    </div>
  );
}
