import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { UdpReceiveThread } from './udp-receive-thread.ts';

const listener = (receiveBufferBytes: number, port = 0) => ({
  enabled: true,
  host: '127.0.0.1',
  port,
  receiveBufferBytes,
});

/** Resolves with the packets once `count` arrived. */
function collect(count: number): {
  packets: Buffer[];
  done: Promise<void>;
  onPacket: (p: Buffer) => void;
} {
  const packets: Buffer[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  return {
    packets,
    done,
    onPacket: (p) => {
      packets.push(Buffer.from(p));
      if (packets.length === count) resolve();
    },
  };
}

describe('UdpReceiveThread', () => {
  test('hands datagrams to the main thread in order', async () => {
    const sink = collect(20);
    const thread = new UdpReceiveThread(listener(1 << 20), sink.onPacket);
    const { port } = await thread.start(assert.fail);
    const socket = createSocket('udp4');
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => socket.send(Buffer.from([i, 1, 2, 3]), port, '127.0.0.1', r));
    }
    socket.close();
    await sink.done;
    await thread.stop();
    assert.deepEqual(
      sink.packets.map((p) => p[0]),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(thread.droppedPackets, 0);
  });

  test('keeps receiving while the main thread is blocked, up to its limit, and counts the rest', async () => {
    const limit = 10_000;
    const sink = collect(1);
    // A kernel buffer far above the limit: only the thread's own bound may drop.
    const thread = new UdpReceiveThread(listener(1 << 20), sink.onPacket, limit);
    const { port } = await thread.start(assert.fail);
    // Another thread sends 30 datagrams of 1 KB while this one is blocked in Atomics.wait.
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const sender = new Worker(
      `const { workerData } = require('node:worker_threads');
       const s = require('node:dgram').createSocket('udp4');
       const flag = new Int32Array(workerData.signal);
       let sent = 0;
       const next = () => {
         if (sent === 30) { s.close(); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); return; }
         sent++;
         s.send(Buffer.alloc(1000, sent), workerData.port, '127.0.0.1', next);
       };
       next();`,
      { eval: true, workerData: { port, signal: signal.buffer } },
    );
    Atomics.wait(signal, 0, 0, 10_000);
    assert.equal(Atomics.load(signal, 0), 1, 'the sender finished while this thread was blocked');
    // Still blocked: until the receive thread has taken all 30 off the socket.
    const giveUp = Date.now() + 10_000;
    while (thread.queuedBytes + thread.droppedPackets * 1000 < 30_000 && Date.now() < giveUp) {
      Atomics.wait(signal, 0, 1, 5);
    }
    await sender.terminate();
    await thread.stop();
    // Only what fit in the limit waited for the main thread; the rest was counted.
    assert.ok(sink.packets.length <= limit / 1000, `${sink.packets.length} delivered`);
    assert.ok(sink.packets.length >= 1);
    assert.equal(sink.packets.length + thread.droppedPackets, 30);
  });

  test('start rejects when the port is taken', async () => {
    const first = new UdpReceiveThread(listener(1 << 16), () => {});
    const { port } = await first.start(assert.fail);
    const second = new UdpReceiveThread(listener(1 << 16, port), () => {});
    await assert.rejects(second.start(assert.fail), /EADDRINUSE/);
    await first.stop();
  });
});
