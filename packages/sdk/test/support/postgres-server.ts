import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Debian's PostgreSQL binaries (`apt-get install postgresql`; `.ci/run` installs it). */
const BIN = ['17', '16', '15']
  .map((v) => `/usr/lib/postgresql/${v}/bin`)
  .find((d) => existsSync(`${d}/initdb`));

export function postgresInstalled(): boolean {
  return BIN !== undefined;
}

/** A throwaway PostgreSQL server on 127.0.0.1. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * initdb in a fresh temp dir, then `postgres` on a free port of 127.0.0.1 with its
 * socket in that dir: no systemd, no service, stopped by pid. Under root both run as
 * the `postgres` user (initdb refuses root).
 */
export async function startPostgres(): Promise<PostgresServer> {
  if (BIN === undefined)
    throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'skein-pg-'));
  const ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gr = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    ids.uid = Number(pw.stdout.trim());
    ids.gid = Number(gr.stdout.trim());
    chownSync(dir, ids.uid, ids.gid);
  }
  const data = join(dir, 'data');
  const init = spawnSync(
    `${BIN}/initdb`,
    ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'],
    {
      ...ids,
      encoding: 'utf8',
    },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    `${BIN}/postgres`,
    ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off'],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.push(line);
      if (/ready to accept connections/.test(line)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`postgres exited with ${code}:\n${log.join('\n')}`)),
    );
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        process.kill(child.pid!, 'SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
