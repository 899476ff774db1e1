import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A loopback port for a server a test starts in another process (ClickHouse, NATS,
 * Prometheus, a skein with fixed ports), reserved so that no other test process
 * gets it before that server binds it.
 *
 * The classic "listen(0), close, hand the number on" loses a race: between the
 * close and the child's bind, the kernel may give the same port to any other
 * socket on the machine, since listen(0) and every outgoing connection draw from
 * the ephemeral range (net.ipv4.ip_local_port_range, 32768–60999 by default). A
 * CI run with many test files in parallel lost it once: a ClickHouse node exited
 * three times while starting.
 *
 * So ports come from below that range, where the kernel never assigns one on its
 * own, and each is claimed across test processes by an exclusive lock file in
 * `<tmpdir>/skein-test-ports/` naming the owner's pid (a claim of a dead pid is
 * taken over). A port is also checked free by binding it. Claims are released when
 * this process exits.
 */

const LOW = 20_000;
const HIGH = 32_000;
const DIR = join(tmpdir(), 'skein-test-ports');
const claimed = new Set<number>();
let exitHookInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file for `port`, or returns false when a live process holds it. */
function claim(port: number): boolean {
  const file = join(DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        // Released between our open and read: try again.
        continue;
      }
      // A claim being written has no pid yet; treat it as live.
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function releaseAll(): void {
  for (const port of claimed) rmSync(join(DIR, String(port)), { force: true });
  claimed.clear();
}

/** A free loopback port no other test process holds; kept until this process exits. */
export async function freePort(): Promise<number> {
  mkdirSync(DIR, { recursive: true });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', releaseAll);
  }
  for (let tries = 0; tries < 1000; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (claimed.has(port) || !claim(port)) continue;
    if (await bindable(port)) {
      claimed.add(port);
      return port;
    }
    rmSync(join(DIR, String(port)), { force: true });
  }
  throw new Error(`no free loopback port in ${LOW}–${HIGH} after 1000 tries`);
}
