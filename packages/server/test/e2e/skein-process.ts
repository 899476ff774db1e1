import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The program to start: the TypeScript sources through tsx, or (for benchmarks that
 * time a start, as `npm start` runs it) a built `dist/cli/main.js` named by SKEIN_MAIN.
 */
const MAIN =
  process.env.SKEIN_MAIN ?? fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A `skein` child process started the way a user starts it, on free ports. */
export interface SkeinProcess {
  child: ChildProcess;
  /** Listener name (from the startup banner) → base URL with the real port. */
  urls: Map<string, string>;
  output: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `skein <role>` with every listener on port 0 and resolves once its banner
 * says where each listener is. Rejects with the process output if it exits first.
 * `nodeArgs` go to node itself, before the program (e.g. a V8 heap cap or `--cpu-prof`
 * for a benchmark: flags NODE_OPTIONS may refuse, as Node 20 does `--cpu-prof`).
 */
export async function startSkein(
  role: string,
  extraArgs: string[],
  nodeArgs: readonly string[] = [],
): Promise<SkeinProcess> {
  const args = [
    ...nodeArgs,
    ...(MAIN.endsWith('.ts') ? ['--import', 'tsx'] : []),
    MAIN,
    role,
    '--receivers.otlpGrpc.port=0',
    '--receivers.otlpHttp.port=0',
    '--receivers.zipkin.port=0',
    '--receivers.jaegerThriftHttp.port=0',
    '--receivers.jaegerGrpc.port=0',
    '--receivers.jaegerAgentCompact.port=0',
    '--receivers.jaegerAgentBinary.port=0',
    '--query.port=0',
    '--admin.port=0',
    '--sampling.http.port=0',
    '--sampling.grpc.port=0',
    '--receivers.otlpGrpc.host=127.0.0.1',
    '--receivers.otlpHttp.host=127.0.0.1',
    '--receivers.zipkin.host=127.0.0.1',
    '--receivers.jaegerThriftHttp.host=127.0.0.1',
    '--receivers.jaegerGrpc.host=127.0.0.1',
    '--receivers.jaegerAgentCompact.host=127.0.0.1',
    '--receivers.jaegerAgentBinary.host=127.0.0.1',
    '--query.host=127.0.0.1',
    '--admin.host=127.0.0.1',
    '--sampling.http.host=127.0.0.1',
    '--sampling.grpc.host=127.0.0.1',
    '--log.level=warn',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const urls = new Map<string, string>();
  const lines = createInterface({ input: child.stdout! });
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      const m = /^\s{2}(\S+)\s+((?:https?|grpc|udp):\/\/[^\s/]+)/.exec(line);
      if (m) urls.set(m[1], m[2].replace(/^grpc:/, 'http:'));
      if (/ is running/.test(line)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`skein exited with ${code} before it was ready:\n${output.join('\n')}`)),
    );
  });
  await ready;
  return {
    child,
    urls,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}
