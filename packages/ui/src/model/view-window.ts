/** The visible part of the trace's time range, as fractions 0..1 of its duration. */
export interface ViewWindow {
  start: number;
  end: number;
}

export const FULL_WINDOW: ViewWindow = { start: 0, end: 1 };

/** The smallest window: a thousandth of the trace. */
const MIN_WIDTH = 0.001;

/** Keeps a window inside 0..1 and at least MIN_WIDTH wide, preserving its width when moved. */
export function clampWindow(w: ViewWindow): ViewWindow {
  let width = Math.min(1, Math.max(MIN_WIDTH, w.end - w.start));
  if (!Number.isFinite(width)) width = 1;
  let start = Math.min(Math.max(0, w.start), 1 - width);
  if (!Number.isFinite(start)) start = 0;
  return { start, end: start + width };
}

/** Moves the window by `delta` of its own width (negative = left). */
export function panWindow(w: ViewWindow, delta: number): ViewWindow {
  const shift = (w.end - w.start) * delta;
  return clampWindow({ start: w.start + shift, end: w.end + shift });
}

/** Zooms by `factor` (< 1 zooms in) around `center` (0..1 of the window, default middle). */
export function zoomWindow(w: ViewWindow, factor: number, center = 0.5): ViewWindow {
  const width = w.end - w.start;
  const pivot = w.start + width * center;
  const next = width * factor;
  return clampWindow({ start: pivot - next * center, end: pivot - next * center + next });
}
