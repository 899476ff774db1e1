import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'skein-redact-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function redactCheck(args: string[], input: string, env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'redact-check', ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const CONFIG = join(dir, 'skein.yaml');
writeFileSync(
  CONFIG,
  `pipeline:
  processors:
    redaction:
      hashKey: \${env:TEST_REDACTION_KEY}
      rules:
        - keys: ["*.password", "http.request.header.authorization"]
          action: drop
        - keys: ["user.email"]
          action: hash
        - values: [email, credit_card]
          action: mask
        - values: ['secret-[0-9a-f]{16}']
          action: replace
          with: "[redacted]"
      sqlLiterals: true
      urlQuery: [token]
`,
);
const ENV = { TEST_REDACTION_KEY: 'a-test-key-of-enough-length' };

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const OTLP = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [str('service.name', 'shop'), str('owner', 'ops@example.com')] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              name: 'POST /login',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000001000000000',
              attributes: [
                str('db.password', 'hunter2'),
                str('user.email', 'alice@example.com'),
                str('db.query.text', "SELECT * FROM t WHERE card = '4111111111111111'"),
                str('url.full', 'https://x.io/cb?token=abc&x=1'),
                str('note', 'key secret-0123456789abcdef'),
                str('http.route', '/login'),
              ],
            },
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b175',
              parentSpanId: 'eee19b7ec3c1b174',
              name: 'clean',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000001000000000',
              attributes: [str('http.route', '/x')],
            },
          ],
        },
      ],
    },
  ],
});

describe('skein redact-check', () => {
  test('prints each field the rules would change, per span, and a summary (OTLP JSON)', () => {
    const r = redactCheck(['--config', CONFIG], OTLP, ENV);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(
      out,
      /span 5b8efff798038103d269b633813fc60c\/eee19b7ec3c1b174 shop "POST \/login" \(skein\.redacted = 6\)/,
    );
    assert.match(out, /attribute db\.password: dropped \(was "hunter2"\)/);
    assert.match(out, /attribute user\.email: "alice@example\.com" → "hmac:[A-Za-z0-9_-]{22}"/);
    assert.match(
      out,
      /attribute db\.query\.text: "SELECT \* FROM t WHERE card = '4111111111111111'" → "SELECT \* FROM t WHERE card = \?"/,
    );
    assert.match(
      out,
      /attribute url\.full: "https:\/\/x\.io\/cb\?token=abc&x=1" → "https:\/\/x\.io\/cb\?token=\*\*\*&x=1"/,
    );
    assert.match(out, /attribute note: "key secret-0123456789abcdef" → "key \[redacted\]"/);
    assert.match(
      out,
      /resource of shop \(shared by 2 spans\)\n {2}attribute owner: "ops@example\.com" → "\*\*\*\*\.com"/,
    );
    assert.doesNotMatch(out, /http\.route/, 'unchanged fields are not listed');
    assert.doesNotMatch(out, /eee19b7ec3c1b175/, 'unchanged spans are not listed');
    assert.match(
      out,
      /summary: 1 of 2 spans would change in 5 fields of their own; 1 fields of resources and scopes would change/,
    );
  });

  test('reads a Jaeger UI download', () => {
    const jaeger = JSON.stringify({
      data: [
        {
          traceID: 'abc',
          spans: [
            {
              traceID: 'abc',
              spanID: 'def',
              operationName: 'charge',
              references: [],
              startTime: 1700000000000000,
              duration: 10,
              tags: [{ key: 'card', type: 'string', value: '4111 1111 1111 1111' }],
              logs: [],
              processID: 'p1',
            },
          ],
          processes: { p1: { serviceName: 'payments', tags: [] } },
        },
      ],
    });
    const r = redactCheck(['--config', CONFIG], jaeger, ENV);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /span 00000000000000000000000000000abc\/0000000000000def payments "charge"/,
    );
    assert.match(r.stdout, /attribute card: "4111 1111 1111 1111" → "\*\*\*\*1111"/);
  });

  test('a bad config or a bad file exits 2 and says why', () => {
    const badRules = join(dir, 'bad.yaml');
    writeFileSync(
      badRules,
      'pipeline:\n  processors:\n    redaction:\n      rules:\n        - keys: [a]\n          action: erase\n',
    );
    const r1 = redactCheck(['--config', badRules], OTLP);
    assert.equal(r1.code, 2);
    assert.match(
      r1.stderr,
      /pipeline\.processors\.redaction\.rules\[0\]\.action: must be one of drop, hash, mask, replace/,
    );
    const r2 = redactCheck(['--config', CONFIG], OTLP, { TEST_REDACTION_KEY: undefined });
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /TEST_REDACTION_KEY is not set/);
    const r3 = redactCheck(['--config', CONFIG], 'not json', ENV);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /stdin is not JSON/);
    const r4 = redactCheck(['--config', CONFIG], '{"data":[{"spans":[{"spanID":"zz"}]}]}', ENV);
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /Jaeger UI JSON.*data\[0\]\.spans\[0\]\.traceID: expected a string/);
  });
});
