import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIGIT_RUN, HAS_DOT, textFeatures } from './text-features.ts';

describe('textFeatures', () => {
  const rows: [text: string, run: number, dot: boolean][] = [
    ['', 0, false],
    ['GET', 0, false],
    ['+1 (415) 555-2671', 11, false],
    ['Mozilla/5.0 Chrome/126.0 Safari/537.36', 5, true],
    ['4111 1111 1111 1111', 16, false],
    // Three separators in a row end a run.
    ['12 - -34', 2, false],
    ['10.0.12.34', 7, true],
    ['alice@example.com', 0, true],
    ['/api/orders/123456', 6, false],
  ];
  for (const [text, run, dot] of rows) {
    test(JSON.stringify(text), () => {
      const features = textFeatures(text);
      assert.equal(features & DIGIT_RUN, run, 'digit run');
      assert.equal((features & HAS_DOT) !== 0, dot, '.');
    });
  }
});
