import assert from 'node:assert/strict';
import type * as Http from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { start, type SkeinKit } from '../src/index.ts';

/**
 * W3C Trace Context conformance of the kit's HTTP server and client, as the W3C
 * test suite (w3c/trace-context test/test.py) checks it: a raw request (written on a
 * socket, so headers go out exactly as given, duplicates included) reaches a
 * kit-instrumented server, which calls a second server; what that second server
 * receives says whether the kit continued the trace ("continue") or started a new
 * one ("restart"), and what it did with tracestate.
 */

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

interface Case {
  name: string;
  /** Raw header lines sent to the kit's server. */
  headers: [string, string][];
  expect: 'continue' | 'restart';
  /** Expected sampled flag of the outgoing traceparent when continuing. */
  sampled?: boolean;
  /** Checks on the tracestate the downstream received ('' when none). */
  tracestate?: (ts: string) => void;
}

const members = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');

const CASES: Case[] = [
  {
    name: 'valid, sampled',
    headers: [['traceparent', `00-${T}-${S}-01`]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'valid, not sampled',
    headers: [['traceparent', `00-${T}-${S}-00`]],
    expect: 'continue',
    sampled: false,
  },
  {
    name: 'header name in any case',
    headers: [['TraceParent', `00-${T}-${S}-01`]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'unknown flag bits kept sampled',
    headers: [['traceparent', `00-${T}-${S}-09`]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'leading and trailing space',
    headers: [['traceparent', ` 00-${T}-${S}-01 `]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'future version with more fields',
    headers: [['traceparent', `cc-${T}-${S}-01-what-the-future-holds`]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'future version, same fields',
    headers: [['traceparent', `cc-${T}-${S}-01`]],
    expect: 'continue',
    sampled: true,
  },
  {
    name: 'version ff is invalid',
    headers: [['traceparent', `ff-${T}-${S}-01`]],
    expect: 'restart',
  },
  {
    name: 'version 00 with an extra field',
    headers: [['traceparent', `00-${T}-${S}-01-extra`]],
    expect: 'restart',
  },
  {
    name: 'uppercase trace id',
    headers: [['traceparent', `00-${T.toUpperCase()}-${S}-01`]],
    expect: 'restart',
  },
  {
    name: 'uppercase parent id',
    headers: [['traceparent', `00-${T}-${S.toUpperCase()}-01`]],
    expect: 'restart',
  },
  { name: 'uppercase version', headers: [['traceparent', `0A-${T}-${S}-01`]], expect: 'restart' },
  {
    name: 'all-zero trace id',
    headers: [['traceparent', `00-${'0'.repeat(32)}-${S}-01`]],
    expect: 'restart',
  },
  {
    name: 'all-zero parent id',
    headers: [['traceparent', `00-${T}-${'0'.repeat(16)}-01`]],
    expect: 'restart',
  },
  {
    name: 'short trace id',
    headers: [['traceparent', `00-${T.slice(1)}-${S}-01`]],
    expect: 'restart',
  },
  { name: 'long parent id', headers: [['traceparent', `00-${T}-${S}0-01`]], expect: 'restart' },
  {
    name: 'non-hex character',
    headers: [['traceparent', `00-${T.slice(0, 31)}g-${S}-01`]],
    expect: 'restart',
  },
  { name: 'illegal flags', headers: [['traceparent', `00-${T}-${S}-0x`]], expect: 'restart' },
  { name: 'wrong delimiter', headers: [['traceparent', `00_${T}_${S}_01`]], expect: 'restart' },
  { name: 'empty traceparent', headers: [['traceparent', '']], expect: 'restart' },
  {
    name: 'duplicated traceparent headers',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['traceparent', `00-${'1'.repeat(32)}-${S}-01`],
    ],
    expect: 'restart',
  },
  {
    name: 'tracestate is forwarded with the trace',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', 'foo=1,bar=2'],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.deepEqual(ts.split(',').sort(), ['bar=2', 'foo=1']),
  },
  {
    name: 'two tracestate headers are one list',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', 'foo=1'],
      ['tracestate', 'bar=2'],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.deepEqual(ts.split(',').sort(), ['bar=2', 'foo=1']),
  },
  {
    name: 'tracestate with 32 members is kept whole',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', members(32)],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.equal(ts.split(',').length, 32),
  },
  {
    name: 'tracestate over 32 members is cut to at most 32',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', members(40)],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.ok(ts === '' || ts.split(',').length <= 32, ts),
  },
  {
    name: 'tracestate longer than 512 characters is not forwarded whole',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', `big=${'x'.repeat(600)}`],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.ok(ts.length <= 512, `forwarded ${ts.length} characters`),
  },
  {
    name: 'invalid tracestate member is dropped, the trace continues',
    headers: [
      ['traceparent', `00-${T}-${S}-01`],
      ['tracestate', 'foo=1,BAD KEY=2'],
    ],
    expect: 'continue',
    sampled: true,
    tracestate: (ts) => assert.ok(!ts.includes('BAD'), ts),
  },
  {
    name: 'tracestate without traceparent is ignored',
    headers: [['tracestate', 'foo=1']],
    expect: 'restart',
    tracestate: (ts) => assert.equal(ts, ''),
  },
];

let kit: SkeinKit;
const servers: Server[] = [];
let received: IncomingHttpHeaders | null = null;
let upstreamPort = 0;

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** Sends a request with exactly these header lines; resolves when the response ends. */
function rawRequest(port: number, headers: [string, string][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    const lines = headers.map(([k, v]) => `${k}:${v}\r\n`).join('');
    socket.write(`GET /check HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${lines}\r\n`);
  });
}

before(async () => {
  // Nothing is exported here: the case is decided by what goes on the wire.
  kit = start({
    service: 'sdk-w3c-test',
    endpoint: 'http://127.0.0.1:9',
    samplingEndpoint: false,
    shutdownOnExit: false,
  });
  const http: typeof Http = await import('node:http');
  const downstream = await listen(
    http.createServer((req, res) => {
      received = req.headers;
      res.end('ok');
    }),
  );
  upstreamPort = await listen(
    http.createServer((_req, res) => {
      http
        .get(`http://127.0.0.1:${downstream}/next`, (r) =>
          r.resume().on('end', () => res.end('done')),
        )
        .on('error', (err) => res.writeHead(500).end(String(err)));
    }),
  );
});

after(async () => {
  for (const s of servers) s.close();
  await kit.shutdown();
});

describe('W3C trace context: kit server in, kit client out', () => {
  for (const c of CASES)
    test(c.name, async () => {
      received = null;
      const response = await rawRequest(upstreamPort, c.headers);
      assert.match(response, /^HTTP\/1\.1 200/);
      assert.ok(received, 'the downstream server was called');
      const headers = received as IncomingHttpHeaders;
      const m = TP.exec(String(headers.traceparent));
      assert.ok(m, `outgoing traceparent ${headers.traceparent} is a valid version 00 header`);
      const [, traceId, parentId, flags] = m;
      if (c.expect === 'continue') {
        assert.equal(traceId, T, 'the trace id is continued');
        assert.notEqual(parentId, S, 'the parent id is the kit’s own span, not the caller’s');
        assert.equal(
          (parseInt(flags, 16) & 1) === 1,
          c.sampled,
          'the sampled flag follows the caller',
        );
      } else {
        assert.notEqual(traceId, T, 'a new trace is started');
        assert.notEqual(traceId, '1'.repeat(32), 'a new trace is started');
      }
      c.tracestate?.(String(headers.tracestate ?? ''));
    });
});
