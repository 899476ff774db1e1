import { context, type Context } from '@opentelemetry/api';
import type { EventEmitter } from 'node:events';

/**
 * Returns `fn` bound to the context active now (or `ctx`): wherever a callback
 * library later calls it (its own timer, a socket event, a pooled connection), it
 * runs as part of the caller's trace. AsyncLocalStorage follows promises and timers,
 * but not callbacks a library stores and calls from another async chain.
 */
export function bindContext<F extends (...args: never[]) => unknown>(
  fn: F,
  ctx: Context = context.active(),
): F {
  return context.bind(ctx, fn);
}

/**
 * Binds an EventEmitter's listeners, current and future, to the context active now (or
 * `ctx`), so a long-lived emitter created inside a request (a stream, a job's progress
 * events) calls them in that request's trace whoever emits.
 */
export function bindEmitter<E extends EventEmitter>(
  emitter: E,
  ctx: Context = context.active(),
): E {
  return context.bind(ctx, emitter);
}
