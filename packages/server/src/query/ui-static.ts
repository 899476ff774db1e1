import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The UI build (`packages/ui/dist`), at the same depth from `src/query` and `dist/query`. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist', import.meta.url));

/**
 * Client-side routes of the UI: these paths answer index.html so that a deep link
 * (`/trace/{id}`, `/search?service=cart`) works on reload. Anything else that is not
 * a file of the build falls through to the query app's JSON 404.
 */
const CLIENT_ROUTE =
  /^\/(?:search|dependencies|monitor|completeness|sampling|upload|trace\/[^/]+|compare\/[^/]+)\/?$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset {
  type: string;
  body: Buffer;
  /** Present when gzip saves something worth sending. */
  gzip: Buffer | null;
  cacheControl: string;
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Reads the build into memory once (it is a few hundred KB), gzipped ahead of time.
 * Vite names everything under `assets/` by content hash, so those files are cached for
 * good; index.html is revalidated so that a new build shows at the next load.
 */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(dir, [])) {
    const path = '/' + relative(dir, file).split(sep).join('/');
    const body = readFileSync(file);
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
    const gzip = compressible ? gzipSync(body) : null;
    assets.set(path, {
      type,
      body,
      gzip: gzip !== null && gzip.length < body.length * 0.9 ? gzip : null,
      cacheControl: path.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    });
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply.header('content-type', asset.type).header('cache-control', asset.cacheControl);
  reply.header('vary', 'accept-encoding');
  const accepts = request.headers['accept-encoding'];
  if (asset.gzip !== null && typeof accepts === 'string' && /\bgzip\b/.test(accepts)) {
    return reply.header('content-encoding', 'gzip').send(asset.gzip);
  }
  return reply.send(asset.body);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Skein: UI not built</title>
<body style="font:15px system-ui;margin:40px;max-width:640px">
<h1>The Skein UI is not built</h1>
<p>The query API is running (see <code>/api/services</code>), but the web UI's files are
missing. Run <code>npm run build</code> (or <code>npm install</code>, which builds) in the
Skein checkout, then restart Skein.</p>
<p>Looked in: <code>__DIR__</code></p>`;

/**
 * Serves the web UI at `/` from the query app: the build's files, and index.html for the
 * UI's client-side routes. Registered in its own scope, after the API routes, so that
 * unknown `/api/*` paths keep the query app's JSON 404. When the build is missing,
 * the UI's paths answer a page saying how to build it.
 */
export async function registerUi(app: FastifyInstance, dir = DEFAULT_UI_DIR): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  const assets = built ? loadAssets(dir) : new Map<string, Asset>();
  const index = assets.get('/index.html');
  await app.register(async (scope) => {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0];
      if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
      const isPage = path === '/' || path === '/index.html' || CLIENT_ROUTE.test(path);
      if (!built) {
        if (!isPage) return reply.callNotFound();
        return reply
          .code(503)
          .header('content-type', 'text/html; charset=utf-8')
          .send(NOT_BUILT.replace('__DIR__', dir));
      }
      const asset = isPage ? index : assets.get(decodeURIComponent(path));
      if (asset === undefined) return reply.callNotFound();
      return send(request, reply, asset);
    };
    scope.get('/', handler);
    scope.get('/*', handler);
  });
}
