import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../src/config/config.ts';
import { createQueryApp } from '../../src/query/query-app.ts';
import { SecurityLayer } from '../../src/security/security-layer.ts';
import { browserTestsUnavailable, launchChromium } from '../ui/browser.ts';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/**
 * The UI's OIDC sign-in against a real provider (panva's oidc-provider, on a loopback
 * port, with its development login and consent pages): chromium signs in end to end,
 * the session cookie is HttpOnly and SameSite, cookie-signed POSTs need the CSRF token,
 * sign-out ends the session, a short session expires; bearer JWTs follow a key
 * rotation without a restart, and expired or rotated-away ones are refused.
 */

const CLIENT_ID = 'skein-ui';
const CLIENT_SECRET = 'oidc-login-test-client-secret-0001';
const INGEST_SECRET = 'oidc-login-test-ingest-secret-01';
const API_AUDIENCE = 'skein-api';

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateJwk, privateKey };
}

/** A bearer JWT from the issuer, signed with `key`. */
function bearer(
  issuer: string,
  key: SigningKey,
  options: { roles?: string; expiresAt?: number; audience?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ skein_roles: options.roles ?? 'skein:read' })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(issuer)
    .setSubject('script')
    .setAudience(options.audience ?? API_AUDIENCE)
    .setIssuedAt(now - 120)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(key.privateKey);
}

function makeProvider(issuer: string, redirectUris: string[], key: SigningKey): Provider {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: redirectUris,
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: ['oidc-login-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 3600 },
    claims: { openid: ['sub'], profile: ['name'], skein: ['skein_roles', 'org'] },
    // The ID token carries the scopes claim itself (as Skein maps it), not only userinfo.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, name: sub, org: 'acme', skein_roles: ['skein:read', 'skein:ingest'] }),
    }),
  });
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider:', err));
  return provider;
}

async function postSpans(otlpHttp: string): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const res = await fetch(`${otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_SECRET}` },
    body: JSON.stringify(traceBody(now)),
  });
  assert.equal(res.status, 200, await res.text());
}

function traceBody(now: bigint): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'GET /cart',
                kind: 2,
                startTimeUnixNano: String(now - 2_000_000n),
                endTimeUnixNano: String(now),
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Signs in through the provider's development pages (any login and password). */
async function signIn(page: Page, skein: string, issuer: string, user: string): Promise<void> {
  await page.goto(`${skein}/search`);
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  await page.locator('input[name=login]').fill(user);
  await page.locator('input[name=password]').fill('any-password');
  await page.locator('button[type=submit]').click();
  await page.locator('button', { hasText: 'Continue' }).click();
  // 'commit': the callback has answered (the session started); the page may still load.
  await page.waitForURL(`${skein}/search`, { waitUntil: 'commit' });
}

const skipReason = browserTestsUnavailable();

describe('OIDC sign-in for the UI, with a real provider', { skip: skipReason ?? false }, () => {
  let dir: string;
  let server: Server;
  let provider: Provider;
  let handler: ReturnType<Provider['callback']>;
  let issuer: string;
  let key1: SigningKey;
  let key2: SigningKey;
  let skein: SkeinProcess;
  let shortSkein: SkeinProcess;
  let query: string;
  let shortQuery: string;
  let browser: Browser;
  let redirectUris: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-oidc-'));
    [key1, key2] = await Promise.all([signingKey('key-1'), signingKey('key-2')]);
    // The provider is made once Skein's ports (its redirect URIs) are known; the
    // server delegates to whichever provider is current (a key rotation swaps it).
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = (ttl: number, tenantClaim: string) => `
security:
  tokens:
    - { name: ingest, secret: "${INGEST_SECRET}", scopes: [ingest] }
  oidc:
    issuer: "${issuer}"
    audience: ${API_AUDIENCE}
    scopesClaim: skein_roles
    jwksCooldownSeconds: 0
    clientId: ${CLIENT_ID}
    clientSecret: "\${env:SKEIN_TEST_OIDC_CLIENT_SECRET}"
    loginScope: openid profile skein
    sessionTtlSeconds: ${ttl}
    tenantClaim: "${tenantClaim}"
`;
    writeFileSync(join(dir, 'skein.yaml'), config(3600, ''));
    writeFileSync(join(dir, 'short.yaml'), config(5, 'org'));
    process.env.SKEIN_TEST_OIDC_CLIENT_SECRET = CLIENT_SECRET;
    [skein, shortSkein, browser] = await Promise.all([
      startSkein('all', ['--config', join(dir, 'skein.yaml'), `--storage.duckdb.path=:memory:`]),
      startSkein('all', ['--config', join(dir, 'short.yaml'), `--storage.duckdb.path=:memory:`]),
      launchChromium(),
    ]);
    query = skein.urls.get('query')!;
    shortQuery = shortSkein.urls.get('query')!;
    redirectUris = [`${query}/login/callback`, `${shortQuery}/login/callback`];
    provider = makeProvider(issuer, redirectUris, key1);
    handler = provider.callback();
    await postSpans(skein.urls.get('otlp-http')!);
    const token = await bearer(issuer, key1);
    await eventually(async () => {
      const res = await fetch(`${query}/api/services`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { data?: string[] };
      return body.data?.includes('checkout') === true ? true : undefined;
    }, 'the checkout service to be queryable with a bearer JWT');
  });

  after(async () => {
    await browser?.close();
    await Promise.all([skein?.stop(), shortSkein?.stop()]);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('an API call without credentials gets 401; a browser navigation goes to /login, and /login to the issuer with PKCE', async () => {
    const api = await fetch(`${query}/api/services`);
    assert.equal(api.status, 401);
    assert.match(api.headers.get('www-authenticate') ?? '', /^Bearer realm="skein"/);
    const page = await fetch(`${query}/search?x=1`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'manual',
    });
    assert.equal(page.status, 302);
    assert.equal(
      page.headers.get('location'),
      `/login?returnTo=${encodeURIComponent('/search?x=1')}`,
    );
    // The app's own files load without a session (they hold no data): only navigations move.
    const code = await fetch(`${query}/`, { headers: { accept: '*/*' } });
    assert.equal(code.status, 200);

    const login = await fetch(`${query}/login?returnTo=/search`, { redirect: 'manual' });
    assert.equal(login.status, 302);
    const to = new URL(login.headers.get('location')!);
    assert.equal(to.origin, issuer);
    assert.equal(to.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    assert.match(to.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((to.searchParams.get('state') ?? '').length >= 20);
    assert.ok((to.searchParams.get('nonce') ?? '').length >= 20);
    assert.equal(to.searchParams.get('redirect_uri'), `${query}/login/callback`);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(
      cookie,
      /^skein_login=[A-Za-z0-9_-]{43}; Path=\/login; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );

    // A callback in a browser that started no sign-in, or with a forged state, is refused.
    const stray = await fetch(`${query}/login/callback?code=x&state=y`, { redirect: 'manual' });
    assert.equal(stray.status, 401);
    assert.match(await stray.text(), /SKEIN_LOGIN_FAILED|no sign-in under way/);
    const forged = await fetch(`${query}/login/callback?code=x&state=forged`, {
      headers: { cookie: cookie.split(';')[0] },
      redirect: 'manual',
    });
    assert.equal(forged.status, 401);
    assert.match(await forged.text(), /sign-in failed/);
  });

  test('chromium signs in at the provider, sees the services, POSTs only with the CSRF token, and signs out', async () => {
    const context: BrowserContext = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, query, issuer, 'alice');
      await page
        .locator('select[name=service] option', { hasText: 'checkout' })
        .waitFor({ state: 'attached' });
      assert.equal(await page.locator('.session-name').textContent(), 'alice');

      const cookies = await context.cookies(query);
      const session = cookies.find((c) => c.name === 'skein_session');
      assert.ok(session, 'the session cookie is set');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(session.path, '/');
      assert.equal(session.secure, false, 'plain-HTTP listener without cookieSecure');
      assert.ok(session.expires > Date.now() / 1000 && session.expires < Date.now() / 1000 + 3700);
      assert.equal(
        cookies.some((c) => c.name === 'skein_login'),
        false,
        'the sign-in cookie is cleared',
      );
      assert.equal(
        await page.evaluate(() =>
          (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes(
            'skein_session',
          ),
        ),
        false,
        'scripts cannot read the session cookie',
      );

      const sessionInfo = (await page.evaluate(() =>
        fetch('/api/session').then((r) => r.json()),
      )) as { signedIn: boolean; name: string; scopes: string[]; csrfToken: string };
      assert.equal(sessionInfo.signedIn, true);
      assert.equal(sessionInfo.name, 'alice');
      assert.deepEqual([...sessionInfo.scopes].sort(), ['ingest', 'read']);

      const body = JSON.stringify(traceBody(BigInt(Date.now()) * 1_000_000n));
      const post = (csrf: string | null) =>
        page.evaluate(
          async ([b, token]) => {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (token !== null) headers['x-csrf-token'] = token;
            const r = await fetch('/api/transform', { method: 'POST', headers, body: b });
            return { status: r.status, text: await r.text() };
          },
          [body, csrf] as const,
        );
      const without = await post(null);
      assert.equal(without.status, 403);
      assert.match(without.text, /X-CSRF-Token header is missing/);
      const wrong = await post('not-the-token');
      assert.equal(wrong.status, 403);
      assert.match(wrong.text, /not this session's token/);
      const right = await post(sessionInfo.csrfToken);
      assert.equal(right.status, 200, right.text);

      // The cookie from another origin: refused even with the right token.
      const cookieHeader = `skein_session=${session.value}`;
      const crossSite = await fetch(`${query}/api/transform`, {
        method: 'POST',
        headers: {
          cookie: cookieHeader,
          origin: 'http://evil.example',
          'content-type': 'application/json',
          'x-csrf-token': sessionInfo.csrfToken,
        },
        body,
      });
      assert.equal(crossSite.status, 403);
      assert.match(await crossSite.text(), /another origin/);
      // A bearer token needs no CSRF token.
      const withBearer = await fetch(`${query}/api/transform`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await bearer(issuer, key1)}`,
          'content-type': 'application/json',
        },
        body,
      });
      assert.equal(withBearer.status, 200);
      // The cookie is credentials for GETs from anywhere a browser would send it.
      assert.equal(
        (await fetch(`${query}/api/services`, { headers: { cookie: cookieHeader } })).status,
        200,
      );
      // The ingest port does not take the session cookie.
      const ingest = await fetch(`${skein.urls.get('otlp-http')}/v1/traces`, {
        method: 'POST',
        headers: { cookie: cookieHeader, 'content-type': 'application/json' },
        body,
      });
      assert.equal(ingest.status, 401);

      await page.locator('button.sign-out').click();
      await page.locator('.session', { hasText: 'Signed out' }).waitFor();
      assert.equal(
        (await context.cookies(query)).some((c) => c.name === 'skein_session'),
        false,
        'sign-out clears the cookie',
      );
      const after = await fetch(`${query}/api/services`, { headers: { cookie: cookieHeader } });
      assert.equal(after.status, 401, 'the session ended on the server, not only in the browser');
      assert.match(await after.text(), /session has ended/);
    } finally {
      await context.close();
    }
  });

  test('a session ends at sessionTtlSeconds: its cookie is refused with 401 afterwards', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, shortQuery, issuer, 'bob');
      const session = (await context.cookies(shortQuery)).find((c) => c.name === 'skein_session');
      assert.ok(session);
      assert.ok(
        session.expires <= Date.now() / 1000 + 6,
        'the cookie lasts no longer than the session',
      );
      const headers = { cookie: `skein_session=${session.value}` };
      const first = await fetch(`${shortQuery}/api/session`, { headers });
      // Claims map as a bearer JWT's do: here the tenant claim binds the session to "acme".
      const info = (await first.json()) as { name?: string; tenant?: string };
      assert.equal(info.name, 'bob');
      assert.equal(info.tenant, 'acme');
      const refused = await eventually(async () => {
        const res = await fetch(`${shortQuery}/api/services`, { headers });
        return res.status === 401 ? res : undefined;
      }, 'the 5 s session to expire');
      assert.match(await refused.text(), /session has ended/);
    } finally {
      await context.close();
    }
  });

  test('cookieSecure marks the cookies Secure on plain HTTP and the redirect URI follows the Host; without a client id the routes say sign-in is off', async () => {
    const logger = pino({ level: 'silent' });
    const app = async (clientId: string) => {
      const config = structuredClone(defaultConfig);
      config.security.oidc.issuer = issuer;
      config.security.oidc.clientId = clientId;
      config.security.oidc.cookieSecure = true;
      const layer = new SecurityLayer({ config, registry: new Registry(), logger });
      return createQueryApp({
        reader: {} as never,
        defaultLimit: 20,
        maxLimit: 100,
        protect: (a) => layer.fastify(a, 'query'),
      });
    };
    const withLogin = await app(CLIENT_ID);
    try {
      const res = await withLogin.inject({ url: '/login', headers: { host: 'skein.test:8080' } });
      assert.equal(res.statusCode, 302);
      assert.match(
        String(res.headers['set-cookie']),
        /^skein_login=.*; HttpOnly; SameSite=Lax; Secure$/,
      );
      assert.equal(
        new URL(String(res.headers.location)).searchParams.get('redirect_uri'),
        'http://skein.test:8080/login/callback',
      );
      const logout = await withLogin.inject({ method: 'POST', url: '/logout' });
      assert.equal(logout.statusCode, 200);
      assert.match(
        String(logout.headers['set-cookie']),
        /^skein_session=; Path=\/; Max-Age=0; .*Secure$/,
      );
    } finally {
      await withLogin.close();
    }
    const without = await app('');
    try {
      const res = await without.inject({ url: '/login' });
      assert.equal(res.statusCode, 404);
      assert.match(
        res.body,
        /sign-in is not configured here; set security\.oidc\.issuer and security\.oidc\.clientId/,
      );
      assert.deepEqual((await without.inject({ url: '/api/session' })).json(), {
        login: false,
        signedIn: false,
      });
    } finally {
      await without.close();
    }
  });

  test('bearer JWTs: expired or for another audience refused; after a key rotation the new key is accepted without a restart and the removed one refused', async () => {
    const expired = await fetch(`${query}/api/services`, {
      headers: {
        authorization: `Bearer ${await bearer(issuer, key1, { expiresAt: Math.floor(Date.now() / 1000) - 60 })}`,
      },
    });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(await expired.text(), /expired/);
    const otherAudience = await fetch(`${query}/api/services`, {
      headers: { authorization: `Bearer ${await bearer(issuer, key1, { audience: CLIENT_ID })}` },
    });
    assert.equal(otherAudience.status, 401);

    const withKey2 = await bearer(issuer, key2);
    const before = await fetch(`${query}/api/services`, {
      headers: { authorization: `Bearer ${withKey2}` },
    });
    assert.equal(before.status, 401, 'key-2 is not published yet');

    // The provider rotates: key-2 replaces key-1 in its JWKS.
    provider = makeProvider(issuer, redirectUris, key2);
    handler = provider.callback();
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      ['key-2'],
    );
    const rotated = await fetch(`${query}/api/services`, {
      headers: { authorization: `Bearer ${withKey2}` },
    });
    assert.equal(rotated.status, 200, await rotated.text());
    const removed = await fetch(`${query}/api/services`, {
      headers: { authorization: `Bearer ${await bearer(issuer, key1)}` },
    });
    assert.equal(removed.status, 401);
    assert.match(await removed.text(), /no key of the issuer's JWKS matches/);
  });
});
