import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function skein(args: string[], env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('skein command line', () => {
  test('--help lists the roles, tracegen and where settings are documented', () => {
    const r = skein(['--help']);
    assert.equal(r.code, 0);
    for (const word of [
      'collector',
      'query',
      'tracegen',
      '--storage.duckdb.path',
      'docs/configuration.md',
    ]) {
      assert.ok(r.stdout.includes(word), `help mentions ${word}`);
    }
  });

  test('an invalid setting stops skein with exit status 2 and names the key', () => {
    const flag = skein(['all', '--query.port=eighty']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--query\.port: expected a number, got "eighty"/);
    const env = skein(['all'], { SKEIN_STORAGE_RETENTION_HOURS: '-1' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /storage\.retentionHours: must be a positive integer/);
    const cmd = skein(['serve']);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command "serve"/);
  });

  test('a port already in use fails the start with exit status 1 and says why', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = skein([
        'all',
        '--storage.duckdb.path=:memory:',
        `--admin.port=0`,
        `--query.host=127.0.0.1`,
        `--query.port=${port}`,
        '--receivers.otlpGrpc.port=0',
        '--receivers.otlpHttp.port=0',
        '--receivers.zipkin.port=0',
        '--receivers.jaegerThriftHttp.port=0',
        '--receivers.jaegerGrpc.port=0',
        '--receivers.jaegerAgentCompact.port=0',
        '--receivers.jaegerAgentBinary.port=0',
        '--sampling.http.port=0',
        '--sampling.grpc.port=0',
        '--log.level=silent',
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /failed to start: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  test('tracegen refuses bad options before sending anything', () => {
    const r = skein(['tracegen', '--protocol', 'carrier-pigeon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--protocol must be one of http\/protobuf, http\/json, grpc/);
  });
});
