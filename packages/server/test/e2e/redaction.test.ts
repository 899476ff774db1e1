import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/*
 * Redaction end to end: spans full of secrets go through the real OTel SDK and OTLP
 * exporter into `skein all` configured with issue 8's rule set; the query API returns
 * none of them, a hashed-value search by the clear text finds the trace, and after the
 * process stopped, every column of every table in the DuckDB file is scanned for them.
 */

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlMmUtdXNlciJ9.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const EMAIL = 'alice.e2e@example.com';

/** Every value that must not be stored, anywhere. */
const SECRETS = [
  'hunter2-e2e', // *.password → drop
  JWT, // authorization header → drop; also in a message → mask
  EMAIL, // user.email → hash
  '4111 1111 1111 1111', // card in a note → mask
  '5500-0000-0000-0004', // card in an exception stack trace → mask
  '+44 20 7946 0958', // phone → mask
  '203.0.113.77', // ipv4 → mask
  'secret-0123456789abcdef', // user regex → replace
  '078-05-1120', // SQL string literal → ?
  'tok-e2e-9f8e7d', // url token → ***
  'bob.e2e@example.com', // exception message → mask
  'carol.e2e@example.com', // link attribute → mask
  'dave.e2e@example.com', // status message → mask
  'erin.e2e@example.com', // event name → mask
  'ops-lead.e2e@example.com', // resource attribute → mask
];
/** A value that must be stored: proves the scans can see what is there. */
const MARKER = 'visible-marker-e2e-7c1f';

const CONFIG = `pipeline:
  processors:
    redaction:
      hashKey: \${env:E2E_REDACTION_HASH_KEY}
      rules:
        - keys: ["*.password", "http.request.header.authorization", "db.connection_string"]
          action: drop
        - keys: ["enduser.id", "user.email"]
          action: hash
        - values: [email, credit_card, phone, jwt, cn_id_card, ipv4]
          action: mask
        - values: ['secret-[0-9a-f]{16}']
          action: replace
          with: "[redacted]"
      sqlLiterals: true
      urlQuery: [token, key, password]
      spanNames: true
`;

async function sendSecrets(url: string): Promise<string> {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: `${url}/v1/traces` }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'redaction-e2e',
      'deploy.owner': 'ops-lead.e2e@example.com',
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('e2e-redaction', '1.0.0');
  const other = tracer.startSpan('other');
  other.end();
  const root = tracer.startSpan('GET /users/12345', {
    kind: SpanKind.SERVER,
    attributes: {
      'db.password': 'hunter2-e2e',
      'http.request.header.authorization': [`Bearer ${JWT}`],
      'user.email': EMAIL,
      'app.note': `card 4111 1111 1111 1111, call +44 20 7946 0958 from 203.0.113.77, token ${JWT}`,
      'app.key': 'secret-0123456789abcdef',
      'db.statement': "SELECT * FROM users WHERE ssn = '078-05-1120'",
      'url.full': 'https://shop.example.com/cb?token=tok-e2e-9f8e7d&x=1',
      'app.marker': MARKER,
    },
    links: [{ context: other.spanContext(), attributes: { 'link.note': 'carol.e2e@example.com' } }],
  });
  const error = new Error('payment failed for bob.e2e@example.com');
  error.stack = `Error: payment failed\n    at charge (card 5500-0000-0000-0004)\n    at main`;
  root.recordException(error);
  root.addEvent('mail to erin.e2e@example.com');
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'declined for dave.e2e@example.com' });
  const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), root));
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(exporter.failed, 0, `exporter reported ${exporter.lastError}`);
  assert.equal(exporter.exported, 3);
  return root.spanContext().traceId;
}

async function getJson(url: string): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

/** Polls until the trace is readable (the pipeline writes in batches). */
async function waitForTrace(query: string, traceId: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await getJson(`${query}/api/traces/${traceId}`);
    if (r.status === 200 && r.body.data?.[0]?.spans?.length === 2) return r;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} not readable: ${r.text}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('redaction, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-redaction-e2e-'));
  let skein: SkeinProcess | undefined;
  after(async () => {
    await skein?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('no secret reaches the query API or the DuckDB file; hashed search finds the trace', async () => {
    const configFile = join(dir, 'skein.yaml');
    writeFileSync(configFile, CONFIG);
    process.env.E2E_REDACTION_HASH_KEY = 'e2e-hash-key-0123456789abcdef';
    const data = join(dir, 'data');
    skein = await startSkein('all', [
      '--config',
      configFile,
      `--storage.duckdb.path=${data}`,
      '--pipeline.batch.maxDelayMs=50',
    ]);
    const query = skein.urls.get('query');
    const otlp = skein.urls.get('otlp-http');
    assert.ok(query && otlp, skein.output.join('\n'));

    const traceId = await sendSecrets(otlp);
    const legacy = await waitForTrace(query, traceId);
    for (const secret of SECRETS) {
      assert.ok(!legacy.text.includes(secret), `query API returned "${secret}"`);
    }
    assert.ok(legacy.text.includes(MARKER), 'the API returns what is not secret');

    const t = legacy.body.data[0];
    const root = t.spans.find((s: any) => s.operationName === 'GET /users/{id}');
    assert.ok(root, `span name templated: ${t.spans.map((s: any) => s.operationName)}`);
    const tag = (key: string) => root.tags.find((x: any) => x.key === key)?.value;
    assert.equal(tag('db.password'), undefined);
    assert.equal(tag('http.request.header.authorization'), undefined);
    assert.match(tag('user.email'), /^hmac:[A-Za-z0-9_-]{22}$/);
    assert.equal(tag('app.key'), '[redacted]');
    assert.equal(tag('db.statement'), 'SELECT * FROM users WHERE ssn = ?');
    assert.equal(tag('url.full'), 'https://shop.example.com/cb?token=***&x=1');
    assert.equal(tag('otel.status_description'), 'declined for ****.com');
    assert.ok(tag('skein.redacted') >= 12, `skein.redacted = ${tag('skein.redacted')}`);
    const exception = root.logs.find((l: any) =>
      l.fields.some((f: any) => f.key === 'event' && f.value === 'exception'),
    );
    const field = (key: string) => exception.fields.find((f: any) => f.key === key)?.value;
    assert.equal(field('exception.message'), 'payment failed for ****.com');
    assert.match(field('exception.stacktrace'), /at charge \(card \*\*\*\*0004\)/);

    // Hashed search: the clear value finds the trace, through both search APIs.
    const tags = encodeURIComponent(JSON.stringify({ 'user.email': EMAIL }));
    const found = await getJson(
      `${query}/api/traces?service=redaction-e2e&tags=${tags}&lookback=1h`,
    );
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(
      found.body.data.map((x: any) => x.traceID),
      [traceId],
    );
    const min = new Date(Date.now() - 3600e3).toISOString();
    const v3 = await getJson(
      `${query}/api/v3/traces?query.service_name=redaction-e2e&query.start_time_min=${min}&query.start_time_max=${new Date(Date.now() + 60e3).toISOString()}&query.attributes=${tags}`,
    );
    assert.equal(v3.status, 200, v3.text);
    assert.ok(v3.text.includes(traceId.toLowerCase()), 'api_v3 search finds the trace');
    const zipkin = await getJson(
      `${skein.urls.get('zipkin')}/api/v2/traces?serviceName=redaction-e2e&annotationQuery=${encodeURIComponent(`user.email=${EMAIL}`)}&lookback=3600000`,
    );
    assert.equal(zipkin.status, 200, zipkin.text);
    assert.ok(zipkin.text.includes(traceId.toLowerCase()), "Zipkin's read API finds the trace");

    assert.equal(await skein.stop(), 0, skein.output.join('\n'));
    skein = undefined;

    // Every column of every table, as text (lists and JSON included).
    const instance = await DuckDBInstance.create(join(data, 'skein.duckdb'));
    const connection = await instance.connect();
    try {
      const columns = (
        await connection.runAndReadAll(
          `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'`,
        )
      ).getRowObjects() as { table_name: string; column_name: string }[];
      assert.ok(columns.length > 10, 'the schema was read');
      const hits = async (needle: string): Promise<string[]> => {
        const where: string[] = [];
        for (const { table_name: table, column_name: column } of columns) {
          const reader = await connection.runAndReadAll(
            `SELECT count(*)::INTEGER AS n FROM "${table}" WHERE contains(CAST("${column}" AS VARCHAR), $needle)`,
            { needle },
          );
          if (Number(reader.getRowObjects()[0].n) > 0) where.push(`${table}.${column}`);
        }
        return where;
      };
      assert.deepEqual(await hits(MARKER), ['spans.tags'], 'the scan finds a stored value');
      assert.ok((await hits('deploy.owner')).includes('origins.resource'), 'resources are scanned');
      for (const secret of SECRETS) {
        assert.deepEqual(await hits(secret), [], `"${secret}" is stored`);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }

    // And no file under the data directory holds a secret's bytes (a WAL, a spill file).
    for (const name of readdirSync(data, { recursive: true }) as string[]) {
      const path = join(data, name);
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      for (const secret of SECRETS) {
        assert.equal(bytes.indexOf(secret), -1, `${name} holds "${secret}"`);
      }
    }
  });
});
