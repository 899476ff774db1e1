import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requiredLiteral } from './required-literal.ts';

describe('requiredLiteral', () => {
  const rows: [source: string, flags: string, expected: string | null][] = [
    ['secret-[0-9a-f]{16}', 'g', 'secret-'],
    ['^secret-[0-9a-f]{16}', 'g', 'secret-'],
    ['internal-only', 'g', 'internal-only'],
    ['tok_\\w+', 'g', 'tok_'],
    // A quantified last character may be absent.
    ['secret-?[0-9]+', 'g', 'secret'],
    ['colou*r', 'g', 'colo'],
    ['ab+c', 'g', null],
    ['key{0,2}x', 'g', 'ke'],
    // Nothing certain: alternation, case-insensitive, a class, group or escape first.
    ['secret-[0-9]+|token-[0-9]+', 'g', null],
    ['api[|]key', 'g', null],
    ['internal-only', 'gi', null],
    ['[0-9]{16}', 'g', null],
    ['(?<![a-z])secret', 'g', null],
    ['\\bsecret', 'g', null],
    ['.secret', 'g', null],
    ['s.ecret', 'g', null],
  ];
  for (const [source, flags, expected] of rows) {
    test(`/${source}/${flags} → ${JSON.stringify(expected)}`, () =>
      assert.equal(requiredLiteral(source, flags), expected));
  }

  test('every match of the pattern contains the literal', () => {
    const cases: [string, string[]][] = [
      ['secret-[0-9a-f]{4}', ['x secret-00af y', 'secret-abcd']],
      ['secret-?[0-9]+', ['secret1', 'secret-22']],
      ['colou*r', ['color', 'colour', 'colouur']],
      ['key{0,2}x', ['kex', 'keyx', 'keyyx']],
    ];
    for (const [source, inputs] of cases) {
      const literal = requiredLiteral(source, 'g');
      assert.notEqual(literal, null, source);
      const pattern = new RegExp(source, 'g');
      for (const input of inputs) {
        for (const match of input.matchAll(pattern)) {
          assert.ok(match[0].includes(literal as string), `${source} on ${input}: ${match[0]}`);
        }
      }
    }
  });
});
