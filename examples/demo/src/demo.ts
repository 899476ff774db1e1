// The shop demo: starts PostgreSQL and nats-server, the shop's services in the chosen
// mode(s), drives load at the gateway, then prints the trace completeness Skein
// measured for each mode (GET /api/completeness). See examples/demo/README.md.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  natsServerInstalled,
  startNatsServer,
} from '../../../packages/sdk/test/support/nats-server.ts';
import { startPostgres } from '../../../packages/sdk/test/support/postgres-server.ts';
import type { ServiceConfig } from './service-process.ts';
import type { Mode } from './telemetry.ts';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  modes: Mode[];
  /** Seconds of load. */
  durationS: number;
  /** Checkouts per second, per mode. */
  rate: number;
  otlp: string;
  query: string;
  sampling: string;
  /** Seconds the counts must stay unchanged before they are read as final. */
  settleS: number;
  log?: (line: string) => void;
}

/** The completeness Skein measured for one mode. */
export interface ModeFigure {
  mode: Mode;
  checkouts: number;
  failedCheckouts: number;
  traces: number;
  complete: number;
  rate: number;
  /** Break counts by cause among this mode's services. */
  breaks: Record<string, number>;
}

const SERVICES = ['catalog', 'orders', 'fulfilment', 'gateway', 'scheduler'] as const;
const MODES: Mode[] = ['naive', 'kit'];

interface Child {
  name: string;
  host: string;
  child: ChildProcess;
  port: number;
  output: string[];
}

/** Forks one service and resolves with its port; `all` holds it from the fork on, so it is always stopped. */
async function startService(
  name: string,
  shared: Omit<ServiceConfig, 'host'>,
  all: Child[],
): Promise<Child> {
  const config: ServiceConfig = {
    ...shared,
    host: `127.0.${MODES.indexOf(shared.mode) + 1}.${SERVICES.indexOf(name as (typeof SERVICES)[number]) + 1}`,
  };
  const file = fileURLToPath(new URL(`./services/${name}.ts`, import.meta.url));
  const child = fork(file, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DEMO_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const entry: Child = { name, host: config.host, child, port: 0, output };
  all.push(entry);
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  entry.port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { ready: string; port: number }) => resolve(m.port));
    child.once('exit', (code) =>
      reject(new Error(`${config.mode}-${name} exited with ${code}:\n${output.join('')}`)),
    );
  });
  return entry;
}

async function stopService(c: Child): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  const exited = once(c.child, 'exit');
  if (c.child.connected) c.child.send('stop');
  else c.child.kill('SIGTERM');
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface CompletenessBody {
  data: {
    rootServices: { service: string; traces: number; complete: number }[];
    services: { service: string; breaks: Record<string, number> }[];
  };
}

async function readFigure(
  query: string,
  mode: Mode,
  sinceUs: number,
): Promise<Omit<ModeFigure, 'checkouts' | 'failedCheckouts'>> {
  const end = (Date.now() + 120_000) * 1000;
  const res = await fetch(`${query}/api/completeness?start=${sinceUs}&end=${end}`);
  if (!res.ok) throw new Error(`GET /api/completeness: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as CompletenessBody;
  const prefix = `${mode}-`;
  let traces = 0;
  let complete = 0;
  for (const r of body.data.rootServices)
    if (r.service.startsWith(prefix)) {
      traces += r.traces;
      complete += r.complete;
    }
  const breaks: Record<string, number> = {};
  for (const s of body.data.services)
    if (s.service.startsWith(prefix))
      for (const [cause, n] of Object.entries(s.breaks)) breaks[cause] = (breaks[cause] ?? 0) + n;
  return { mode, traces, complete, rate: traces === 0 ? 0 : complete / traces, breaks };
}

/** Runs the shop in each mode at once against one Skein and returns what Skein measured. */
export async function runDemo(o: DemoOptions): Promise<ModeFigure[]> {
  const t0 = Date.now();
  const log =
    o.log ??
    ((line: string) =>
      process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`));
  if (!natsServerInstalled())
    throw new Error('nats-server is not installed: apt-get install nats-server');
  const startedUs = (Date.now() - 60_000) * 1000;
  const [postgres, nats] = await Promise.all([startPostgres(), startNatsServer()]);
  const children: Child[] = [];
  try {
    const { default: pg } = await import('pg');
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    await db.query('CREATE TABLE products (sku text PRIMARY KEY, stock int NOT NULL)');
    await db.query("INSERT INTO products SELECT 'sku-' || i, 1000000 FROM generate_series(0, 9) i");
    await db.query(
      'CREATE TABLE orders (id serial PRIMARY KEY, sku text NOT NULL, status text NOT NULL)',
    );
    await db.end();
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager, AckPolicy } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    for (const mode of o.modes) {
      await jsm.streams.add({
        name: `${mode.toUpperCase()}_ORDERS`,
        subjects: [`${mode}.orders.>`],
      });
      await jsm.consumers.add(`${mode.toUpperCase()}_ORDERS`, {
        durable_name: 'fulfilment',
        ack_policy: AckPolicy.Explicit,
      });
    }
    await nc.close();

    const gateways = new Map<Mode, string>();
    await Promise.all(
      o.modes.map(async (mode) => {
        const config: Omit<ServiceConfig, 'host'> = {
          mode,
          otlp: o.otlp,
          sampling: o.sampling,
          natsUrl: nats.url,
          postgresUrl: postgres.url,
          peers: {},
        };
        const started = await Promise.all(SERVICES.map((s) => startService(s, config, children)));
        const at = (name: string): string => {
          const c = started.find((x) => x.name === name)!;
          return `${c.host}:${c.port}`;
        };
        const peers = {
          catalog: at('catalog'),
          orders: `http://${at('orders')}`,
          gateway: `http://${at('gateway')}`,
          scheduler: `http://${at('scheduler')}`,
        };
        for (const c of started) c.child.send({ peers });
        gateways.set(mode, peers.gateway);
      }),
    );
    // fulfilment's worker thread reads its peers from its config at start: it needs the catalog now.
    log(`shop started (${o.modes.join(', ')}); ${o.rate} checkouts/s for ${o.durationS} s`);

    const sent = new Map<Mode, { ok: number; failed: number }>(
      o.modes.map((m) => [m, { ok: 0, failed: 0 }]),
    );
    const inflight: Promise<void>[] = [];
    const total = Math.round(o.durationS * o.rate);
    const loadStart = Date.now();
    for (let i = 0; i < total; i++) {
      const due = loadStart + (i * 1000) / o.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      for (const mode of o.modes) {
        const counts = sent.get(mode)!;
        inflight.push(
          fetch(`${gateways.get(mode)}/checkout`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sku: `sku-${i % 10}` }),
          }).then(
            (r) => void (r.status === 201 ? counts.ok++ : counts.failed++),
            () => void counts.failed++,
          ),
        );
      }
    }
    await Promise.all(inflight);
    // Let the queue and the receipt jobs drain, then stop (each service flushes on stop).
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(children.map(stopService));
    log('load done; waiting for Skein to judge the traces');
    if (process.env.DEMO_VERBOSE === '1')
      for (const c of children)
        if (c.output.length > 0) log(`--- ${c.name} output:\n${c.output.join('')}`);

    const figures: ModeFigure[] = [];
    for (const mode of o.modes) {
      let last = '';
      let stableSince = Date.now();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const f = await readFigure(o.query, mode, startedUs);
        const key = `${f.traces}/${f.complete}`;
        if (key !== last) {
          last = key;
          stableSince = Date.now();
        } else if (f.traces > 0 && Date.now() - stableSince >= o.settleS * 1000) {
          const counts = sent.get(mode)!;
          figures.push({ ...f, checkouts: counts.ok, failedCheckouts: counts.failed });
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`Skein's completeness for ${mode} did not settle (last ${key})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    return figures;
  } catch (err) {
    for (const c of children)
      if (c.output.length > 0) log(`--- ${c.name} output:\n${c.output.join('')}`);
    throw err;
  } finally {
    await Promise.all(children.map(stopService));
    await Promise.all([postgres.stop(), nats.stop()]);
  }
}

/** The figures as the table the demo prints. */
export function formatFigures(figures: ModeFigure[]): string {
  const rows = figures.map((f) => {
    const breaks = Object.entries(f.breaks)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    return `| ${f.mode} | ${f.checkouts} (${f.failedCheckouts} failed) | ${f.traces} | ${f.complete} | ${(f.rate * 100).toFixed(1)}% | ${breaks || '-'} |`;
  });
  return [
    '| mode | checkouts | traces | complete | completeness | breaks by cause |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      // `npm run demo --mode naive` hands the flag to npm, which passes it on as npm_config_mode.
      mode: { type: 'string', default: process.env.npm_config_mode ?? 'both' },
      duration: { type: 'string', default: process.env.npm_config_duration ?? '20' },
      rate: { type: 'string', default: process.env.npm_config_rate ?? '10' },
      otlp: { type: 'string', default: 'http://localhost:4318' },
      query: { type: 'string', default: 'http://localhost:16686' },
      sampling: { type: 'string', default: 'http://localhost:5778' },
      settle: { type: 'string', default: '4' },
    },
  });
  const modes: Mode[] =
    values.mode === 'both'
      ? ['naive', 'kit']
      : values.mode === 'naive' || values.mode === 'kit'
        ? [values.mode]
        : [];
  if (modes.length === 0) {
    process.stderr.write(`--mode ${values.mode}: use naive, kit or both\n`);
    process.exit(2);
  }
  const figures = await runDemo({
    modes,
    durationS: Number(values.duration),
    rate: Number(values.rate),
    otlp: values.otlp!,
    query: values.query!,
    sampling: values.sampling!,
    settleS: Number(values.settle),
  });
  process.stdout.write(
    `\nTrace completeness measured by Skein (${values.query}/api/completeness):\n\n${formatFigures(figures)}\n`,
  );
}
