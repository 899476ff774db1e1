import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  clickhouseInstalled,
  startClickHouseCluster,
} from '../../../test/support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../../../test/support/clickhouse-cluster.ts';
import { ClickHouseConnection } from './connection.ts';
import { sqlIdentifier, sqlInt, sqlIntArray, sqlString, sqlStringArray } from './sql-literal.ts';

/** Strings that must come back from ClickHouse exactly as sent. */
const ROUND_TRIP: [string, string][] = [
  ['empty', ''],
  ['plain', 'checkout'],
  ['single quote', "O'Brien"],
  ['two quotes', "''"],
  ['backslash', 'C:\\path\\to'],
  ['backslash before quote', "\\'"],
  ['trailing backslash', 'ends with \\'],
  ['escaped-looking text', '\\n is not a newline here \\0 \\x41'],
  ['NUL', 'a\u0000b'],
  ['tag term', 'http.method\u0000GET'],
  ['newline, CR, tab', 'line1\nline2\r\n\tindented'],
  ['other controls', '\u0001\u0007\u001b[31m\u007f'],
  ['unicode', 'héllo wörld ☃ 日本語'],
  ['astral', '😀 𝄞'],
  ['injection: close and OR', "' OR 1=1 --"],
  ['injection: stacked', "x'; DROP TABLE spans; --"],
  ['injection: escaped quote', "\\'; SELECT 1; --"],
  ['injection: comment', '/* */ -- #'],
  ['double quotes and backticks', '"a" `b`'],
  ['braces (query parameters)', '{name:String}'],
];

describe('sqlString and friends (text)', () => {
  test('quotes and escapes', () => {
    assert.equal(sqlString(''), "''");
    assert.equal(sqlString("it's"), "'it\\'s'");
    assert.equal(sqlString('a\\b'), "'a\\\\b'");
    assert.equal(sqlString('a\u0000b\n'), "'a\\0b\\n'");
    assert.equal(sqlString('\u0001\u007f'), "'\\x01\\x7f'");
    assert.equal(sqlString('日本'), "'日本'");
  });
  test('no unescaped quote can survive', () => {
    for (const [, value] of ROUND_TRIP) {
      const inner = sqlString(value).slice(1, -1);
      // Every quote inside is preceded by an odd number of backslashes.
      for (let i = 0; i < inner.length; i++) {
        if (inner[i] !== "'") continue;
        let slashes = 0;
        for (let j = i - 1; j >= 0 && inner[j] === '\\'; j--) slashes++;
        assert.equal(slashes % 2, 1, `unescaped quote in ${JSON.stringify(value)}`);
      }
    }
  });
  test('non-strings are refused', () => {
    assert.throws(() => sqlString(1 as unknown as string), TypeError);
  });
  test('integers: finite and safe only', () => {
    assert.equal(sqlInt(0), '0');
    assert.equal(sqlInt(-42), '-42');
    assert.equal(sqlInt(9223372036854775807n), '9223372036854775807');
    for (const bad of [1.5, NaN, Infinity, 2 ** 53, '1' as unknown as number]) {
      assert.throws(() => sqlInt(bad), TypeError, String(bad));
    }
    assert.equal(sqlIntArray([1, 2n]), '[1, 2]');
    assert.equal(sqlStringArray(["a'", 'b']), "['a\\'', 'b']");
  });
  test('identifiers: plain names only', () => {
    assert.equal(sqlIdentifier('skein_1'), 'skein_1');
    for (const bad of ['', '1abc', 'a-b', 'a b', 'a;DROP', '`x`', 'a.b', 'x'.repeat(64)]) {
      assert.throws(() => sqlIdentifier(bad), TypeError, bad);
    }
  });
});

describe(
  'sqlString on a real ClickHouse 18.16',
  { skip: !clickhouseInstalled() && 'clickhouse-server not installed' },
  () => {
    let cluster: ClickHouseCluster;
    let connection: ClickHouseConnection;
    before(async () => {
      cluster = await startClickHouseCluster({ shards: 1, replicas: 1 });
      connection = new ClickHouseConnection({
        urls: cluster.urls,
        username: 'default',
        password: '',
        requestTimeoutMs: 10_000,
      });
    });
    after(async () => {
      await connection?.close();
      await cluster?.stop();
    });

    for (const [name, value] of ROUND_TRIP) {
      test(`round trip: ${name}`, async () => {
        const rows = await connection.select<{ v: string; n: string }>(
          `SELECT ${sqlString(value)} AS v, length(${sqlString(value)}) AS n`,
        );
        assert.deepEqual(rows.length, 1);
        assert.equal(rows[0].v, value);
        assert.equal(Number(rows[0].n), Buffer.byteLength(value));
      });
    }

    test('an injection attempt is a value that matches nothing', async () => {
      const rows = await connection.select<{ n: string }>(
        `SELECT count() AS n FROM system.one WHERE toString(dummy) = ${sqlString("0' OR '1'='1")}`,
      );
      assert.equal(Number(rows[0].n), 0);
      const all = await connection.select<{ v: string }>(
        `SELECT arrayJoin(${sqlStringArray(ROUND_TRIP.map(([, v]) => v))}) AS v`,
      );
      assert.deepEqual(
        all.map((r) => r.v),
        ROUND_TRIP.map(([, v]) => v),
      );
    });
  },
);
