import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress, createGunzip, createGzip } from 'node:zlib';
import { ObjectNotFoundError, type ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { BULK_ROOT_PLACEHOLDER } from '../ingest/record';
import { notAcceptable } from '../lib/errors';
import { CACHE_REVALIDATE, covers, dicomwebRoot, emptyBody, notModified, parseAccept, strongEtag } from './http';
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

/** Replaces the ingest placeholder in a byte stream; keeps a tail so a split placeholder is found. */
export function placeholderReplacer(root: string): Transform {
  const needle = Buffer.from(BULK_ROOT_PLACEHOLDER);
  const replacement = Buffer.from(root);
  let tail = Buffer.alloc(0);
  const flushUpTo = (buf: Buffer, keep: number, push: (b: Buffer) => void) => {
    let start = 0;
    for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, start)) {
      push(buf.subarray(start, at));
      push(replacement);
      start = at + needle.length;
    }
    const cut = Math.max(start, buf.length - keep);
    push(buf.subarray(start, cut));
    return buf.subarray(cut);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      tail = Buffer.from(flushUpTo(Buffer.concat([tail, chunk]), needle.length - 1, (b) => b.length && this.push(b)));
      cb();
    },
    flush(cb) {
      flushUpTo(tail, 0, (b) => b.length && this.push(b));
      cb();
    },
  });
}

function compressor(encoding: Encoding): Transform | null {
  // Speed over ratio: metadata is produced per request and JSON compresses well at low levels.
  if (encoding === 'br') return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  if (encoding === 'gzip') return createGzip({ level: 4 });
  return null;
}

const fastPath = (se: SeriesMeta) => !!se.metadataObjectKey && se.metadataVersion === se.numberOfInstances;

/**
 * WADO-RS metadata (PS3.18 §10.4.1.1.2) at study, series and instance level in DICOM JSON. The
 * worker's precomputed gzip blob per series is served when it covers every instance (one object
 * read); otherwise Postgres aggregates the instances' stored JSON in one statement. BulkDataURIs
 * get the request's public root. ETags derive from series versions, so an unchanged series
 * revalidates with 304.
 */
export const metadataRoutes: FastifyPluginAsync<{ repo: WadoRepo; store: ObjectStore; publicUrl?: string }> = async (app, { repo, store, publicUrl }) => {
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

  const send = async (req: FastifyRequest, reply: FastifyReply, etagParts: (string | number)[], body: () => Promise<Readable>) => {
    const ok = parseAccept(req.headers.accept).some((r) => covers(r.type, 'application/dicom+json') || covers(r.type, 'application/json'));
    if (!ok) throw notAcceptable('metadata is served as application/dicom+json');
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    reply.header('Cache-Control', CACHE_REVALIDATE);
    reply.header('Vary', 'Accept, Accept-Encoding');
    if (notModified(req, reply, strongEtag(...etagParts, encoding))) return reply;
    reply.type('application/dicom+json');
    if (encoding !== 'identity') reply.header('Content-Encoding', encoding);
    if (req.method === 'HEAD') return reply.send(emptyBody());
    const source = await body();
    const z = compressor(encoding);
    if (!z) return reply.send(source);
    void pipeline(source, z).catch((err) => z.destroy(err));
    return reply.send(z);
  };

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/metadata', async (req, reply) => {
    const auth = requireAuth(req);
    const root = dicomwebRoot(req, publicUrl);
    const [se] = await repo.series(auth.practiceId, req.params.study, req.params.series);
    const tag = [se!.id, se!.numberOfInstances, se!.metadataVersion, se!.metadataObjectKey ?? '', se!.updatedAt.toISOString()];
    return send(req, reply, ['series-metadata', ...tag, root], () => seriesJson(auth.practiceId, se!, root));
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
