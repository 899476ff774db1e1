import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { applyHttpTimeouts } from './http-timeouts.ts';

const LIMITS = { headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 500 };

interface Closed {
  elapsedMs: number;
  answer: string;
}

/**
 * Connects, writes `first`, then `drip` every 50 ms (if given) until the server
 * closes the connection. Resolves with what the server wrote and when it closed.
 */
function client(port: number, first: string, drip?: string): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), 10_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(first);
      if (drip !== undefined) {
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(drip);
        }, 50);
      }
    });
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ elapsedMs: Date.now() - started, answer });
    });
  });
}

describe('applyHttpTimeouts on a real node:http server', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    applyHttpTimeouts(server, LIMITS);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('headers never finished: 408 and closed soon after headersTimeoutMs', async () => {
    const { elapsedMs, answer } = await client(port, 'GET / HTTP/1.1\r\nX-Slow: ', 'a');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(elapsedMs >= LIMITS.headersTimeoutMs - 30, `cut after ${elapsedMs} ms`);
    assert.ok(elapsedMs < LIMITS.headersTimeoutMs + 1000, `cut only after ${elapsedMs} ms`);
  });

  test('a body dripped past requestTimeoutMs: 408 and closed', async () => {
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n';
    const { elapsedMs, answer } = await client(port, head, 'b');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(elapsedMs >= LIMITS.requestTimeoutMs - 30, `cut after ${elapsedMs} ms`);
    assert.ok(elapsedMs < LIMITS.requestTimeoutMs + 1000, `cut only after ${elapsedMs} ms`);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs, not by the header timeout', async () => {
    const { elapsedMs, answer } = await client(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(answer, /408/);
    assert.ok(elapsedMs >= LIMITS.keepAliveTimeoutMs - 30, `closed after ${elapsedMs} ms`);
    assert.ok(elapsedMs < LIMITS.keepAliveTimeoutMs + 1500, `closed only after ${elapsedMs} ms`);
  });
});
