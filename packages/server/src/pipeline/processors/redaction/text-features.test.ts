import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIGIT_RUN, HAS_AT, HAS_DOT, textFeatures } from './text-features.ts';

describe('textFeatures', () => {
  const rows: [text: string, run: number, at: boolean, dot: boolean][] = [
    ['', 0, false, false],
    ['GET', 0, false, false],
    ['+1 (415) 555-2671', 11, false, false],
    ['Mozilla/5.0 Chrome/126.0 Safari/537.36', 5, false, true],
    ['4111 1111 1111 1111', 16, false, false],
    // Three separators in a row end a run.
    ['12 - -34', 2, false, false],
    ['10.0.12.34', 7, false, true],
    ['alice@example.com', 0, true, true],
    // An '@' first is no email's; a later one is.
    ['@alice', 0, false, false],
    ['@team bob@x', 0, true, false],
    ['/api/orders/123456', 6, false, false],
  ];
  for (const [text, run, at, dot] of rows) {
    test(JSON.stringify(text), () => {
      const features = textFeatures(text);
      assert.equal(features & DIGIT_RUN, run, 'digit run');
      assert.equal((features & HAS_AT) !== 0, at, '@');
      assert.equal((features & HAS_DOT) !== 0, dot, '.');
    });
  }
});
