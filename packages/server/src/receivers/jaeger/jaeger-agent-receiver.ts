import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { SkeinConfig, UdpListenerConfig } from '../../config/config.ts';
import { isSkeinError } from '../../errors.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { BurstLog } from '../burst-log.ts';
import type { DecodeResult } from '../decode-result.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { decodeAgentPacket } from './jaeger-agent-decoder.ts';
import type { AgentProtocol } from './jaeger-agent-decoder.ts';

/**
 * The Jaeger agent's UDP port: each datagram is one thrift `Agent.emitBatch`
 * (or `emitZipkinBatch`) call, up to 65,000 bytes, in the compact (6831) or
 * binary (6832) protocol. Skein decodes it in place of the agent and hands the
 * spans straight to the pipeline.
 *
 * UDP cannot answer, so problems are counted and logged once per burst:
 * - a packet that does not decode: `skein_receiver_requests_refused_total
 *   {reason="SKEIN_INVALID_PAYLOAD"}`;
 * - a packet refused because the pipeline is full or stopping: its spans in
 *   `skein_spans_refused_total{reason="queue_full"|"shutting_down"}` and the
 *   packet in `skein_receiver_requests_refused_total`;
 * - spans with unusable ids: `skein_spans_refused_total{reason="invalid"}`.
 * Packets the kernel drops while the socket buffer is full are not seen at all:
 * `receiveBufferBytes` sets how much it can hold.
 */
export class JaegerAgentReceiver implements Receiver {
  readonly name: string;
  readonly #protocol: AgentProtocol;
  readonly #listener: UdpListenerConfig;
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #socket: Socket;
  readonly #badPackets: BurstLog;
  readonly #refusedPackets: BurstLog;
  readonly #rejectedSpans: BurstLog;
  #started = false;
  #listening = false;
  #stopped: Promise<void> | undefined;

  constructor(
    protocol: AgentProtocol,
    listener: UdpListenerConfig,
    consumer: SpanConsumer,
    metrics: IngestMetrics,
    logger: Logger,
  ) {
    this.name = `jaeger_agent_${protocol}`;
    this.#protocol = protocol;
    this.#listener = listener;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
    this.#badPackets = new BurstLog(this.#logger, 'malformed packets');
    this.#refusedPackets = new BurstLog(this.#logger, 'packets refused by the pipeline');
    this.#rejectedSpans = new BurstLog(this.#logger, 'packets with rejected spans');
    this.#socket = createSocket({
      type: listener.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: listener.receiveBufferBytes,
    });
    this.#socket.on('message', this.#onPacket);
  }

  get listening(): boolean {
    return this.#listening;
  }

  start(): Promise<ReceiverAddress> {
    this.#started = true;
    return new Promise((resolve, reject) => {
      const socket = this.#socket;
      socket.once('error', reject);
      socket.bind(this.#listener.port, this.#listener.host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.#logger.error({ err }, 'Jaeger agent socket error'));
        this.#listening = true;
        const { address, port } = socket.address();
        // Linux reports twice the size it granted (it adds room for bookkeeping).
        const reported = socket.getRecvBufferSize();
        const receiveBufferBytes = process.platform === 'linux' ? reported / 2 : reported;
        this.#logger.info(
          { host: address, port, protocol: this.#protocol, receiveBufferBytes },
          'Jaeger agent UDP receiver listening',
        );
        if (receiveBufferBytes < this.#listener.receiveBufferBytes) {
          this.#logger.warn(
            { asked: this.#listener.receiveBufferBytes, granted: receiveBufferBytes },
            'the kernel granted a smaller UDP receive buffer than configured; raise net.core.rmem_max to lose fewer packets in bursts',
          );
        }
        resolve({ host: address, port });
      });
    });
  }

  /** Closes the socket; a datagram is handled synchronously, so none is left half-done. */
  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      this.#listening = false;
      this.#stopped = new Promise((resolve) => {
        if (!this.#started) return resolve();
        this.#socket.close(() => resolve());
      });
    }
    return this.#stopped;
  }

  readonly #onPacket = (packet: Buffer): void => {
    let result: DecodeResult;
    try {
      result = decodeAgentPacket(packet, this.#protocol);
    } catch (err) {
      this.#metrics.requestRefused(this.name, isSkeinError(err) ? err.code : 'internal_error');
      this.#badPackets.problem(err, `dropped a ${packet.length}-byte packet that does not decode`);
      return;
    }
    this.#badPackets.ok();
    if (result.rejectedSpans > 0) {
      this.#metrics.invalidSpans(this.name, result.rejectedSpans);
      this.#rejectedSpans.problem(undefined, result.errorMessage);
    } else {
      this.#rejectedSpans.ok();
    }
    try {
      this.#consumer.consume(result.spans, packet.length, this.name);
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
    super('compact', config.receivers.jaegerAgentCompact, consumer, metrics, logger);
  }
}

/** The binary-thrift agent port (6832), what jaeger-client for Node sends to. */
export class JaegerAgentBinaryReceiver extends JaegerAgentReceiver {
  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super('binary', config.receivers.jaegerAgentBinary, consumer, metrics, logger);
  }
}
