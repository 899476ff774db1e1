import { Worker } from 'node:worker_threads';
import type { UdpListenerConfig } from '../config/config.ts';

/**
 * The receive loop, run in a worker thread. Plain CommonJS in a string: it must
 * load the same way from the TypeScript sources (tsx does not hook worker
 * threads on Node 20) and from the build. It copies each datagram into its own
 * ArrayBuffer and transfers it to the main thread, unless the datagrams already
 * handed over and not yet handled take `maxQueuedBytes`; then it drops and counts.
 * counters[0]: bytes handed over, not yet handled; counters[1]: datagrams dropped.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { type, host, port, receiveBufferBytes, maxQueuedBytes, counters } = workerData;
const shared = new Int32Array(counters);
const socket = createSocket({ type, recvBufferSize: receiveBufferBytes });
let listening = false;
socket.on('error', (err) => {
  parentPort.postMessage({ kind: listening ? 'error' : 'bindError', message: err.message, code: err.code });
});
socket.on('message', (msg) => {
  if (Atomics.load(shared, 0) + msg.length > maxQueuedBytes) {
    Atomics.add(shared, 1, 1);
    return;
  }
  Atomics.add(shared, 0, msg.length);
  const copy = new Uint8Array(msg);
  parentPort.postMessage(copy, [copy.buffer]);
});
socket.bind(port, host, () => {
  listening = true;
  const a = socket.address();
  parentPort.postMessage({ kind: 'listening', host: a.address, port: a.port, receiveBufferBytes: socket.getRecvBufferSize() });
});
parentPort.on('message', (m) => {
  if (m === 'close') socket.close(() => parentPort.close());
});
`;

const QUEUED_BYTES = 0;
const DROPPED = 1;

export interface UdpThreadAddress {
  host: string;
  port: number;
  /** What getsockopt(SO_RCVBUF) reports (Linux reports twice what it grants). */
  reportedReceiveBuffer: number;
}

type ControlMessage =
  | { kind: 'listening'; host: string; port: number; receiveBufferBytes: number }
  | { kind: 'bindError' | 'error'; message: string; code?: string };

/**
 * A UDP socket read by its own thread, so datagrams keep being taken off the
 * kernel's buffer while the main thread is busy (a storage write, a GC pause, a
 * large HTTP request); the kernel drops what does not fit in its buffer, and that
 * buffer is small unless the host raises net.core.rmem_max.
 *
 * Datagrams reach `onPacket` on the main thread in arrival order. At most
 * `maxQueuedBytes` of them wait for it; past that the thread drops them and
 * `droppedPackets` counts them.
 */
export class UdpReceiveThread {
  readonly #listener: UdpListenerConfig;
  readonly #onPacket: (packet: Buffer) => void;
  readonly #maxQueuedBytes: number;
  readonly #counters = new Int32Array(new SharedArrayBuffer(8));
  #worker: Worker | undefined;
  #exited: Promise<void> | undefined;

  /**
   * `maxQueuedBytes`: how many bytes of datagrams may wait for the main thread
   * (default: the listener's receiveBufferBytes, which is also the SO_RCVBUF asked for).
   */
  constructor(
    listener: UdpListenerConfig,
    onPacket: (packet: Buffer) => void,
    maxQueuedBytes = listener.receiveBufferBytes,
  ) {
    this.#listener = listener;
    this.#onPacket = onPacket;
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  /** Bytes of datagrams received and waiting for the main thread. */
  get queuedBytes(): number {
    return Atomics.load(this.#counters, QUEUED_BYTES);
  }

  /** Datagrams dropped so far because too many were waiting for the main thread. */
  get droppedPackets(): number {
    return Atomics.load(this.#counters, DROPPED);
  }

  /**
   * Starts the thread and binds; resolves once bound, rejects if binding fails.
   * `onError` receives socket errors after that.
   */
  start(onError: (err: Error) => void): Promise<UdpThreadAddress> {
    const { host, port, receiveBufferBytes } = this.#listener;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        type: host.includes(':') ? 'udp6' : 'udp4',
        host,
        port,
        receiveBufferBytes,
        maxQueuedBytes: this.#maxQueuedBytes,
        counters: this.#counters.buffer,
      },
    });
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: Uint8Array | ControlMessage) => {
        if (message instanceof Uint8Array) {
          this.#handle(message);
          return;
        }
        if (message.kind === 'listening') {
          worker.off('error', reject);
          worker.on('error', onError);
          resolve({
            host: message.host,
            port: message.port,
            reportedReceiveBuffer: message.receiveBufferBytes,
          });
        } else if (message.kind === 'bindError') {
          const err = Object.assign(new Error(message.message), { code: message.code });
          void worker.terminate();
          reject(err);
        } else {
          onError(Object.assign(new Error(message.message), { code: message.code }));
        }
      });
    });
  }

  /** Closes the socket; datagrams already handed over are still delivered first. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    worker.postMessage('close');
    await this.#exited;
  }

  #handle(packet: Uint8Array): void {
    try {
      this.#onPacket(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
    } finally {
      Atomics.sub(this.#counters, QUEUED_BYTES, packet.byteLength);
    }
  }
}
