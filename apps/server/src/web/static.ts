/**
 * Serves the built portal (apps/web/dist) at `/` and the prebuilt OHIF v3 viewer (copied and
 * rewritten for the `/ohif/` sub-path by apps/web/tools/prepare-ohif.ts) at `/ohif/`, from our own
 * origin, so the viewer's DICOMweb calls carry the session cookie without CORS.
 *
 * SPA routes fall back to index.html; a missing asset is a real 404 (a blank viewer from a missed
 * chunk is worse than an error). Content-hashed files are cached immutably; precompressed `.gz`
 * siblings written at build time are sent to clients that accept gzip.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.onnx': 'application/octet-stream',
};

// Vite's assets/name-<hash>.ext and OHIF's <id>.bundle.<hash>.js / <hash>.wasm never change content.
const HASHED = /(?:^|\/)assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$|\.[0-9a-f]{16}\.(?:js|css)$|\/[0-9a-f]{16}\.(?:wasm|woff2?)$/;

/** Prefixes that belong to the API: never answered with the SPA's index.html. */
const API_PREFIXES = ['/api/', '/dicomweb', '/healthz', '/readyz'];

export interface WebOptions {
  /** The portal build (index.html, assets/, ohif/). Default: apps/web/dist of this checkout. */
  webDir?: string;
}

export const defaultWebDir = path.resolve(import.meta.dirname, '../../../web/dist');

export const webRoutes: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const root = path.resolve(opts.webDir ?? defaultWebDir);
  const ohifRoot = path.join(root, 'ohif');

  async function send(req: FastifyRequest, reply: FastifyReply, file: string, spaIndex: string | null) {
    let target = file;
    let info = await stat(target).catch(() => null);
    if (!info?.isFile()) {
      // A browser navigating (Accept: text/html) to a route of the single-page app gets index.html
      // (study URLs end in UIDs with dots, so the extension cannot tell routes from files); a
      // missing script, style or image is a real 404.
      const navigation = /\btext\/html\b/.test(String(req.headers.accept ?? ''));
      if (spaIndex && navigation) {
        target = spaIndex;
        info = await stat(target).catch(() => null);
      }
      if (!info?.isFile()) return notBuiltOr404(reply, navigation);
    }
    const ext = path.extname(target);
    const rel = path.relative(root, target).split(path.sep).join('/');
    reply.header('content-type', TYPES[ext] ?? 'application/octet-stream');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', HASHED.test(`/${rel}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (ext === '.html') {
      reply.header('x-frame-options', 'SAMEORIGIN');
      reply.header('referrer-policy', 'same-origin');
    }
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    reply.header('etag', etag);
    reply.header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      const gz = await stat(`${target}.gz`).catch(() => null);
      if (gz?.isFile()) {
        reply.header('content-encoding', 'gzip').header('content-length', gz.size);
        return reply.send(createReadStream(`${target}.gz`));
      }
    }
    reply.header('content-length', info.size);
    return reply.send(createReadStream(target));
  }

  async function notBuiltOr404(reply: FastifyReply, navigation: boolean) {
    if (navigation && !(await stat(path.join(root, 'index.html')).catch(() => null))) {
      return reply
        .status(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('The portal is not built. Run: pnpm --filter @vetpacs/web build\n');
    }
    return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('Not found\n');
  }

  /** Maps a URL path under `base` to a file inside it, or null for traversal attempts. */
  function resolveIn(base: string, urlPath: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    const file = path.resolve(base, `.${path.posix.normalize(`/${decoded}`)}`);
    return file === base || file.startsWith(`${base}${path.sep}`) ? file : null;
  }

  const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!;

  app.get('/ohif', { schema: { hide: true } }, (_req, reply) => reply.redirect('/ohif/'));
  app.get('/ohif/*', { schema: { hide: true } }, async (req, reply) => {
    const rel = pathOf(req).slice('/ohif/'.length);
    const file = resolveIn(ohifRoot, rel || 'index.html');
    if (!file) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'not found' } });
    return send(req, reply, file, path.join(ohifRoot, 'index.html'));
  });

  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const p = pathOf(req);
    if (API_PREFIXES.some((x) => p === x || p.startsWith(x.endsWith('/') ? x : `${x}/`))) {
      return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route GET ${p}` } });
    }
    const file = resolveIn(root, p === '/' ? 'index.html' : p.slice(1));
    if (!file) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'not found' } });
    return send(req, reply, file, path.join(root, 'index.html'));
  });
};
