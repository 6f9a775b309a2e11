import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, createBrotliCompress, createGunzip, createGzip, gunzip, gzip } from 'node:zlib';
import { ObjectNotFoundError, type ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { BULK_ROOT_PLACEHOLDER } from '../ingest/record';
import { notAcceptable } from '../lib/errors';
import { CACHE_REVALIDATE, covers, dicomwebRoot, emptyBody, notModified, parseAccept, strongEtag } from './http';
import { RepresentationCache } from './metadata-cache';
import type { SeriesMeta, WadoRepo } from './repo';

type Params = { study: string; series?: string; instance?: string };
type Encoding = 'br' | 'gzip' | 'identity';

/** Picks br, then gzip, from Accept-Encoding (RFC 9110 §12.5.3); q=0 excludes. */
export function chooseEncoding(header: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (e: string) => (accepted.get(e) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}

/**
 * Replaces the ingest placeholder in a byte stream. Each chunk is cut where no placeholder can
 * straddle (the last needle-1 bytes are kept for the next chunk, or the cut moves past a placeholder
 * that crosses it) and the part before the cut goes through replacePlaceholder.
 */
export function placeholderReplacer(root: string): Transform {
  const needle = Buffer.from(BULK_ROOT_PLACEHOLDER);
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      let cut = Math.max(0, buf.length - (needle.length - 1));
      const straddling = buf.indexOf(needle, Math.max(0, cut - (needle.length - 1)));
      if (straddling >= 0 && straddling < cut) cut = straddling + needle.length;
      if (cut) this.push(replacePlaceholder(buf.subarray(0, cut), root));
      tail = Buffer.from(buf.subarray(cut));
      cb();
    },
    flush(cb) {
      if (tail.length) this.push(replacePlaceholder(tail, root));
      cb();
    },
  });
}

/** Replaces every ingest placeholder in a finished document (one pass, no string decoding). */
export function replacePlaceholder(doc: Buffer, root: string): Buffer {
  const needle = Buffer.from(BULK_ROOT_PLACEHOLDER);
  const replacement = Buffer.from(root);
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = doc.indexOf(needle); at >= 0; at = doc.indexOf(needle, start)) {
    parts.push(doc.subarray(start, at), replacement);
    start = at + needle.length;
  }
  if (!start) return doc;
  parts.push(doc.subarray(start));
  return Buffer.concat(parts);
}

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * Content-codes a finished document once for the representation cache. Higher levels than the
 * per-request streaming path: the cost is paid once per series version, the bytes on every
 * request. Runs on the libuv pool, off the event loop.
 */
function encode(doc: Buffer, encoding: Encoding): Promise<Buffer> {
  if (encoding === 'gzip') return gzipAsync(doc, { level: 6 });
  if (encoding === 'br') {
    return brotliAsync(doc, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: doc.length } });
  }
  return Promise.resolve(doc);
}

/** Memory for finished series metadata representations (a 300-slice CT is ~2 MB raw, ~0.2 MB gzip). */
const CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Stored documents above this (gzip) size are streamed per request instead of materialised in
 * memory: a series that large is rare and must not hold tens of MB per request.
 */
const MAX_MATERIALISED_GZIP_BYTES = 4 * 1024 * 1024;

function compressor(encoding: Encoding): Transform | null {
  // Speed over ratio: metadata is produced per request and JSON compresses well at low levels.
  if (encoding === 'br') return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  if (encoding === 'gzip') return createGzip({ level: 4 });
  return null;
}

/** Metadata is DICOM JSON only (PS3.18 §10.4.1.1.2 also allows XML, which we do not offer). */
function assertAcceptsJson(req: FastifyRequest): void {
  const ok = parseAccept(req.headers.accept).some((r) => covers(r.type, 'application/dicom+json') || covers(r.type, 'application/json'));
  if (!ok) throw notAcceptable('metadata is served as application/dicom+json');
}

/** A stored document above MAX_MATERIALISED_GZIP_BYTES: streamed, not cached. */
class TooLargeToMaterialise extends Error {}

const fastPath = (se: SeriesMeta) => !!se.metadataObjectKey && se.metadataVersion === se.numberOfInstances;

/**
 * WADO-RS metadata (PS3.18 §10.4.1.1.2) at study, series and instance level in DICOM JSON. The
 * worker's precomputed gzip blob per series is served when it covers every instance (one object
 * read); otherwise Postgres aggregates the instances' stored JSON in one statement. BulkDataURIs
 * get the request's public root. ETags derive from series versions, so an unchanged series
 * revalidates with 304.
 *
 * Series metadata (what a viewer fetches per series) is materialised once per ETag — root
 * substituted, gzip/br/identity — and answered from {@link RepresentationCache} afterwards, with
 * a Content-Length.
 */
export const metadataRoutes: FastifyPluginAsync<{ repo: WadoRepo; store: ObjectStore; publicUrl?: string }> = async (app, { repo, store, publicUrl }) => {
  const cache = new RepresentationCache(CACHE_BYTES);

  /**
   * The series' JSON array as one buffer, root resolved; null when the stored document is too large
   * to hold in memory (the caller streams it instead).
   */
  const seriesDocument = async (practiceId: string, se: SeriesMeta, root: string): Promise<Buffer | null> => {
    if (fastPath(se)) {
      try {
        const { body, size } = await store.get(se.metadataObjectKey!);
        if (size > MAX_MATERIALISED_GZIP_BYTES) {
          body.destroy();
          return null;
        }
        return replacePlaceholder(await gunzipAsync(Buffer.concat(await body.toArray())), root);
      } catch (err) {
        if (!(err instanceof ObjectNotFoundError)) throw err;
      }
    }
    // The aggregate is one SQL string already; buffering it adds nothing.
    return Buffer.from(await repo.aggregatedMetadata(practiceId, se.id, root));
  };

  /** The series' JSON array as a byte stream, root resolved. */
  const seriesJson = async (practiceId: string, se: SeriesMeta, root: string): Promise<Readable> => {
    if (fastPath(se)) {
      try {
        const { body } = await store.get(se.metadataObjectKey!);
        const out = placeholderReplacer(root);
        void pipeline(body, createGunzip(), out).catch((err) => out.destroy(err));
        return out;
      } catch (err) {
        if (!(err instanceof ObjectNotFoundError)) throw err;
      }
    }
    return Readable.from([Buffer.from(await repo.aggregatedMetadata(practiceId, se.id, root))]);
  };

  /** Sets the revalidation headers; true when the client's copy is current (304 sent). */
  const negotiate = (req: FastifyRequest, reply: FastifyReply, etag: string, encoding: Encoding): boolean => {
    reply.header('Cache-Control', CACHE_REVALIDATE);
    reply.header('Vary', 'Accept, Accept-Encoding');
    if (notModified(req, reply, etag)) return true;
    reply.type('application/dicom+json');
    if (encoding !== 'identity') reply.header('Content-Encoding', encoding);
    return false;
  };

  /** Compresses a document stream on the fly (documents that are not cached). */
  const stream = (reply: FastifyReply, source: Readable, encoding: Encoding) => {
    const z = compressor(encoding);
    if (!z) return reply.send(source);
    void pipeline(source, z).catch((err) => z.destroy(err));
    return reply.send(z);
  };

  const send = async (req: FastifyRequest, reply: FastifyReply, etagParts: (string | number)[], body: () => Promise<Readable>) => {
    assertAcceptsJson(req);
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    if (negotiate(req, reply, strongEtag(...etagParts, encoding), encoding)) return reply;
    if (req.method === 'HEAD') return reply.send(emptyBody());
    return stream(reply, await body(), encoding);
  };

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/metadata', async (req, reply) => {
    const auth = requireAuth(req);
    const root = dicomwebRoot(req, publicUrl);
    const [se] = await repo.series(auth.practiceId, req.params.study, req.params.series);
    assertAcceptsJson(req);
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    const etag = strongEtag('series-metadata', se!.id, se!.numberOfInstances, se!.metadataVersion, se!.metadataObjectKey ?? '', se!.updatedAt.toISOString(), root, encoding);
    if (negotiate(req, reply, etag, encoding)) return reply;
    if (req.method === 'HEAD') return reply.send(emptyBody());
    // The ETag names the exact bytes (series version, root, coding): it is the cache key.
    const bytes = await cache
      .get(etag, async () => {
        const doc = await seriesDocument(auth.practiceId, se!, root);
        if (!doc) throw new TooLargeToMaterialise();
        return encode(doc, encoding);
      })
      .catch((err) => {
        if (err instanceof TooLargeToMaterialise) return null;
        throw err;
      });
    if (bytes) return reply.header('Content-Length', bytes.length).send(bytes);
    return stream(reply, await seriesJson(auth.practiceId, se!, root), encoding);
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/metadata', async (req, reply) => {
    const auth = requireAuth(req);
    const root = dicomwebRoot(req, publicUrl);
    const all = await repo.series(auth.practiceId, req.params.study);
    const tag = all.flatMap((se) => [se.id, se.numberOfInstances, se.metadataVersion, se.metadataObjectKey ?? '', se.updatedAt.toISOString()]);
    return send(req, reply, ['study-metadata', ...tag, root], async () => {
      // One series in memory at a time: strip each array's brackets and join them into one array.
      async function* generate() {
        yield Buffer.from('[');
        let first = true;
        for (const se of all) {
          const chunks: Buffer[] = [];
          for await (const c of await seriesJson(auth.practiceId, se, root)) chunks.push(c as Buffer);
          const inner = Buffer.concat(chunks).toString('utf8').trim().slice(1, -1).trim();
          if (!inner) continue;
          yield Buffer.from(first ? inner : `,${inner}`);
          first = false;
        }
        yield Buffer.from(']');
      }
      return Readable.from(generate());
    });
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/metadata', async (req, reply) => {
    const auth = requireAuth(req);
    const root = dicomwebRoot(req, publicUrl);
    const uids = { study: req.params.study, series: req.params.series!, instance: req.params.instance! };
    const row = await repo.instanceMetadata(auth.practiceId, uids, root);
    return send(req, reply, ['instance-metadata', row.sha256, row.updatedAt.toISOString(), root], async () => Readable.from([Buffer.from(`[${row.json}]`)]));
  });
};
