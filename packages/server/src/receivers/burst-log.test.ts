import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { BurstLog } from './burst-log.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

test('BurstLog logs the first problem of a burst and the count when it ends', async () => {
  const { lines, logger } = capture();
  const burst = new BurstLog(logger, 'bad packets');
  burst.ok();
  for (let i = 0; i < 5; i++) burst.problem(new Error(`bad ${i}`), 'dropped a bad packet');
  burst.ok();
  burst.problem(new Error('again'), 'dropped a bad packet');
  burst.ok();
  assert.deepEqual(
    lines.map((l) => [l.msg, (l.err as { message?: string } | undefined)?.message, l.count]),
    [
      ['dropped a bad packet', 'bad 0', undefined],
      [lines[1].msg, undefined, 5],
      ['dropped a bad packet', 'again', undefined],
    ],
  );
  assert.match(String(lines[1].msg), /^5 bad packets in \d+s$/);
});
