/**
 * Redaction processor cost per span, against OTLP protobuf decoding of the same
 * spans (the baseline, measured in the same run).
 *
 *   node --expose-gc --import tsx bench/redaction.ts [--rounds 7] [--requests 200]
 *        [--compare <another checkout>]
 *
 * Spans come from bench/payloads.ts (100-span requests, 10 attributes, one resource
 * per request). "clean" spans carry nothing to redact; "secrets" spans carry, on
 * top, an email under user.email, an authorization header, a SQL statement with
 * literals, a URL with a token, a card number and a phone number in a message and
 * an email in an exception message. Each round decodes fresh spans (not timed, since
 * the processor changes them in place and remembers the resources it has seen), then
 * times `process` over every request's batch, after a full GC (with --expose-gc) and a pause, so
 * the decoder's garbage is not collected on the processor's clock. The table shows the
 * median CPU ns/span (process CPU time, so other load on the machine disturbs it less).
 *
 * A second table times each request's batch right after its own decode, as the server
 * runs the processor chain on every accepted request: the spans are as warm as they
 * are there. With `--compare DIR` (another checkout, e.g. `git worktree add
 * /tmp/base <ref>`), DIR's redaction processor runs on a second decode of every request,
 * paired with this checkout's (decode and run order alternating), and the table adds
 * DIR's figures and the ratio per round: an A/B that a busy machine disturbs less
 * than two separate runs.
 */
import { parseArgs } from 'node:util';
import { defaultConfig, type RedactionConfig } from '../packages/server/src/config/config.ts';
import type { Span } from '../packages/server/src/model/span.ts';
import {
  compileRedaction,
  redactionFactory,
  type RedactionSettings,
} from '../packages/server/src/pipeline/processors/redaction/index.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { encodeOtlpJsonAsProto } from '../packages/server/src/receivers/otlp/test-support/reference-otlp.ts';
import type * as RedactionIndex from '../packages/server/src/pipeline/processors/redaction/index.ts';
import { buildOtlpJsonRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    requests: { type: 'string', default: '200' },
    compare: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const requests = Number(args.requests);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type JsonRequest = {
  resourceSpans: {
    scopeSpans: {
      spans: { attributes: object[]; events: { attributes: object[] }[] }[];
    }[];
  }[];
};

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** The payload request with secrets added to every span. */
function withSecrets(seed: number): object {
  const request = buildOtlpJsonRequest({ seed }) as JsonRequest;
  let n = 0;
  for (const span of request.resourceSpans[0].scopeSpans[0].spans) {
    n++;
    span.attributes.push(
      str('user.email', `user${n}@example.com`),
      {
        key: 'http.request.header.authorization',
        value: { arrayValue: { values: [{ stringValue: `Bearer tok-${n}-abcdef` }] } },
      },
      str('db.statement', `SELECT * FROM orders WHERE customer = 'cust-${n}' AND total > 100.5`),
      str('url.full', `https://shop.example.com/api/orders?id=${n}&token=s3cr3t${n}`),
      str('app.note', `paid with 4111 1111 1111 1111, call +44 20 7946 0958`),
    );
    for (const event of span.events) {
      event.attributes.push(str('exception.message', `no account for user${n}@example.com`));
    }
  }
  return request;
}

const CLEAN = Array.from({ length: requests }, (_, i) =>
  encodeOtlpJsonAsProto(buildOtlpJsonRequest({ seed: i + 1 })),
);
const SECRETS = Array.from({ length: requests }, (_, i) =>
  encodeOtlpJsonAsProto(withSecrets(i + 1)),
);

const base = { ...defaultConfig.pipeline.processors.redaction };
/** The example rule set of issue 8. */
const FULL: RedactionConfig = {
  ...base,
  rules: [
    {
      keys: ['*.password', 'http.request.header.authorization', 'db.connection_string'],
      action: 'drop',
    },
    { keys: ['enduser.id', 'user.email'], action: 'hash' },
    { values: ['email', 'credit_card', 'phone', 'jwt', 'cn_id_card', 'ipv4'], action: 'mask' },
    { values: ['secret-[0-9a-f]{16}'], action: 'replace', with: '[redacted]' },
  ],
  sqlLiterals: true,
  urlQuery: ['token', 'key', 'password'],
  hashKey: 'bench-hash-key-0123456789',
};

const SETTINGS: [string, RedactionSettings][] = [
  ['no rules (enabled, empty)', compileRedaction({ ...base, rules: [], urlQuery: [] })],
  ['default rules', compileRedaction(base)],
  ['issue example (full rule set)', compileRedaction(FULL)],
];

const counters = { changed() {}, dropped() {} };
/** CPU time (user + system) since `t0`, ns: less disturbed by other processes than wall time. */
function cpuNs(t0: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(t0);
  return (used.user + used.system) * 1000;
}
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
/**
 * A full GC, then a pause so its concurrent sweeping (counted in process CPU time) is
 * over before the clock starts.
 */
async function settle(): Promise<void> {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** ns/span of redacting freshly decoded spans, median over the rounds (after a warm-up). */
async function redactNs(settings: RedactionSettings, bodies: Uint8Array[]): Promise<number> {
  const samples: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const batches: Span[][] = bodies.map((b) => decodeOtlpProto(b).spans);
    const processor = redactionFactory.create(settings);
    let spans = 0;
    await settle();
    const t0 = process.cpuUsage();
    for (const batch of batches) {
      processor.process(batch, counters);
      spans += batch.length;
    }
    const ns = cpuNs(t0);
    if (round >= 0) samples.push(ns / spans);
  }
  return median(samples);
}

/** ns/span of decoding the same bodies (the baseline). */
async function decodeNs(bodies: Uint8Array[]): Promise<number> {
  const samples: number[] = [];
  for (let round = -1; round < rounds; round++) {
    let spans = 0;
    await settle();
    const t0 = process.cpuUsage();
    for (const body of bodies) spans += decodeOtlpProto(body).spans.length;
    const ns = cpuNs(t0);
    if (round >= 0) samples.push(ns / spans);
  }
  return median(samples);
}

const decodeClean = await decodeNs(CLEAN);
const decodeSecrets = await decodeNs(SECRETS);
const rows: Record<string, string>[] = [
  {
    scenario: 'baseline: decodeOtlpProto',
    'clean ns/span': decodeClean.toFixed(0),
    'secrets ns/span': decodeSecrets.toFixed(0),
    'clean vs decode': '1.00x',
    'secrets vs decode': '1.00x',
  },
];
for (const [name, settings] of SETTINGS) {
  const clean = await redactNs(settings, CLEAN);
  const secrets = await redactNs(settings, SECRETS);
  rows.push({
    scenario: name,
    'clean ns/span': clean.toFixed(0),
    'secrets ns/span': secrets.toFixed(0),
    'clean vs decode': `${(clean / decodeClean).toFixed(2)}x`,
    'secrets vs decode': `${(secrets / decodeSecrets).toFixed(2)}x`,
  });
}
console.table(rows);

// ---- fresh: each request's batch processed right after its decode (as the server does)
type RedactionModule = typeof RedactionIndex;
const other: RedactionModule | null =
  args.compare === undefined
    ? null
    : ((await import(
        `${args.compare}/packages/server/src/pipeline/processors/redaction/index.ts`
      )) as RedactionModule);
const thisModule: RedactionModule = { compileRedaction, redactionFactory } as RedactionModule;

/** Median ns/span of this checkout's processor and of `--compare`'s, and of their ratio per round. */
function freshNs(config: RedactionConfig, bodies: Uint8Array[]): number[] {
  const modules = other === null ? [thisModule] : [thisModule, other];
  const processors = modules.map((m) => m.redactionFactory.create(m.compileRedaction(config)));
  const samples: number[][] = modules.map(() => []);
  const ratios: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const ns = modules.map(() => 0);
    let spans = 0;
    for (let b = 0; b < bodies.length; b++) {
      const order = modules.length === 1 || (b + round) % 2 === 0 ? [0, 1] : [1, 0];
      const batches: Span[][] = [];
      for (const m of order) if (m < modules.length) batches[m] = decodeOtlpProto(bodies[b]).spans;
      for (const m of order) {
        if (m >= modules.length) continue;
        const t0 = process.cpuUsage();
        processors[m].process(batches[m], counters);
        ns[m] += cpuNs(t0);
      }
      spans += batches[0].length;
    }
    if (round < 0) continue;
    ns.forEach((n, m) => samples[m].push(n / spans));
    if (ns.length > 1) ratios.push(ns[1] / ns[0]);
  }
  return [...samples.map(median), ratios.length > 0 ? median(ratios) : NaN];
}

const freshRows: Record<string, string>[] = [];
const RULE_SETS: [string, RedactionConfig][] = [
  ['default rules', base],
  ['issue example (full rule set)', FULL],
];
for (const [name, config] of RULE_SETS) {
  for (const [payload, bodies] of [
    ['clean', CLEAN],
    ['secrets', SECRETS],
  ] as const) {
    const [mine, theirs, ratio] = freshNs(config, bodies);
    const row: Record<string, string> = {
      scenario: `${name}, ${payload}`,
      'ns/span': mine.toFixed(0),
    };
    if (other !== null) {
      row['--compare ns/span'] = theirs.toFixed(0);
      row['this / --compare'] = `${(1 / ratio).toFixed(2)}x`;
    }
    freshRows.push(row);
  }
}
console.log('\nfresh: each batch right after its decode');
console.table(freshRows);
