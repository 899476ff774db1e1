import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';

/**
 * Layer 2: Fastify (`@fastify/otel`, the Fastify team's instrumentation, registered on
 * every instance it sees) and Express. Both name the server span after the route
 * template (`GET /orders/:id`, not the raw path) and record handler errors on it.
 */
export function frameworkInstrumentations(): Instrumentation[] {
  return [
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
    }) as unknown as Instrumentation,
    new ExpressInstrumentation(),
  ];
}
