import { useEffect, useRef } from 'preact/hooks';
import type { TraceModel } from '../model/trace-model.ts';
import { clampWindow, type ViewWindow } from '../model/view-window.ts';
import { serviceColor } from '../theme.ts';

const HEIGHT = 64;

/**
 * The whole trace in miniature (one line per span, in display order) with the visible
 * window on top. Drag the window to move it, drag elsewhere to choose a new window,
 * double-click to see the whole trace.
 */
export function Minimap({
  model,
  offset,
  view,
  onChange,
}: {
  model: TraceModel;
  /** Clock-skew offsets per span (µs), or null. */
  offset: Float64Array | null;
  view: ViewWindow;
  onChange(w: ViewWindow): void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const draw = () => {
      const width = canvas.clientWidth;
      const ratio = devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.floor(width * ratio));
      canvas.height = HEIGHT * ratio;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.scale(ratio, ratio);
      const n = model.order.length;
      const total = model.end - model.start || 1;
      // One line per span; small traces get thin lines with gaps, not tall blocks.
      const step = Math.min(HEIGHT / Math.max(n, 1), 6);
      const lineH = step >= 3 ? step - 1.5 : Math.max(step, 0.5);
      // One path per service, filled once: 8 fills instead of 50,000 colour switches.
      const paths = model.services.map(() => new Path2D());
      for (let pos = 0; pos < n; pos++) {
        const i = model.order[pos];
        const s = model.spans[i];
        const x = ((s.start + (offset ? offset[i] : 0) - model.start) / total) * width;
        const w = Math.max(1, (s.duration / total) * width);
        paths[model.serviceIndex[i]].rect(x, pos * step, w, lineH);
      }
      for (let k = 0; k < paths.length; k++) {
        ctx.fillStyle = serviceColor(model.services[k].color);
        ctx.fill(paths[k]);
      }
    };
    // The observer's first callback draws: no separate first draw.
    const ro = new ResizeObserver(draw);
    ro.observe(canvas);
    return () => ro.disconnect();
  }, [model, offset]);

  const fractionAt = (clientX: number) => {
    const rect = boxRef.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
  };

  const onPointerDown = (e: PointerEvent) => {
    const box = boxRef.current;
    if (!box || e.button !== 0) return;
    box.setPointerCapture(e.pointerId);
    const at = fractionAt(e.clientX);
    const inside = at >= view.start && at <= view.end;
    const width = view.end - view.start;
    const move = (ev: PointerEvent) => {
      const now = fractionAt(ev.clientX);
      if (inside)
        onChange(clampWindow({ start: view.start + now - at, end: view.start + now - at + width }));
      else if (Math.abs(now - at) > 0.002)
        onChange(clampWindow({ start: Math.min(at, now), end: Math.max(at, now) }));
    };
    const up = () => {
      box.removeEventListener('pointermove', move);
      box.removeEventListener('pointerup', up);
    };
    box.addEventListener('pointermove', move);
    box.addEventListener('pointerup', up);
  };

  return (
    <div
      class="minimap"
      ref={boxRef}
      onPointerDown={onPointerDown}
      onDblClick={() => onChange({ start: 0, end: 1 })}
      title="Drag the window to move it, drag elsewhere to zoom to a range, double-click to see the whole trace"
    >
      <canvas ref={canvasRef} style={{ height: `${HEIGHT}px` }} />
      <div class="mm-shade" style={{ left: 0, width: `${view.start * 100}%` }} />
      <div class="mm-shade" style={{ left: `${view.end * 100}%`, right: 0 }} />
      <div
        class="mm-window"
        style={{ left: `${view.start * 100}%`, width: `${(view.end - view.start) * 100}%` }}
      />
    </div>
  );
}
