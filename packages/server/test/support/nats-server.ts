import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../e2e/eventually.ts';
import { freePort } from './free-port.ts';

/**
 * A real nats-server with JetStream for tests (Debian's package, see .ci/run): its
 * config and JetStream store in a temp dir, bound to 127.0.0.1 on free ports,
 * stopped by pid. It is also killed when the test process exits, so a failed test
 * leaves nothing running.
 */

export const NATS_SERVER = '/usr/sbin/nats-server';

/** Whether Debian's nats-server is installed (tests skip with a reason when not). */
export function natsServerInstalled(): boolean {
  return existsSync(NATS_SERVER);
}

export interface NatsTestServer {
  /** nats://127.0.0.1:<port>; the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** kill -9 (it stays down until `start`). */
  kill(): void;
  /** SIGTERM and wait for the exit (JetStream flushes its store). */
  stopProcess(): Promise<void>;
  /** Starts it again on the same port and store, and waits until JetStream is healthy. */
  start(): Promise<void>;
  /** Stops it and removes the temp dir. */
  stop(): Promise<void>;
}

async function healthy(monitorPort: number): Promise<true | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, {
      signal: AbortSignal.timeout(1000),
    });
    return r.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

export async function startNatsServer(): Promise<NatsTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-nats-'));
  const port = await freePort();
  const monitorPort = await freePort();
  writeFileSync(
    join(dir, 'nats.conf'),
    `listen: 127.0.0.1:${port}
http: 127.0.0.1:${monitorPort}
jetstream {
  store_dir: "${join(dir, 'js')}"
  max_memory_store: 64MB
  max_file_store: 1GB
}
`,
  );
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async (): Promise<void> => {
    const proc = spawn(NATS_SERVER, ['-c', join(dir, 'nats.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = proc;
    let exited = false;
    proc.once('exit', () => (exited = true));
    await eventually(async () => {
      if (exited) throw new Error(`nats-server exited: ${stderr}`);
      return healthy(monitorPort);
    }, `nats-server on 127.0.0.1:${port}`);
  };

  const stopProcess = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(resolve, 5000)).then(() => proc.kill('SIGKILL')),
    ]);
    await exited;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill() {
      child?.kill('SIGKILL');
      child = undefined;
    },
    stopProcess,
    start,
    async stop() {
      await stopProcess();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
