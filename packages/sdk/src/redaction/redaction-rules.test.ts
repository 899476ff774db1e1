import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedactionRules } from './redaction-rules.ts';

test('keys rules: exact and glob keys, case-insensitive, first rule wins', () => {
  const r = new RedactionRules({
    hashKey: 'k',
    rules: [
      { keys: ['*.password', 'Auth.Token'], action: 'drop' },
      { keys: ['enduser.id'], action: 'hash' },
      { keys: ['card'], action: 'mask' },
      { keys: ['note'], action: 'replace', with: '[gone]' },
    ],
  });
  assert.equal(r.redact('db.password', 'x'), undefined);
  assert.equal(r.redact('auth.token', 'x'), undefined);
  assert.match(String(r.redact('enduser.id', 'alice')), /^hmac:[A-Za-z0-9_-]{22}$/);
  assert.equal(r.redact('enduser.id', 'alice'), r.redact('enduser.id', 'alice'), 'hash is stable');
  assert.equal(r.redact('card', '4111111111111111'), '****1111');
  assert.equal(r.redact('card', 'short'), '****');
  assert.equal(r.redact('note', 'anything'), '[gone]');
  assert.equal(r.redact('other', 'kept'), 'kept');
});

test('values rules act on the matched part only; sqlLiterals and urlQuery by key', () => {
  const r = new RedactionRules({
    rules: [{ values: ['email', '(?i)SECRET-[0-9a-f]{4}'], action: 'replace', with: '<r>' }],
    sqlLiterals: true,
    urlQuery: ['token'],
  });
  assert.equal(
    r.redact('msg', 'paid by alice@example.com, key secret-beef'),
    'paid by <r>, key <r>',
  );
  assert.equal(r.redact('db.statement', "SELECT 1 WHERE a = 'b'"), 'SELECT ? WHERE a = ?');
  assert.equal(r.redact('url.full', 'http://h/p?token=abc&x=1'), 'http://h/p?token=***&x=1');
  assert.equal(r.redact('count', 7), 7);
});

test('a bad rule is refused with the rule named', () => {
  assert.throws(
    () => new RedactionRules({ rules: [{ keys: ['a'], action: 'hash' }] }),
    /rules\[0\].*hashKey/,
  );
  assert.throws(
    () => new RedactionRules({ rules: [{ values: ['(unclosed'], action: 'drop' }] }),
    /rules\[0\]: "\(unclosed" is neither a detector/,
  );
  assert.throws(() => new RedactionRules({ rules: [{ action: 'drop' }] }), /either keys or values/);
});
