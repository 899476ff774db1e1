import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

const TOKEN = 'tls-test-token-with-every-scope';

/** A test PKI made by Debian's openssl: a CA, a server certificate for 127.0.0.1, client certificates. */
function makePki(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
    );
  const leaf = (name: string, caName: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  ca('test-ca');
  ca('other-ca');
  leaf(
    'server',
    'test-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  leaf(
    'server2',
    'test-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    ca: read('test-ca.crt'),
    client: { cert: read('client.crt'), key: read('client.key') },
    stranger: { cert: read('stranger.crt'), key: read('stranger.key') },
  };
}

/** GET over HTTPS trusting the test CA; resolves with the status and the server certificate's fingerprint. */
function httpsGet(
  url: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sendTrace(service: string, inner: SpanExporter): Promise<CountingExporter> {
  const exporter = new CountingExporter(inner);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  provider.getTracer('tls-e2e').startSpan('GET /tls').end();
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return exporter;
}

describe('TLS on every TCP listener, mTLS on the receivers (a real skein, an openssl test CA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-tls-'));
  let pki: ReturnType<typeof makePki>;
  let skein: SkeinProcess;
  before(async () => {
    pki = makePki(dir);
    skein = await startSkein('all', [
      '--storage.duckdb.path=:memory:',
      `--security.tokens=${JSON.stringify([{ name: 'all', secret: TOKEN, scopes: ['ingest', 'read', 'admin'] }])}`,
      `--security.tls.certFile=${join(dir, 'server.crt')}`,
      `--security.tls.keyFile=${join(dir, 'server.key')}`,
      `--security.tls.clientCaFile=${join(dir, 'test-ca.crt')}`,
    ]);
  });
  after(async () => {
    await skein?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the banner lists https URLs; query, admin and sampling answer over TLS without a client certificate', async () => {
    for (const name of ['query', 'admin', 'sampling-http', 'otlp-http', 'zipkin'])
      assert.match(
        skein.urls.get(name) ?? '',
        /^https:\/\/127\.0\.0\.1:\d+$/,
        `${name}: ${skein.output.join('\n')}`,
      );
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal(
      (await httpsGet(`${skein.urls.get('query')}/api/services`, pki.ca, auth)).status,
      200,
    );
    assert.equal((await httpsGet(`${skein.urls.get('admin')}/metrics`, pki.ca, auth)).status, 200);
    assert.equal(
      (await httpsGet(`${skein.urls.get('sampling-http')}/sampling?service=a`, pki.ca, auth))
        .status,
      200,
    );
    // Plain HTTP to a TLS port gets no answer.
    await assert.rejects(
      fetch(`${skein.urls.get('query')?.replace('https:', 'http:')}/api/services`),
    );
  });

  test('TLS 1.1 and older are refused; 1.2 is accepted', async () => {
    const port = Number(new URL(skein.urls.get('query') ?? '').port);
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect(
          { host: '127.0.0.1', port, ca: pki.ca, maxVersion, minVersion: 'TLSv1' },
          () => {
            const v = s.getProtocol() ?? '';
            s.end();
            resolve(v);
          },
        );
        s.on('error', reject);
      });
    assert.equal(await handshake('TLSv1.2'), 'TLSv1.2');
    await assert.rejects(handshake('TLSv1.1'));
  });

  test('receivers require a client certificate from the configured CA (OTel exporters over HTTP protobuf, HTTP JSON and gRPC, a grpc-js client)', async () => {
    const otlpHttp = `${skein.urls.get('otlp-http')}/v1/traces`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const withCert = await sendTrace(
      'mtls-proto',
      new ProtoExporter({
        url: otlpHttp,
        headers: auth,
        httpAgentOptions: { ca: pki.ca, ...pki.client },
      }),
    );
    assert.equal(withCert.failed, 0, String(withCert.lastError));
    const jsonWithCert = await sendTrace(
      'mtls-json',
      new JsonExporter({
        url: otlpHttp,
        headers: auth,
        httpAgentOptions: { ca: pki.ca, ...pki.client },
      }),
    );
    assert.equal(jsonWithCert.failed, 0, String(jsonWithCert.lastError));
    const noCert = await sendTrace(
      'no-cert-proto',
      new ProtoExporter({ url: otlpHttp, headers: auth, httpAgentOptions: { ca: pki.ca } }),
    );
    assert.equal(noCert.exported, 0);
    const strangerCert = await sendTrace(
      'stranger-proto',
      new ProtoExporter({
        url: otlpHttp,
        headers: auth,
        httpAgentOptions: { ca: pki.ca, ...pki.stranger },
      }),
    );
    assert.equal(strangerCert.exported, 0);

    const grpcAddress = (skein.urls.get('otlp-grpc') ?? '').replace(/^https?:\/\//, '');
    const md = new Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    const grpcOk = await sendTrace(
      'mtls-grpc',
      new GrpcExporter({
        url: `https://${grpcAddress}`,
        metadata: md,
        credentials: credentials.createSsl(pki.ca, pki.client.key, pki.client.cert),
      }),
    );
    assert.equal(grpcOk.failed, 0, String(grpcOk.lastError));

    const call = (creds: ReturnType<typeof credentials.createSsl>) =>
      new Promise<number>((resolve) => {
        const client = new Client(grpcAddress, creds);
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          md,
          { deadline: Date.now() + 5000 },
          (err: ServiceError | null) => {
            client.close();
            resolve(err === null ? status.OK : err.code);
          },
        );
      });
    assert.equal(
      await call(credentials.createSsl(pki.ca, pki.client.key, pki.client.cert)),
      status.OK,
    );
    assert.equal(await call(credentials.createSsl(pki.ca)), status.UNAVAILABLE);
    assert.equal(
      await call(credentials.createSsl(pki.ca, pki.stranger.key, pki.stranger.cert)),
      status.UNAVAILABLE,
    );

    const query = skein.urls.get('query') ?? '';
    await eventually(async () => {
      const res = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          `${query}/api/services`,
          { ca: pki.ca, headers: auth, agent: false },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => resolve(body));
          },
        );
        req.on('error', reject);
        req.end();
      });
      const services = (JSON.parse(res) as { data: string[] }).data;
      return ['mtls-proto', 'mtls-json', 'mtls-grpc'].every((s) => services.includes(s))
        ? true
        : undefined;
    }, 'the mTLS senders to be queryable');
  });

  test('a renewed certificate is served to new connections without a restart', async () => {
    const query = `${skein.urls.get('query')}/api/services`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const before = await httpsGet(query, pki.ca, auth);
    const next = new X509Certificate(readFileSync(join(dir, 'server2.crt')));
    assert.notEqual(before.fingerprint, next.fingerprint256);
    // Replaced the way a certificate manager does: the key first, then the certificate, each atomically.
    writeFileSync(join(dir, 'server.key.tmp'), readFileSync(join(dir, 'server2.key')));
    renameSync(join(dir, 'server.key.tmp'), join(dir, 'server.key'));
    writeFileSync(join(dir, 'server.crt.tmp'), readFileSync(join(dir, 'server2.crt')));
    renameSync(join(dir, 'server.crt.tmp'), join(dir, 'server.crt'));
    await eventually(async () => {
      const now = await httpsGet(query, pki.ca, auth).catch(() => undefined);
      return now?.fingerprint === next.fingerprint256 && now.status === 200 ? true : undefined;
    }, 'the query port to serve the new certificate');
    // gRPC follows too.
    const grpcAddress = (skein.urls.get('otlp-grpc') ?? '').replace(/^https?:\/\//, '');
    const port = Number(grpcAddress.split(':')[1]);
    await eventually(async () => {
      const fp = await new Promise<string>((resolve, reject) => {
        const s = tlsConnect(
          { host: '127.0.0.1', port, ca: pki.ca, ALPNProtocols: ['h2'], ...pki.client },
          () => {
            const f = s.getPeerCertificate().fingerprint256;
            s.end();
            resolve(f);
          },
        );
        s.on('error', reject);
      }).catch(() => '');
      return fp === next.fingerprint256 ? true : undefined;
    }, 'the OTLP gRPC port to serve the new certificate');
  });
});
