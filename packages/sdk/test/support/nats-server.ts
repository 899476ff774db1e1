import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Debian's nats-server (`apt-get install nats-server`; `.ci/run` installs it). */
export const NATS_SERVER = '/usr/sbin/nats-server';

/** Whether nats-server is installed (tests skip with a message naming the package when not). */
export function natsServerInstalled(): boolean {
  return existsSync(NATS_SERVER);
}

/** A nats-server child on 127.0.0.1 with JetStream, its store in a temp dir. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  /** Stops the server (by pid) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server from a config file in a fresh temp dir (port -1: the server picks
 * a free port, read back from its log), JetStream on with its store in that dir.
 */
export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-nats-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(
    config,
    `host: 127.0.0.1\nport: -1\nhttp_port: -1\njetstream {\n  store_dir: "${join(dir, 'js')}"\n}\n`,
  );
  const child: ChildProcess = spawn(NATS_SERVER, ['-c', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string): void => {
      log.push(line);
      const m = /Listening for client connections on (\S+:\d+)/.exec(line);
      if (m) resolve(`nats://${m[1]}`);
    };
    createInterface({ input: child.stderr! }).on('line', onLine);
    createInterface({ input: child.stdout! }).on('line', onLine);
    child.once('exit', (code) =>
      reject(new Error(`nats-server exited with ${code}:\n${log.join('\n')}`)),
    );
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
