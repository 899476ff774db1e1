import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../errors.ts';

/** What the Jaeger UI page is told about the backend, as Jaeger's query service tells it. */
export interface JaegerUiCapabilities {
  /** Skein has no archive store: the trace page hides "Archive". */
  archiveStorage: false;
  /** True when `/api/metrics/*` answer (span metrics runs): the Monitor tab shows data. */
  metricsStorage: boolean;
}

export interface JaegerUiOptions {
  /** A published Jaeger UI build: the folder holding its index.html and `static/`. */
  dir: string;
  /** A JSON file with Jaeger UI's config, merged over Skein's (`defaultJaegerUiConfig`); '' none. */
  configFile: string;
  capabilities: JaegerUiCapabilities;
  /** The query API's largest search `limit` (the search form's limit field stops there). */
  maxLimit: number;
  /**
   * The port of Skein's own UI (`query.port`): the Quality Metrics page links to Skein's
   * Completeness page (`/completeness?...`), which is redirected there, on the host the
   * browser used. Asked per request (the query port may be bound after this one is
   * registered). Absent, that path is Jaeger UI's like any other.
   */
  skeinUiPort?: () => number;
}

/** Skein UI pages that the query API's answers link to, relative to the origin. */
const SKEIN_UI_PAGE = /^\/completeness\/?$/;

/** Skein's version (packages/server/package.json, at the same depth from src/ and dist/), for the About menu. */
const SKEIN_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * Jaeger UI's config as Skein writes it into index.html before the config file's
 * values: the Monitor tab (Jaeger's SPM API) and the Quality Metrics page (filled
 * with trace completeness). Jaeger UI merges only some top-level keys with its own
 * defaults (`monitor`, `search`, `dependencies`), not `qualityMetrics`, so that one
 * is given whole.
 */
export function defaultJaegerUiConfig(maxLimit: number): Record<string, unknown> {
  return {
    monitor: { menuEnabled: true },
    qualityMetrics: {
      menuEnabled: true,
      menuLabel: 'Trace Quality',
      apiEndpoint: '/api/quality-metrics',
    },
    search: { maxLimit },
  };
}

/*
 * The lines of Jaeger UI's index.html that Jaeger's query service rewrites. The
 * capabilities line is JAEGER_STORAGE_CAPABILITIES up to UI v2.19 and
 * JAEGER_BACKEND_CAPABILITIES after; both are rewritten when present.
 */
const CONFIG_LINE = /JAEGER_CONFIG *= *DEFAULT_CONFIG;/;
const VERSION_LINE = /JAEGER_VERSION *= *DEFAULT_VERSION;/;
const STORAGE_CAPABILITIES_LINE = /JAEGER_STORAGE_CAPABILITIES *= *DEFAULT_STORAGE_CAPABILITIES;/;
const BACKEND_CAPABILITIES_LINE = /JAEGER_BACKEND_CAPABILITIES *= *DEFAULT_BACKEND_CAPABILITIES;/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/** A content hash in a built file's name (`index-CIDAeknr.js`): such a file never changes. */
const HASHED_NAME = /-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;

interface Asset {
  type: string;
  body: Buffer;
  /** Present when gzip saves something worth sending. */
  gzip: Buffer | null;
  cacheControl: string;
}

/**
 * Serves a published Jaeger UI build from a query app, the way Jaeger's query service
 * does: index.html with the UI config, backend capabilities and version written into
 * it, for `/` and every client-side route (the UI's routes change between releases, so
 * anything that is neither a file of the build nor under `/api/` or `/static/` is
 * index.html); the build's files with their content types. Only files found in the
 * folder at start are served (a path is looked up, never joined onto the folder), so
 * no request reaches outside it. Registered after the API routes, in its own scope, so
 * unknown `/api/*` paths keep the query app's JSON 404.
 *
 * The build is read into memory at start (a few MB); a new build needs a restart.
 * The UI finds its own base path at load time (since v2.x an inline script writes
 * `<base href>`); it is served at `/` here, which older builds' `<base href="/">` says too.
 *
 * @throws ConfigError naming `query.jaegerUi.dir` when the folder has no index.html or
 *   it is not a Jaeger UI index.html, and `query.jaegerUi.configFile` when that file
 *   cannot be read or is not a JSON object.
 */
export async function registerJaegerUi(app: FastifyInstance, opts: JaegerUiOptions): Promise<void> {
  const dir = resolve(opts.dir);
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) {
    throw new ConfigError([
      'query.jaegerUi.dir',
      `${dir} has no index.html: give the folder of a Jaeger UI build (jaeger-ui's packages/jaeger-ui/build, or the UI folder of a Jaeger release)`,
    ]);
  }
  const rawIndex = readFileSync(indexPath, 'utf8');
  if (!CONFIG_LINE.test(rawIndex)) {
    throw new ConfigError([
      'query.jaegerUi.dir',
      `${indexPath} is not Jaeger UI's index.html (it has no "JAEGER_CONFIG = DEFAULT_CONFIG;" line to write the config into)`,
    ]);
  }
  const config = mergeConfig(
    defaultJaegerUiConfig(opts.maxLimit),
    opts.configFile === '' ? {} : readConfigFile(opts.configFile),
  );
  const assets = loadAssets(dir);
  assets.set(
    '/index.html',
    asset('/index.html', Buffer.from(injectIntoIndex(rawIndex, config, opts))),
  );
  const index = assets.get('/index.html') as Asset;

  await app.register(async (scope) => {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0];
      if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return reply.callNotFound();
      }
      if (opts.skeinUiPort !== undefined && SKEIN_UI_PAGE.test(decoded)) {
        const to = `${request.protocol}://${request.hostname}:${opts.skeinUiPort()}${request.url}`;
        return reply.redirect(to, 302);
      }
      const file = assets.get(decoded);
      if (file !== undefined) return send(request, reply, file);
      // A missing asset is a 404, not the page: a browser would run HTML as a script.
      // (Other paths with dots are routes: a trace comparison is /trace/{a}...{b}.)
      if (decoded.startsWith('/static/')) return reply.callNotFound();
      return send(request, reply, index);
    };
    scope.get('/', handler);
    scope.get('/*', handler);
  });
}

/**
 * index.html with the config, capabilities and version in place of the defaults.
 * Values are JSON with `<` escaped, so nothing in them can close the script element.
 */
function injectIntoIndex(
  raw: string,
  config: Record<string, unknown>,
  opts: JaegerUiOptions,
): string {
  const version = { gitCommit: '', gitVersion: `(Skein ${SKEIN_VERSION})`, buildDate: '' };
  const backend = {
    ...opts.capabilities,
    // The query API searches every service when `service` is absent.
    searchWithoutServiceName: true,
    aiAssistant: false,
  };
  return raw
    .replace(CONFIG_LINE, () => `JAEGER_CONFIG = ${scriptJson(config)};`)
    .replace(VERSION_LINE, () => `JAEGER_VERSION = ${scriptJson(version)};`)
    .replace(
      STORAGE_CAPABILITIES_LINE,
      () => `JAEGER_STORAGE_CAPABILITIES = ${scriptJson(opts.capabilities)};`,
    )
    .replace(
      BACKEND_CAPABILITIES_LINE,
      () => `JAEGER_BACKEND_CAPABILITIES = ${scriptJson(backend)};`,
    );
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      ['query.jaegerUi.configFile', `cannot read ${file} (${(err as Error).message})`],
      { cause: err },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      [
        'query.jaegerUi.configFile',
        `${file} is not valid JSON (${(err as Error).message}); it holds Jaeger UI's config as JSON, like Jaeger's --query.ui-config`,
      ],
      { cause: err },
    );
  }
  if (!isPlainObject(value)) {
    throw new ConfigError([
      'query.jaegerUi.configFile',
      `${file} must hold a JSON object (Jaeger UI's config), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    ]);
  }
  return value;
}

/** `over` on top of `base`: objects merge key by key, anything else (lists too) replaces. */
function mergeConfig(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(dir, [])) {
    const path = '/' + relative(dir, file).split(sep).join('/');
    assets.set(path, asset(path, readFileSync(file)));
  }
  return assets;
}

function asset(path: string, body: Buffer): Asset {
  const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  const gzip = compressible ? gzipSync(body) : null;
  return {
    type,
    body,
    gzip: gzip !== null && gzip.length < body.length * 0.9 ? gzip : null,
    cacheControl: HASHED_NAME.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
}

function send(request: FastifyRequest, reply: FastifyReply, file: Asset): FastifyReply {
  reply.header('content-type', file.type).header('cache-control', file.cacheControl);
  reply.header('vary', 'accept-encoding');
  const accepts = request.headers['accept-encoding'];
  if (file.gzip !== null && typeof accepts === 'string' && /\bgzip\b/.test(accepts)) {
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}
