import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { freePort } from '../support/free-port.ts';

/*
 * /ready means it: polled from the moment the process starts, it never answers 200
 * before every TCP listener accepts connections; and it answers 503 from the start
 * of a graceful shutdown.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const TCP_LISTENERS = [
  'receivers.otlpGrpc',
  'receivers.otlpHttp',
  'receivers.zipkin',
  'receivers.jaegerThriftHttp',
  'receivers.jaegerGrpc',
  'query',
  'sampling.http',
  'sampling.grpc',
];

describe('/ready', { timeout: 120_000 }, () => {
  test('is never 200 before every listener accepts, and is 503 from the start of a graceful stop', async () => {
    const ports = new Map<string, number>();
    for (const name of [...TCP_LISTENERS, 'admin']) ports.set(name, await freePort());
    const args = [
      '--import',
      'tsx',
      MAIN,
      'all',
      '--storage.duckdb.path=:memory:',
      '--log.level=warn',
    ];
    for (const [name, port] of ports)
      args.push(`--${name}.port=${port}`, `--${name}.host=127.0.0.1`);
    args.push('--receivers.jaegerAgentCompact.port=0', '--receivers.jaegerAgentBinary.port=0');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = once(child, 'exit');
    const admin = `http://127.0.0.1:${ports.get('admin')}`;
    try {
      let polls = 0;
      let notReady = 0;
      for (;;) {
        polls++;
        const res = await fetch(`${admin}/ready`).catch(() => undefined);
        if (res === undefined) continue; // the admin port is not bound yet
        const body = (await res.json()) as { status: string };
        if (res.status !== 200) {
          notReady++;
          continue;
        }
        assert.equal(body.status, 'ready');
        // The first 200: every listener must already accept.
        for (const name of TCP_LISTENERS) {
          assert.ok(await accepts(ports.get(name)!), `${name} accepts when /ready first says 200`);
        }
        break;
      }
      assert.ok(polls > 1 && notReady + polls > 1, 'polled from before the process was ready');
      // A graceful stop: once /ready said 503 it never says 200 again, while the
      // process drains and until the admin port closes last.
      child.kill('SIGTERM');
      const seen: number[] = [];
      for (;;) {
        const res = await fetch(`${admin}/ready`).catch(() => undefined);
        if (res === undefined) break;
        await res.arrayBuffer();
        seen.push(res.status);
      }
      const first503 = seen.indexOf(503);
      if (first503 >= 0) {
        assert.ok(!seen.slice(first503).includes(200), `no 200 after a 503: ${seen.join(',')}`);
      }
      const [code] = await exited;
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
