import type { Db } from '@vetpacs/db';
import { ImageDecodeError, initCodecs, loadFrame, middleFrame, type RenderFormat, renderFrame, type StoredImage, THUMBNAIL_SIZE, type Viewport, type WindowSpec } from '@vetpacs/imaging';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { AppError, badRequest, notAcceptable, notFound } from '../lib/errors';
import { CACHE_REVALIDATE, covers, emptyBody, notModified, parseAccept, strongEtag } from './http';
import { type OutPart, sendRaw } from './multipart-writer';
import { bufferStream } from './on-the-fly';
import { semaphore } from './semaphore';

/** Parsed rendering query (PS3.18 §8.3.5.1). */
export interface RenderQuery {
  format: RenderFormat;
  quality?: number;
  window?: WindowSpec;
  viewport?: Viewport;
}

const FORMATS: [RenderFormat, string][] = [
  ['jpeg', 'image/jpeg'],
  ['png', 'image/png'],
  ['webp', 'image/webp'],
];
const WINDOW_FUNCTIONS: Record<string, WindowSpec['fn']> = { linear: 'LINEAR', 'linear-exact': 'LINEAR_EXACT', sigmoid: 'SIGMOID' };
const MAX_VIEWPORT = 4096;

/**
 * Parses the rendered/thumbnail query parameters and the media type (the `accept` query parameter
 * overrides the Accept header, PS3.18 §8.3.3.1). Throws 400 with the reason for malformed values
 * and 406 when no supported image type is acceptable. `annotation` is accepted and ignored: we burn
 * in no annotations (§8.3.5.1.1 lets the server omit them).
 */
export function parseRenderQuery(query: Record<string, string | undefined>, acceptHeader: string | undefined): RenderQuery {
  const ranges = parseAccept(query.accept ?? acceptHeader);
  const format = ranges.map((r) => FORMATS.find(([, mt]) => covers(r.type, mt))?.[0]).find(Boolean);
  if (!format) throw notAcceptable('rendered media types offered: image/jpeg, image/png, image/webp');
  const out: RenderQuery = { format };
  if (query.quality !== undefined) {
    const q = Number(query.quality);
    if (!Number.isInteger(q) || q < 1 || q > 100) throw badRequest('INVALID_QUALITY', 'quality must be an integer 1-100');
    out.quality = q;
  }
  if (query.window !== undefined) {
    const [c, w, fn = 'linear', ...rest] = query.window.split(',').map((s) => s.trim());
    const center = Number(c);
    const width = Number(w);
    const f = WINDOW_FUNCTIONS[fn.toLowerCase()];
    if (rest.length || !c || !w || !Number.isFinite(center) || !Number.isFinite(width) || width < 1 || !f) {
      throw badRequest('INVALID_WINDOW', 'window must be center,width[,linear|linear-exact|sigmoid] with width >= 1');
    }
    out.window = { center, width, fn: f };
  }
  if (query.viewport !== undefined) {
    const parts = query.viewport.split(',').map((s) => s.trim());
    const nums = parts.map((p) => (p === '' ? Number.NaN : Number(p)));
    const ok = (parts.length === 2 || parts.length === 6) && nums.every((n) => Number.isInteger(n));
    const [vw = 0, vh = 0, sx = 0, sy = 0, sw = 0, sh = 0] = nums;
    if (!ok || vw < 1 || vh < 1 || vw > MAX_VIEWPORT || vh > MAX_VIEWPORT || (parts.length === 6 && (sx < 0 || sy < 0 || sw < 1 || sh < 1))) {
      // Negative sw/sh (flips, §8.3.5.1.3) are not supported.
      throw badRequest('INVALID_VIEWPORT', `viewport must be vw,vh or vw,vh,sx,sy,sw,sh with positive sizes up to ${MAX_VIEWPORT}`);
    }
    out.viewport = { width: vw, height: vh, ...(parts.length === 6 ? { region: { left: sx, top: sy, width: sw, height: sh } } : {}) };
  }
  return out;
}

type InstanceRow = StoredImage & { id: string; sha256: string; thumbnailObjectKey: string | null; rows: number | null };
const instanceSelect = {
  id: true, sha256: true, objectKey: true, transferSyntaxUid: true, byteSize: true, numberOfFrames: true,
  pixelDataOffset: true, frameOffsets: true, thumbnailObjectKey: true, rows: true,
} as const;

type Params = { study: string; series?: string; instance?: string; frames?: string };

/**
 * DICOMweb rendered resources (PS3.18 §10.4.1.1.3, §8.3.5) and thumbnails (§10.4.1.1.4): consumer
 * images made with the image's own window (or the requested one). Thumbnails are served from the
 * worker's stored JPEG when no viewport or other type is asked for, else rendered on the fly from
 * the middle frame of the middle image. Rendered studies and series are multipart collections of
 * rendered frames. Every lookup is scoped to the caller's practice: another practice's UIDs are 404.
 */
export const renderedRoutes: FastifyPluginAsync<{ db: Db; store: ObjectStore }> = async (app, { db, store }) => {
  // Bounds decoding work in the API process: two renders at a time, the rest queue.
  const limit = semaphore(2);
  // WASM codecs are loaded on the first render, not at start: most servers mostly ingest and serve
  // stored thumbnails, and the codecs cost tens of MB of resident memory.

  const instanceWhere = (practiceId: string, p: Params) => ({
    practiceId,
    sopInstanceUid: p.instance!,
    series: { practiceId, seriesInstanceUid: p.series!, study: { practiceId, studyInstanceUid: p.study } },
  });
  /** The series' representative image: the middle renderable instance (as the worker picks it). */
  async function middleInstance(practiceId: string, seriesWhere: object): Promise<InstanceRow | null> {
    const rows = await db.instance.findMany({
      where: { practiceId, rows: { not: null }, series: seriesWhere },
      orderBy: [{ instanceNumber: { sort: 'asc', nulls: 'last' } }, { sopInstanceUid: 'asc' }],
      select: { id: true },
    });
    const mid = rows[Math.floor((rows.length - 1) / 2)];
    return mid ? db.instance.findFirst({ where: { id: mid.id, practiceId }, select: instanceSelect }) : null;
  }

  async function send(req: FastifyRequest, reply: FastifyReply, inst: InstanceRow, frame: number, q: RenderQuery, cacheKey: string) {
    const etag = strongEtag('rendered', inst.sha256, frame, cacheKey, q.format, JSON.stringify(q));
    reply.header('Cache-Control', CACHE_REVALIDATE).header('Vary', 'Accept');
    if (notModified(req, reply, etag)) return reply;
    if (inst.rows === null) throw notAcceptable('the instance has no image to render');
    const image = await render(inst, frame, q);
    return reply.type(image.contentType).send(image.data);
  }

  /** Renders one frame under the concurrency limit; `frameOnly` reads a multi-frame file's header and that frame only. */
  function render(inst: StoredImage, frame: number, q: RenderQuery, frameOnly = false) {
    return limit(async () => {
      try {
        await initCodecs();
        const loaded = await loadFrame(store, inst, frame, frameOnly ? { wholeFileLimit: 0 } : {});
        return await renderFrame(loaded, { frame: loaded.frame, format: q.format, quality: q.quality, window: q.window, viewport: q.viewport });
      } catch (err) {
        if (err instanceof RangeError) throw badRequest('INVALID_RENDER_PARAMETERS', err.message);
        if (err instanceof ImageDecodeError) throw new AppError(422, 'UNRENDERABLE', `cannot render this image: ${err.message}`);
        throw err;
      }
    });
  }

  /**
   * Rendered study and series (PS3.18 §10.4.1.1.3): `multipart/related` of rendered images, one
   * part per frame of every image instance (one part for a single-frame image), in retrieve order
   * (series number, instance number). Instances without pixel data (reports, presentation states)
   * have no rendered form and are left out. Parts are rendered one at a time while the response
   * streams (the next while the current is sent), so memory stays at about two images whatever the
   * study size; multi-frame files are read one frame at a time. Each part's Content-Location
   * names the frame's own rendered resource, so clients can tell the parts apart.
   */
  async function collection(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const { practiceId } = requireAuth(req);
    const query = req.query as Record<string, string | undefined>;
    // Clients ask for `multipart/related; type="image/jpeg"`: negotiate on the part type.
    const inner = parseAccept(req.headers.accept).map((r) => (r.type.startsWith('multipart/') ? (r.params.type ?? 'image/jpeg') : r.type));
    const q = parseRenderQuery(query, inner.join(', '));
    const { study, series } = req.params;
    const seriesWhere = { practiceId, ...(series ? { seriesInstanceUid: series } : {}), study: { practiceId, studyInstanceUid: study } };
    if (!(await db.series.findFirst({ where: seriesWhere, select: { id: true } }))) throw notFound(series ? 'series' : 'study');
    const images = await db.instance.findMany({
      where: { practiceId, rows: { not: null }, series: seriesWhere },
      orderBy: [{ series: { seriesNumber: { sort: 'asc', nulls: 'last' } } }, { series: { seriesInstanceUid: 'asc' } }, { instanceNumber: { sort: 'asc', nulls: 'last' } }, { sopInstanceUid: 'asc' }],
      select: { ...instanceSelect, sopInstanceUid: true, series: { select: { seriesInstanceUid: true } } },
    });
    if (!images.length) throw notFound(`image in this ${series ? 'series' : 'study'}`);
    const etag = strongEtag('rendered-collection', ...images.map((i) => `${i.sha256}:${i.numberOfFrames}`), q.format, JSON.stringify(q));
    reply.header('Cache-Control', CACHE_REVALIDATE).header('Vary', 'Accept');
    if (notModified(req, reply, etag)) return reply;
    const parts: OutPart[] = images.flatMap((inst) =>
      Array.from({ length: Math.max(1, inst.numberOfFrames) }, (_, frame) => ({
        contentType: q.format === 'jpeg' ? 'image/jpeg' : `image/${q.format}`,
        location: `/dicomweb/studies/${study}/series/${inst.series.seriesInstanceUid}/instances/${inst.sopInstanceUid}/frames/${frame + 1}/rendered`,
        open: async () => bufferStream((await render(inst, frame, q, true)).data),
      })),
    );
    const boundary = `vetpacs-${etag.slice(1, 25)}`;
    reply.type(`multipart/related; type="${parts[0]!.contentType}"; boundary=${boundary}`);
    return req.method === 'HEAD' ? reply.send(emptyBody()) : sendRaw(reply, req.log, boundary, parts);
  }

  /** Stored thumbnail when it fits the request (JPEG acceptable, no viewport), else a fresh render. */
  async function thumbnail(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply, inst: InstanceRow | null, storedKey: string | null) {
    if (!inst) throw notFound('image');
    const query = req.query as Record<string, string | undefined>;
    const q = parseRenderQuery({ accept: query.accept, viewport: query.viewport }, req.headers.accept);
    if (storedKey && q.format === 'jpeg' && !q.viewport) {
      const head = await store.head(storedKey);
      if (head) {
        reply.header('Cache-Control', CACHE_REVALIDATE).header('Vary', 'Accept');
        if (notModified(req, reply, strongEtag('thumb', storedKey, head.size, head.lastModified?.toISOString() ?? ''))) return reply;
        const { body, contentLength } = await store.get(storedKey);
        return reply.type('image/jpeg').header('Content-Length', contentLength).send(body);
      }
    }
    return send(req, reply, inst, middleFrame(inst.numberOfFrames), { ...q, viewport: q.viewport ?? { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE }, quality: 80 }, 'thumbnail');
  }

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/rendered', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const q = parseRenderQuery(req.query as Record<string, string | undefined>, req.headers.accept);
    const inst = await db.instance.findFirst({ where: instanceWhere(practiceId, req.params), select: instanceSelect });
    if (!inst) throw notFound('instance');
    // A single-image media type shows the first frame of a multi-frame instance (§10.4.1.1.3).
    return send(req, reply, inst, 0, q, 'instance');
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames/rendered', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const q = parseRenderQuery(req.query as Record<string, string | undefined>, req.headers.accept);
    const list = req.params.frames!.split(',').map((s) => s.trim());
    if (list.length !== 1) throw badRequest('MULTIPLE_FRAMES', 'a rendered image holds one frame: ask for one frame number per request');
    if (!/^\d+$/.test(list[0]!) || Number(list[0]) < 1) throw badRequest('INVALID_FRAME_LIST', `invalid frame number '${list[0]!.slice(0, 20)}'`);
    const inst = await db.instance.findFirst({ where: instanceWhere(practiceId, req.params), select: instanceSelect });
    if (!inst) throw notFound('instance');
    const n = Number(list[0]);
    if (n > inst.numberOfFrames) throw notFound(`frame ${n} (the instance has ${inst.numberOfFrames})`);
    return send(req, reply, inst, n - 1, q, 'frame');
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/thumbnail', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const inst = await db.instance.findFirst({ where: instanceWhere(practiceId, req.params), select: instanceSelect });
    if (inst && inst.rows === null) throw notFound('thumbnail (the instance has no image)');
    return thumbnail(req, reply, inst, inst?.thumbnailObjectKey ?? null);
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/thumbnail', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const seriesWhere = { practiceId, seriesInstanceUid: req.params.series!, study: { practiceId, studyInstanceUid: req.params.study } };
    const series = await db.series.findFirst({ where: seriesWhere, select: { thumbnailObjectKey: true } });
    if (!series) throw notFound('series');
    return thumbnail(req, reply, await middleInstance(practiceId, seriesWhere), series.thumbnailObjectKey);
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/thumbnail', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const study = await db.study.findFirst({ where: { practiceId, studyInstanceUid: req.params.study }, select: { id: true } });
    if (!study) throw notFound('study');
    // The study's picture: its first series (by number) that has an image.
    const series = await db.series.findMany({
      where: { practiceId, studyId: study.id },
      orderBy: [{ seriesNumber: { sort: 'asc', nulls: 'last' } }, { seriesInstanceUid: 'asc' }],
      select: { id: true, thumbnailObjectKey: true },
    });
    for (const s of series) {
      const inst = await middleInstance(practiceId, { id: s.id, practiceId });
      if (inst) return thumbnail(req, reply, inst, s.thumbnailObjectKey);
    }
    throw notFound('thumbnail (the study has no image)');
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/rendered', collection);
  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/rendered', collection);
};
