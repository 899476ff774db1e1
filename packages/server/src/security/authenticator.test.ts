import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Registry } from 'prom-client';
import { defaultConfig, type SkeinConfig } from '../config/config.ts';
import { isSkeinError } from '../errors.ts';
import { Authenticator, type Credentials } from './authenticator.ts';
import type { RequestIdentity } from './principal.ts';
import { compileSecuritySettings, secretDigest } from './security-settings.ts';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const INGEST_SECRET = 'ingest-secret-0123456789';
const READ_SECRET = 'read-secret-0123456789ab';

function config(security: Partial<SkeinConfig['security']>): SkeinConfig {
  const c = structuredClone(defaultConfig);
  c.security = { ...c.security, ...security };
  return c;
}

function tokensConfig(): SkeinConfig {
  return config({
    tokens: [
      { name: 'shop-ingest', secret: INGEST_SECRET, scopes: ['ingest'], tenant: 'shop' },
      {
        name: 'reader',
        secret: `sha256:${secretDigest(READ_SECRET).toString('hex')}`,
        scopes: ['read'],
      },
    ],
  });
}

function creds(authorization?: string, tenant?: string, source = '10.0.0.1'): Credentials {
  return { authorization, tenant, source };
}

/** The coded error `fn` throws (or its promise rejects with). */
async function refusal(
  fn: () => unknown,
): Promise<{ code: string; message: string; retry?: number }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isSkeinError(err), `expected a coded error, got ${String(err)}`);
    return { code: err.code, message: err.message, retry: err.retryAfterSeconds };
  }
  assert.fail('expected a refusal');
}

test('auth off (no credentials configured): everyone is anonymous with every scope, tenant from the header', () => {
  const auth = new Authenticator(compileSecuritySettings(config({})), new Registry());
  assert.equal(auth.enforced, false);
  const id = auth.authenticate(creds(undefined, 'acme'), 'admin', 'query') as RequestIdentity;
  assert.equal(id.principal.via, 'anonymous');
  assert.equal(id.tenant, 'acme');
});

test('static tokens: found by their hash (plain or sha256: in config), scope and tenant enforced', async () => {
  const registry = new Registry();
  const auth = new Authenticator(compileSecuritySettings(tokensConfig()), registry);
  assert.equal(auth.enforced, true);

  const ingest = auth.authenticate(creds(`Bearer ${INGEST_SECRET}`), 'ingest', 'otlp-http');
  assert.ok(!(ingest instanceof Promise));
  assert.equal(ingest.principal.name, 'shop-ingest');
  assert.equal(ingest.tenant, 'shop', 'a bound token acts for its tenant');

  const read = auth.authenticate(creds(`bearer ${READ_SECRET}`, 'team-a'), 'read', 'query');
  assert.ok(!(read instanceof Promise));
  assert.equal(read.principal.name, 'reader');
  assert.equal(read.tenant, 'team-a', 'an unbound token takes the tenant header');

  // Basic auth: the secret is the password.
  const basic = Buffer.from(`anyone:${INGEST_SECRET}`).toString('base64');
  assert.equal(
    (auth.authenticate(creds(`Basic ${basic}`), 'ingest', 'zipkin') as RequestIdentity).principal
      .name,
    'shop-ingest',
  );

  assert.equal(
    (await refusal(() => auth.authenticate(creds(), 'read', 'query'))).code,
    'SKEIN_UNAUTHENTICATED',
  );
  const bad = await refusal(() =>
    auth.authenticate(creds('Bearer nope-nope-nope'), 'read', 'query'),
  );
  assert.equal(bad.code, 'SKEIN_UNAUTHENTICATED');
  assert.match(bad.message, /not one Skein knows.*"read" scope/);
  const scope = await refusal(() =>
    auth.authenticate(creds(`Bearer ${READ_SECRET}`), 'ingest', 'otlp-grpc'),
  );
  assert.equal(scope.code, 'SKEIN_PERMISSION_DENIED');
  assert.match(scope.message, /"reader" has read; this endpoint needs the "ingest" scope/);
  const tenant = await refusal(() =>
    auth.authenticate(creds(`Bearer ${INGEST_SECRET}`, 'other'), 'ingest', 'otlp-http'),
  );
  assert.equal(tenant.code, 'SKEIN_PERMISSION_DENIED');
  assert.match(tenant.message, /bound to tenant "shop" and cannot act for "other"/);
  // Naming its own tenant is fine.
  assert.equal(
    (auth.authenticate(creds(`Bearer ${INGEST_SECRET}`, 'shop'), 'ingest', 'x') as RequestIdentity)
      .tenant,
    'shop',
  );
  assert.equal(
    (await refusal(() => auth.authenticate(creds(`Bearer ${READ_SECRET}`, 'a b'), 'read', 'q')))
      .code,
    'SKEIN_INVALID_PARAMETER',
  );
  // Public routes need nothing even with auth on.
  assert.equal(
    (auth.authenticate(creds(), 'public', 'admin') as RequestIdentity).principal.via,
    'anonymous',
  );

  const text = await registry.metrics();
  assert.match(text, /skein_auth_failures_total\{listener="query",reason="missing"\} 1/);
  assert.match(text, /skein_auth_failures_total\{listener="query",reason="bad_token"\} 1/);
  assert.match(text, /skein_auth_failures_total\{listener="otlp-grpc",reason="scope"\} 1/);
  assert.match(text, /skein_auth_failures_total\{listener="otlp-http",reason="tenant"\} 1/);
});

test('failed attempts are limited per source: 429 with Retry-After until the minute ends, others unaffected', async () => {
  let now = 1_000_000;
  const c = tokensConfig();
  c.security.maxFailuresPerMinute = 3;
  const registry = new Registry();
  const auth = new Authenticator(compileSecuritySettings(c), registry, { now: () => now });
  for (let i = 0; i < 4; i++) {
    assert.equal(
      (
        await refusal(() =>
          auth.authenticate(
            creds('Bearer wrong-wrong-wrong', undefined, '10.9.9.9'),
            'read',
            'query',
          ),
        )
      ).code,
      'SKEIN_UNAUTHENTICATED',
    );
  }
  // Even the right token is refused from that address now...
  const limited = await refusal(() =>
    auth.authenticate(creds(`Bearer ${READ_SECRET}`, undefined, '10.9.9.9'), 'read', 'query'),
  );
  assert.equal(limited.code, 'SKEIN_AUTH_RATE_LIMITED');
  assert.equal(limited.retry, 60);
  // ...but not from another one.
  assert.ok(
    auth.authenticate(creds(`Bearer ${READ_SECRET}`, undefined, '10.1.1.1'), 'read', 'query'),
  );
  now += 30_000;
  assert.equal(
    (
      await refusal(() =>
        auth.authenticate(creds(`Bearer ${READ_SECRET}`, undefined, '10.9.9.9'), 'read', 'q'),
      )
    ).retry,
    30,
  );
  now += 30_000;
  assert.equal(
    (
      auth.authenticate(
        creds(`Bearer ${READ_SECRET}`, undefined, '10.9.9.9'),
        'read',
        'q',
      ) as RequestIdentity
    ).principal.name,
    'reader',
  );
  assert.match(await registry.metrics(), /listener="query",reason="rate_limited"\} 1/);
  assert.match(await registry.metrics(), /listener="q",reason="rate_limited"\} 1/);
});

test('token settings are checked: short secrets, bad hashes, unknown scopes, duplicates, auth on without credentials', () => {
  const bad: [Partial<SkeinConfig['security']>, RegExp][] = [
    [{ tokens: [{ name: 'a', secret: 'short', scopes: ['read'] }] }, /at least 16/],
    [{ tokens: [{ name: 'a', secret: 'sha256:abc', scopes: ['read'] }] }, /64 hex digits/],
    [
      { tokens: [{ name: 'a', secret: INGEST_SECRET, scopes: ['write'] }] },
      /unknown scope "write"/,
    ],
    [
      {
        tokens: [
          { name: 'a', secret: INGEST_SECRET, scopes: ['read'] },
          { name: 'b', secret: INGEST_SECRET, scopes: ['ingest'] },
        ],
      },
      /same secret as "a"/,
    ],
    [
      { tokens: [{ name: 'a', secret: INGEST_SECRET, scopes: ['read'], tenant: 'no spaces' }] },
      /tenant/,
    ],
    [{ auth: 'on' }, /no credentials are configured/],
    [{ auth: 'maybe' }, /auto, on or off/],
    [
      { oidc: { ...defaultConfig.security.oidc, issuer: 'http://idp.example.com' } },
      /must be https/,
    ],
  ];
  for (const [security, message] of bad) {
    assert.throws(() => compileSecuritySettings(config(security)), message);
  }
  assert.equal(
    compileSecuritySettings(config({ auth: 'off', tokens: tokensConfig().security.tokens }))
      .enforced,
    false,
  );
});

/** A JWKS endpoint and OIDC discovery on a loopback port, with keys that can be rotated. */
async function startIssuer(): Promise<{
  issuer: string;
  keys: { kid: string; privateKey: PrivateKey; jwk: JWK }[];
  rotate(): Promise<void>;
  jwksFetches: number;
  server: Server;
}> {
  const state = {
    issuer: '',
    keys: [] as { kid: string; privateKey: PrivateKey; jwk: JWK }[],
    jwksFetches: 0,
    server: undefined as unknown as Server,
    async rotate() {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = `k${state.keys.length + 1}`;
      state.keys.push({
        kid,
        privateKey,
        jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' },
      });
    },
  };
  await state.rotate();
  state.server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: state.issuer, jwks_uri: `${state.issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      state.jwksFetches++;
      res.setHeader('content-type', 'application/json');
      // Only the newest key is published: an old key's tokens stop verifying.
      res.end(JSON.stringify({ keys: [state.keys[state.keys.length - 1].jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

test('OIDC: JWTs verified against the discovered JWKS; scopes and tenant from claims; rotation; expiry', async (t) => {
  const idp = await startIssuer();
  t.after(() => idp.server.close());
  const c = config({
    oidc: {
      ...defaultConfig.security.oidc,
      issuer: idp.issuer,
      audience: 'skein',
      scopesClaim: 'realm_access.roles',
      tenantClaim: 'org',
    },
  });
  const auth = new Authenticator(compileSecuritySettings(c), new Registry(), { jwksCooldownMs: 0 });
  const sign = (claims: Record<string, unknown>, key = idp.keys[idp.keys.length - 1], exp = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(idp.issuer)
      .setAudience('skein')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key.privateKey);

  const jwt = await sign({ realm_access: { roles: ['skein:read', 'other'] }, org: 'acme' });
  const id = await auth.authenticate(creds(`Bearer ${jwt}`), 'read', 'query');
  assert.equal(id.principal.via, 'oidc');
  assert.equal(id.principal.name, 'alice');
  assert.deepEqual([...id.principal.scopes], ['read']);
  assert.equal(id.tenant, 'acme');
  assert.equal(
    (await refusal(() => auth.authenticate(creds(`Bearer ${jwt}`), 'admin', 'admin'))).code,
    'SKEIN_PERMISSION_DENIED',
  );
  assert.equal(
    (await refusal(() => auth.authenticate(creds(`Bearer ${jwt}`, 'globex'), 'read', 'query')))
      .code,
    'SKEIN_PERMISSION_DENIED',
  );

  const expired = await refusal(async () =>
    auth.authenticate(
      creds(
        `Bearer ${await sign({ realm_access: { roles: ['skein:read'] }, org: 'acme' }, undefined, '-1m')}`,
      ),
      'read',
      'query',
    ),
  );
  assert.equal(expired.code, 'SKEIN_UNAUTHENTICATED');
  assert.match(expired.message, /expired/);

  const fetchesBefore = idp.jwksFetches;
  await idp.rotate();
  const rotated = await sign({ realm_access: { roles: ['skein:read'] }, org: 'acme' });
  assert.equal(
    (await auth.authenticate(creds(`Bearer ${rotated}`), 'read', 'query')).tenant,
    'acme',
  );
  assert.ok(idp.jwksFetches > fetchesBefore, 'an unknown key id fetched the JWKS again');

  // A token whose claims lack the tenant is refused (the tenant claim is configured).
  const noTenant = await refusal(async () =>
    auth.authenticate(
      creds(`Bearer ${await sign({ realm_access: { roles: ['skein:read'] } })}`),
      'read',
      'query',
    ),
  );
  assert.match(noTenant.message, /no usable tenant claim "org"/);
  // A token signed by a key the issuer does not publish is refused.
  const forged = await generateKeyPair('ES256');
  const foreign = await new SignJWT({ realm_access: { roles: ['skein:read'] }, org: 'acme' })
    .setProtectedHeader({ alg: 'ES256', kid: idp.keys[idp.keys.length - 1].kid })
    .setIssuer(idp.issuer)
    .setAudience('skein')
    .setExpirationTime('5m')
    .sign(forged.privateKey);
  const forgedRefusal = await refusal(() =>
    auth.authenticate(creds(`Bearer ${foreign}`), 'read', 'query'),
  );
  assert.equal(forgedRefusal.code, 'SKEIN_UNAUTHENTICATED');
  assert.match(forgedRefusal.message, /signature/);
});
