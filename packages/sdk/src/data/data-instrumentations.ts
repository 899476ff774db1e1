import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/**
 * Layer 4 (official part): amqplib and kafkajs (headers carry the context, PRODUCER /
 * CONSUMER spans), pg and mysql2 (CLIENT spans with the statement text, which the
 * kit's redaction strips of literals before export). NATS is the kit's own
 * (`tracedPublish` / `tracedConsume`).
 */
export function dataInstrumentations(): Instrumentation[] {
  return [
    new AmqplibInstrumentation(),
    new KafkaJsInstrumentation(),
    new PgInstrumentation({ enhancedDatabaseReporting: false }),
    new MySQL2Instrumentation(),
  ];
}
