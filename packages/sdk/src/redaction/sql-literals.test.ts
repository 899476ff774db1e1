import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripSqlLiterals } from './sql-literals.ts';

const CASES: [string, string][] = [
  ["SELECT * FROM users WHERE email = 'a@b.c'", 'SELECT * FROM users WHERE email = ?'],
  ["SELECT 'it''s', E'\\n', N'x'", 'SELECT ?, ?, ?'],
  ['UPDATE t SET n = -1.5e3, m = 0x1F WHERE id = 42', 'UPDATE t SET n = ?, m = ? WHERE id = ?'],
  [
    'SELECT a - 1 FROM t1 JOIN t2 ON t1.c2 = t2.c2',
    'SELECT a - ? FROM t1 JOIN t2 ON t1.c2 = t2.c2',
  ],
  [
    'SELECT "Col 1", `x` FROM "T" WHERE id = $1 AND n = :name AND k = ?',
    'SELECT "Col 1", `x` FROM "T" WHERE id = $1 AND n = :name AND k = ?',
  ],
  ['SELECT $$body with 5$$, $tag$x$tag$', 'SELECT ?, ?'],
  ["SELECT 1 -- card 4111111111111111\nFROM t /* 'x' */", 'SELECT ? \nFROM t '],
  ["SELECT 'unterminated", 'SELECT ?'],
  ['SELECT .5, 3.', 'SELECT ?, ?.'],
];

test('stripSqlLiterals replaces literals with ? and keeps identifiers and placeholders', () => {
  for (const [input, expected] of CASES) assert.equal(stripSqlLiterals(input), expected, input);
});
