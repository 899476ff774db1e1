import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function skein(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('skein tracegen --break / --skew', () => {
  let sink: Server;
  let spans = 0;
  before(async () => {
    // An OTLP/HTTP JSON endpoint that accepts everything and counts spans.
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        spans += body.split('"spanId"').length - 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => sink.close(() => resolve())));

  test('prints the truth of the injected breaks at the end', async () => {
    const port = (sink.address() as AddressInfo).port;
    const r = await skein([
      'tracegen',
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--protocol',
      'http/json',
      '--count',
      '300',
      '--rate',
      '1000',
      '--break',
      'split:frontend>catalog=0.2',
      '--break',
      'async:checkout/shipping=0.3,late=0.02',
      '--late-delay-ms',
      '100',
      '--skew',
      'catalog=5',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /breaking split:frontend>catalog=0\.2, async:checkout>shipping=0\.3, late=0\.02/,
    );
    const head =
      /^truth: (\d+) traces \(300 main, (\d+) fragments\), (\d+) complete = ([\d.]+)% completeness$/m.exec(
        r.stdout,
      );
    assert.ok(head !== null, r.stdout);
    assert.equal(Number(head[1]), 300 + Number(head[2]));
    assert.ok(Number(head[2]) > 10);
    assert.match(r.stdout, /^ {2}split_trace +frontend +catalog +\d+$/m);
    assert.match(r.stdout, /^ {2}async_break +checkout +shipping +\d+$/m);
    assert.match(r.stdout, /^ {2}frontend>catalog +\d+ +\d+ +\d+\.\d\d%$/m);
    const done = /done, (\d+) spans in 300 traces accepted/.exec(r.stderr);
    assert.ok(done !== null, r.stderr);
    assert.equal(Number(done[1]), spans);
  });

  test('bad --break and --skew values are refused with the valid choices', async () => {
    const cause = await skein(['tracegen', '--break', 'drop:frontend>catalog=0.1']);
    assert.equal(cause.code, 2);
    assert.match(cause.stderr, /causes are split, async, unanswered, orphan, late/);
    const service = await skein(['tracegen', '--break', 'split:frontend>orders=0.1']);
    assert.equal(service.code, 2);
    assert.match(service.stderr, /no service "orders"; services are ads, cart, catalog/);
    const skew = await skein(['tracegen', '--skew', 'catalog=soon']);
    assert.equal(skew.code, 2);
    assert.match(skew.stderr, /--skew "catalog=soon": write SERVICE=MS/);
  });
});
