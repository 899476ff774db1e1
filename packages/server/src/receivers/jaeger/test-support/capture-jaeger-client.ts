import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpSenderModule from 'jaeger-client/dist/src/reporters/http_sender.js';
import udpSenderModule from 'jaeger-client/dist/src/reporters/udp_sender.js';
import { sendClientTrace } from './jaeger-client-trace.ts';

/** What the real jaeger-client puts on the wire for the test trace. */
export interface ClientPayloads {
  /** One agent UDP packet (binary thrift emitBatch). */
  udpPacket: Buffer;
  /** One collector HTTP body (binary thrift Batch). */
  httpBody: Buffer;
}

const quiet = { info: () => {}, error: () => {} };

/**
 * Captures jaeger-client's real output (fuzz seeds, bench payloads): a local UDP
 * socket and HTTP server stand in for the agent and the collector.
 */
export async function captureJaegerClientPayloads(): Promise<ClientPayloads> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const packet = once(socket, 'message');
  await sendClientTrace(
    new udpSenderModule.default({
      host: '127.0.0.1',
      port: (socket.address() as AddressInfo).port,
      logger: quiet,
    }),
    true,
  );
  const [udpPacket] = (await packet) as [Buffer];
  socket.close();

  let httpBody = Buffer.alloc(0);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      httpBody = Buffer.concat(chunks);
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await sendClientTrace(
    new httpSenderModule.default({
      endpoint: `http://127.0.0.1:${port}/api/traces`,
      logger: quiet,
    }),
    false,
  );
  server.close();
  return { udpPacket, httpBody };
}
