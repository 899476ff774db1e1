import { context, propagation, type Context } from '@opentelemetry/api';

/** Propagation fields (`traceparent`, `tracestate`, `baggage`, …) as a plain object. */
export type Carrier = Record<string, string>;

/** The current (or given) context's propagation fields, for any transport that carries strings. */
export function injectCarrier(ctx: Context = context.active()): Carrier {
  const carrier: Carrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier from {@link injectCarrier} describes (the root context when empty or malformed). */
export function extractCarrier(
  carrier: Carrier | undefined,
  base: Context = context.active(),
): Context {
  return carrier === undefined ? base : propagation.extract(base, carrier);
}
