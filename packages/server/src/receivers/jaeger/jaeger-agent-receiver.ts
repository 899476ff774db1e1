import type { Logger } from 'pino';
import { defaultConfig } from '../../config/config.ts';
import type { SkeinConfig, SpanLimitsConfig, UdpListenerConfig } from '../../config/config.ts';
import { isSkeinError } from '../../errors.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { BurstLog } from '../burst-log.ts';
import type { DecodeResult } from '../decode-result.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { countRejectedSpans } from '../rejected-spans.ts';
import { SpanLimits } from '../span-limits.ts';
import { TruncationMetrics } from '../truncation-metrics.ts';
import { UdpReceiveThread } from '../udp-receive-thread.ts';
import { decodeAgentPacket } from './jaeger-agent-decoder.ts';
import type { AgentProtocol } from './jaeger-agent-decoder.ts';

/**
 * The Jaeger agent's UDP port: each datagram is one thrift `Agent.emitBatch`
 * (or `emitZipkinBatch`) call, up to 65,000 bytes, in the compact (6831) or
 * binary (6832) protocol. Skein decodes it in place of the agent and hands the
 * spans straight to the pipeline.
 *
 * The socket is read by its own thread (UdpReceiveThread), so datagrams keep
 * being taken off the kernel's buffer while the main thread writes to storage.
 *
 * UDP cannot answer, so problems are counted and logged once per burst:
 * - a packet that does not decode: `skein_receiver_requests_refused_total
 *   {reason="SKEIN_INVALID_PAYLOAD"}`;
 * - a packet dropped because `receiveBufferBytes` of packets already wait for
 *   the main thread: `skein_receiver_requests_refused_total{reason="udp_queue_full"}`;
 * - a packet refused because the pipeline is full or stopping: its spans in
 *   `skein_spans_refused_total{reason="queue_full"|"shutting_down"}` and the
 *   packet in `skein_receiver_requests_refused_total`;
 * - spans with unusable ids: `skein_spans_refused_total{reason="invalid"}`.
 * Packets the kernel drops while its socket buffer is full are not seen at all.
 */
export class JaegerAgentReceiver implements Receiver {
  readonly name: string;
  readonly #protocol: AgentProtocol;
  readonly #listener: UdpListenerConfig;
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #thread: UdpReceiveThread;
  readonly #spanLimits: SpanLimits;
  readonly #badPackets: BurstLog;
  readonly #refusedPackets: BurstLog;
  readonly #rejectedSpans: BurstLog;
  readonly #queueFull: BurstLog;
  #droppedSeen = 0;
  #listening = false;
  #stopped: Promise<void> | undefined;

  constructor(
    protocol: AgentProtocol,
    listener: UdpListenerConfig,
    consumer: SpanConsumer,
    metrics: IngestMetrics,
    logger: Logger,
    spanLimits: SpanLimitsConfig = defaultConfig.limits.span,
  ) {
    this.name = `jaeger_agent_${protocol}`;
    this.#spanLimits = new SpanLimits(spanLimits, new TruncationMetrics(metrics, this.name));
    this.#protocol = protocol;
    this.#listener = listener;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
    this.#badPackets = new BurstLog(this.#logger, 'malformed packets');
    this.#refusedPackets = new BurstLog(this.#logger, 'packets refused by the pipeline');
    this.#rejectedSpans = new BurstLog(this.#logger, 'packets with rejected spans');
    this.#queueFull = new BurstLog(this.#logger, 'packets dropped with the UDP queue full');
    this.#thread = new UdpReceiveThread(listener, this.#onPacket);
  }

  get listening(): boolean {
    return this.#listening;
  }

  async start(): Promise<ReceiverAddress> {
    const bound = await this.#thread.start((err) =>
      this.#logger.error({ err }, 'Jaeger agent socket error'),
    );
    this.#listening = true;
    // Linux reports twice the size it granted (it adds room for bookkeeping).
    const granted =
      process.platform === 'linux' ? bound.reportedReceiveBuffer / 2 : bound.reportedReceiveBuffer;
    this.#logger.info(
      {
        host: bound.host,
        port: bound.port,
        protocol: this.#protocol,
        kernelReceiveBuffer: granted,
      },
      'Jaeger agent UDP receiver listening',
    );
    if (granted < this.#listener.receiveBufferBytes) {
      this.#logger.info(
        { asked: this.#listener.receiveBufferBytes, granted },
        'the kernel granted a smaller UDP receive buffer than configured (net.core.rmem_max); Skein still queues up to receiveBufferBytes of datagrams in its own thread',
      );
    }
    return { host: bound.host, port: bound.port };
  }

  /** Closes the socket after handling the datagrams already received. */
  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      this.#listening = false;
      this.#stopped = this.#thread.stop().then(() => this.#countQueueDrops());
    }
    return this.#stopped;
  }

  /** Turns the thread's drop count into the metric (and a log line per burst). */
  #countQueueDrops(): void {
    const dropped = this.#thread.droppedPackets;
    const delta = dropped - this.#droppedSeen;
    if (delta === 0) {
      this.#queueFull.ok();
      return;
    }
    this.#droppedSeen = dropped;
    this.#metrics.requestsRefused.inc({ protocol: this.name, reason: 'udp_queue_full' }, delta);
    this.#queueFull.problem(
      undefined,
      `dropped ${delta} UDP packets: receiveBufferBytes (${this.#listener.receiveBufferBytes}) of packets were waiting; raise it or add collectors`,
    );
  }

  readonly #onPacket = (packet: Buffer): void => {
    this.#countQueueDrops();
    let result: DecodeResult;
    try {
      result = decodeAgentPacket(packet, this.#protocol, this.#spanLimits);
    } catch (err) {
      this.#metrics.requestRefused(this.name, isSkeinError(err) ? err.code : 'internal_error');
      this.#badPackets.problem(err, `dropped a ${packet.length}-byte packet that does not decode`);
      return;
    }
    this.#badPackets.ok();
    if (result.rejectedSpans > 0) {
      countRejectedSpans(this.#metrics, this.name, result);
      this.#rejectedSpans.problem(undefined, result.errorMessage);
    } else {
      this.#rejectedSpans.ok();
    }
    try {
      // UDP has no answer to wait for: a journal failure after this point is counted
      // by the pipeline and logged by the journal. UDP carries no credentials: the
      // default tenant (docs/security.md).
      this.#consumer
        .consume(result.spans, packet.length, this.name, DEFAULT_TENANT)
        .catch(() => {});
    } catch (err) {
      this.#metrics.requestRefused(this.name, isSkeinError(err) ? err.code : 'internal_error');
      this.#refusedPackets.problem(err, `dropped a packet of ${result.spans.length} spans`);
      return;
    }
    this.#refusedPackets.ok();
  };
}

/** The compact-thrift agent port (6831), what most Jaeger clients send to. */
export class JaegerAgentCompactReceiver extends JaegerAgentReceiver {
  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super(
      'compact',
      config.receivers.jaegerAgentCompact,
      consumer,
      metrics,
      logger,
      config.limits.span,
    );
  }
}

/** The binary-thrift agent port (6832), what jaeger-client for Node sends to. */
export class JaegerAgentBinaryReceiver extends JaegerAgentReceiver {
  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super(
      'binary',
      config.receivers.jaegerAgentBinary,
      consumer,
      metrics,
      logger,
      config.limits.span,
    );
  }
}
