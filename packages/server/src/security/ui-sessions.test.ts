import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { defaultConfig } from '../config/config.ts';
import { localPath } from './oidc-login.ts';
import type { Principal } from './principal.ts';
import { compileSecuritySettings } from './security-settings.ts';
import { checkCsrf, cookieHeader, cookieValue } from './session-cookies.ts';
import { UiSessions } from './ui-sessions.ts';

const alice: Principal = {
  name: 'alice',
  via: 'oidc',
  scopes: new Set(['read']),
  tenant: undefined,
};

test('sessions: a random 256-bit id, found until it expires or ends; at most max kept, oldest dropped first', () => {
  let now = 1000;
  const sessions = new UiSessions(2, () => now);
  const a = sessions.create(alice, 2000);
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.session.csrfToken, a.id);
  assert.equal(sessions.find(a.id)?.principal.name, 'alice');
  assert.equal(sessions.find(`${a.id}x`), undefined);
  const b = sessions.create(alice, 5000);
  const c = sessions.create(alice, 5000);
  assert.equal(sessions.size, 2);
  assert.equal(sessions.find(a.id), undefined, 'the oldest was dropped');
  assert.ok(sessions.find(b.id));
  sessions.end(b.id);
  assert.equal(sessions.find(b.id), undefined);
  now = 5000;
  assert.equal(sessions.find(c.id), undefined, 'expired');
  assert.equal(sessions.size, 0);
});

test('cookies: parsed by name; Set-Cookie is HttpOnly and SameSite=Lax, Secure when asked', () => {
  assert.equal(cookieValue('a=1; skein_session=abc; b=2', 'skein_session'), 'abc');
  assert.equal(cookieValue('xskein_session=abc', 'skein_session'), undefined);
  assert.equal(cookieValue(undefined, 'skein_session'), undefined);
  assert.equal(
    cookieHeader('skein_session', 'v', { path: '/', maxAgeSeconds: 60.7, secure: false }),
    'skein_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax',
  );
  assert.match(
    cookieHeader('skein_session', '', { path: '/', maxAgeSeconds: -5, secure: true }),
    /Max-Age=0; HttpOnly; SameSite=Lax; Secure$/,
  );
});

test('CSRF: the own origin (or the configured one) and the session token, else a coded 403 saying what to send', () => {
  const { session } = new UiSessions().create(alice, Date.now() + 60_000);
  const req = (headers: Record<string, string>) =>
    ({
      headers: { host: 'skein.test:16686', ...headers },
      socket: {},
    }) as unknown as IncomingMessage;
  const own = 'http://skein.test:16686';
  checkCsrf(req({ origin: own, 'x-csrf-token': session.csrfToken }), session, undefined);
  checkCsrf(
    req({ origin: 'https://skein.example.com', 'x-csrf-token': session.csrfToken }),
    session,
    'https://skein.example.com',
  );
  const refused = (headers: Record<string, string>, why: RegExp) =>
    assert.throws(
      () => checkCsrf(req(headers), session, undefined),
      (err: Error & { code?: string; statusCode?: number }) =>
        err.code === 'SKEIN_CSRF_REJECTED' &&
        err.statusCode === 403 &&
        why.test(err.message) &&
        /X-CSRF-Token/.test(err.message),
    );
  refused({ 'x-csrf-token': session.csrfToken }, /no Origin header/);
  refused({ origin: 'http://evil.test', 'x-csrf-token': session.csrfToken }, /another origin/);
  refused({ origin: own }, /header is missing/);
  refused({ origin: own, 'x-csrf-token': 'nope' }, /not this session's token/);
});

test('returnTo stays on this site', () => {
  assert.equal(localPath('/trace/abc?x=1'), '/trace/abc?x=1');
  for (const bad of [undefined, 'https://evil.test/', '//evil.test/', '/\\evil.test', 'search'])
    assert.equal(localPath(bad), '/');
});

test('security.oidc sign-in keys: compiled, and refused with a message naming the key', () => {
  const config = structuredClone(defaultConfig);
  config.security.oidc.issuer = 'https://login.example.com';
  assert.equal(compileSecuritySettings(config).oidc?.login, undefined);
  config.security.oidc.clientId = 'skein-ui';
  config.security.oidc.loginScope = 'profile roles';
  const login = compileSecuritySettings(config).oidc?.login;
  assert.equal(login?.scope, 'openid profile roles');
  assert.equal(login?.clientSecret, undefined);
  assert.equal(login?.sessionTtlMs, 8 * 3600 * 1000);
  config.security.oidc.redirectUrl = 'https://skein.example.com/elsewhere';
  assert.throws(
    () => compileSecuritySettings(config),
    /security\.oidc\.redirectUrl.*\/login\/callback/,
  );
  config.security.oidc.redirectUrl = '';
  config.security.oidc.sessionTtlSeconds = 0;
  assert.throws(() => compileSecuritySettings(config), /sessionTtlSeconds/);
  const noIssuer = structuredClone(defaultConfig);
  noIssuer.security.oidc.clientId = 'skein-ui';
  assert.throws(
    () => compileSecuritySettings(noIssuer),
    /security\.oidc\.clientId.*issuer is empty/,
  );
});
