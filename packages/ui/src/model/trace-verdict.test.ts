import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  lineText,
  parseVerdict,
  shortTraceId,
  verdictBanner,
  type TraceVerdict,
} from './trace-verdict.ts';

const A = '73de03cc321ae18ad1f12b20f414802f';
const B = '0696eb7d72ce91ca820eafec82a4e6e4';

const verdict = (causes: TraceVerdict['causes'], complete = false): TraceVerdict => ({
  traceId: A,
  complete,
  causes,
});

function links(v: TraceVerdict) {
  return verdictBanner(v)!.lines.flatMap((l) =>
    l.parts.filter((p) => 'href' in p).map((p) => (p as { href: string }).href),
  );
}

describe('trace completeness banner', () => {
  test('a split names the call and links the other half', () => {
    const v = verdict([
      {
        cause: 'split_trace',
        spanId: 'a8ef8b1adb12450f',
        service: 'frontend',
        peer: 'catalog',
        otherTraceId: B,
      },
    ]);
    const banner = verdictBanner(v)!;
    assert.equal(banner.headline, 'This trace is split in two.');
    assert.equal(banner.lines.length, 1);
    assert.equal(
      lineText(banner.lines[0]),
      "This trace is split: frontend's call to catalog continued as trace 0696eb7d…, open it. " +
        'The trace context header was not injected by the caller or not extracted by the callee.',
    );
    assert.deepEqual(banner.lines[0].spanIds, ['a8ef8b1adb12450f']);
    assert.equal(banner.lines[0].otherTraceId, B);
    assert.deepEqual(links(v), [`/trace/${B}`]);
  });

  test("a fragment links back to the caller's trace", () => {
    const v = verdict([
      {
        cause: 'fragment',
        spanId: '29239ab5914ff2c6',
        service: 'catalog',
        peer: 'frontend',
        otherTraceId: B,
      },
    ]);
    const banner = verdictBanner(v)!;
    assert.equal(banner.headline, 'This trace is the second half of a split trace.');
    assert.equal(
      lineText(banner.lines[0]),
      "This trace is a fragment: it continues frontend's call to catalog from trace 0696eb7d…, open the caller's trace.",
    );
    assert.deepEqual(links(v), [`/trace/${B}`]);
  });

  test('an async break, an unanswered call; without the other half, no link', () => {
    const v = verdict([
      { cause: 'async_break', spanId: '1', service: 'checkout', peer: 'shipping', otherTraceId: B },
      { cause: 'unanswered_call', spanId: '2', service: 'frontend', peer: 'cart' },
      { cause: 'split_trace', spanId: '3', service: 'frontend', peer: 'ads' },
    ]);
    const texts = verdictBanner(v)!.lines.map(lineText);
    assert.deepEqual(texts, [
      "This trace is split: frontend's call to ads continued in another trace.",
      "This trace breaks across a queue: checkout's message to shipping was consumed in a new trace 0696eb7d…, open it. The context did not travel with the message.",
      "frontend's call to cart has no answer: no span of the callee arrived in this trace or in any other.",
    ]);
    assert.deepEqual(links(v), [`/trace/${B}`]);
  });

  test('orphans are one line per service with their count and every span', () => {
    const v = verdict([
      { cause: 'orphan', spanId: 'aa', service: 'cart', peer: '' },
      { cause: 'late_span', spanId: 'bb', service: 'cart', peer: '' },
      { cause: 'orphan', spanId: 'cc', service: 'cart', peer: '' },
      { cause: 'orphan', spanId: 'dd', service: 'ads', peer: '' },
    ]);
    const lines = verdictBanner(v)!.lines;
    assert.deepEqual(
      lines.map((l) => [l.cause, l.count, l.spanIds, lineText(l)]),
      [
        [
          'orphan',
          2,
          ['aa', 'cc'],
          '2 spans of cart have parents that are not in this trace (lost or never exported).',
        ],
        [
          'orphan',
          1,
          ['dd'],
          '1 span of ads has a parent that is not in this trace (lost or never exported).',
        ],
        [
          'late_span',
          1,
          ['bb'],
          '1 span of cart arrived after the trace was assembled (counted apart).',
        ],
      ],
    );
    assert.equal(verdictBanner(v)!.headline, 'This trace is incomplete.');
  });

  test('nothing for a complete trace, even with late spans', () => {
    assert.equal(verdictBanner(verdict([], true)), null);
    assert.equal(
      verdictBanner(
        verdict([{ cause: 'late_span', spanId: 'aa', service: 'cart', peer: '' }], true),
      ),
      null,
    );
  });

  test('parseVerdict keeps ids that are hex only, and rejects what is not a verdict', () => {
    const v = parseVerdict({
      data: {
        traceId: A,
        complete: false,
        causes: [
          {
            cause: 'split_trace',
            spanId: 'zz<script>',
            service: 'f',
            peer: 'c',
            otherTraceId: 'javascript:alert(1)',
          },
          { cause: 'rootless', spanId: '', service: '', peer: '' },
          null,
        ],
      },
    })!;
    assert.deepEqual(v.causes, [
      { cause: 'split_trace', spanId: '', service: 'f', peer: 'c' },
      { cause: 'rootless', spanId: '', service: '', peer: '' },
    ]);
    assert.equal(parseVerdict({ data: null }), null);
    assert.equal(parseVerdict({ errors: [{ msg: 'x' }] }), null);
    assert.equal(
      lineText(verdictBanner(v)!.lines[1]),
      'This trace has no root span: the span that started it never arrived.',
    );
  });

  test('short ids', () => {
    assert.equal(shortTraceId(A), '73de03cc…');
    assert.equal(shortTraceId('abc'), 'abc');
  });
});
