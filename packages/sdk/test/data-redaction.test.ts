import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { start, type SkeinKit } from '../src/index.ts';
import {
  postgresInstalled,
  startPostgres,
  type PostgresServer,
} from './support/postgres-server.ts';
import { parentOf, tagOf, TestSkein } from './support/skein.ts';

/**
 * Layer 4, databases, with SDK-side redaction: a real PostgreSQL (initdb in a temp
 * dir) queried with `pg`; the CLIENT span read back from Skein carries the statement
 * with its literals replaced by `?` (they never left the process), and a `keys` rule
 * in the server's format drops an attribute before export.
 */
const skip = postgresInstalled()
  ? false
  : 'PostgreSQL is not installed (apt-get install postgresql)';
const skein = new TestSkein();
let kit: SkeinKit;
let pgServer: PostgresServer;

before(async () => {
  if (skip) return;
  [pgServer] = await Promise.all([startPostgres(), skein.start()]);
  kit = start({
    service: 'sdk-data-test',
    endpoint: skein.otlp,
    samplingEndpoint: false,
    shutdownOnExit: false,
    redaction: {
      sqlLiterals: true,
      rules: [
        { keys: ['app.card'], action: 'drop' },
        { values: ['email'], action: 'mask' },
      ],
    },
  });
});

after(async () => {
  if (skip) return;
  await kit?.shutdown();
  await Promise.all([pgServer?.stop(), skein.stop()]);
});

test(
  'pg: statement text reaches Skein without its literals; rules drop and mask',
  { skip },
  async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    const root = kit.tracer.startSpan('db-root', { root: true });
    root.setAttribute('app.card', '4111111111111111');
    root.setAttribute('app.note', 'mail alice@example.com now');
    await context.with(trace.setSpan(context.active(), root), async () => {
      const res = await client.query(
        "SELECT 'secret-token' AS t, 42 AS n WHERE 'x' <> 'y' AND 7 > 3",
      );
      assert.equal(res.rows[0].t, 'secret-token');
    });
    root.end();
    await client.end();
    await kit.forceFlush();
    const t = await skein.trace(root.spanContext().traceId, 2);
    const query = t.spans.find(
      (s) => tagOf(s, 'db.system') === 'postgresql' || tagOf(s, 'db.system.name') === 'postgresql',
    );
    assert.ok(query, `a postgresql span in ${t.spans.map((s) => s.operationName).join(', ')}`);
    assert.equal(parentOf(query), root.spanContext().spanId);
    const statement = String(tagOf(query, 'db.statement') ?? tagOf(query, 'db.query.text'));
    assert.equal(statement, 'SELECT ? AS t, ? AS n WHERE ? <> ? AND ? > ?');
    const stored = t.byName('db-root');
    assert.equal(tagOf(stored, 'app.card'), undefined, 'dropped before export');
    assert.equal(tagOf(stored, 'app.note'), 'mail ****.com now');
  },
);
