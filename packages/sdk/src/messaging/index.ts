export {
  natsPublish,
  jetStreamPublish,
  natsProcess,
  natsHeaderGetter,
  natsHeaderSetter,
  type NatsProcessOptions,
} from './nats-tracing.ts';
