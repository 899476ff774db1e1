import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TextBuffer } from './text-buffer.ts';

function written(fill: (out: TextBuffer) => void, initial?: number): string {
  const out = new TextBuffer(initial);
  fill(out);
  return out.bytes().toString('utf8');
}

describe('TextBuffer', () => {
  test('numbers as the exposition formats write them', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [7, '7'],
      [10, '10'],
      [1234567890, '1234567890'],
      [Number.MAX_SAFE_INTEGER, '9007199254740991'],
      [0.25, '0.25'],
      [-3, '-3'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
    ];
    for (const [n, text] of cases)
      assert.equal(
        written((o) => o.number(n)),
        text,
        String(n),
      );
  });

  test('thousandths write exact three-decimal values, non-integers fall back', () => {
    assert.equal(
      written((o) => o.thousandths(1_700_000_040_123)),
      '1700000040.123',
    );
    assert.equal(
      written((o) => o.thousandths(1500)),
      '1.500',
    );
    assert.equal(
      written((o) => o.thousandths(7)),
      '0.007',
    );
    assert.equal(
      written((o) => o.thousandths(0)),
      '0.000',
    );
    assert.equal(
      written((o) => o.thousandths(1500.5)),
      '1.5005',
    );
  });

  test('grows past its initial size and keeps UTF-8 text intact', () => {
    const text = written((o) => {
      for (let i = 0; i < 1000; i++) {
        o.ascii('line ');
        o.number(i);
        o.text(' ünïcödé ✓');
        o.raw(Buffer.from('\n'));
      }
    }, 16);
    const lines = text.split('\n');
    assert.equal(lines.length, 1001);
    assert.equal(lines[999], 'line 999 ünïcödé ✓');
  });
});
