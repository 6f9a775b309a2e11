import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransferSyntax } from '@vetpacs/dicom';
import type { StoredImage } from '@vetpacs/imaging';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { AppError, badRequest, notAcceptable, notFound } from '../lib/errors';
import { locateBulk } from './bulk';
import { CACHE_IMMUTABLE, emptyBody, notModified, parseAccept, strongEtag } from './http';
import { multipartLength, type OutPart, sendRaw } from './multipart-writer';
import { chooseFrameMedia } from './negotiate';
import { ON_THE_FLY_VERSION, type OnTheFly, settleSingle, type TranscodedPart, transcodedPart } from './on-the-fly';
import type { FrameRanges, PixelInstance, WadoRepo } from './repo';

type Params = { study: string; series: string; instance: string; frames?: string; '*'?: string };

/** Largest gap of encapsulation item headers read through (and dropped) to serve a frame in one GET. */
const MAX_GAP = 64 * 1024;

/**
 * Streams the bytes of `ranges` of an object in order. Ranges close together (the fragments of
 * one encapsulated frame, separated by 8-byte item headers, PS3.5 §A.4) are fetched with a single
 * range request and the gaps dropped while streaming.
 */
export async function openRanges(store: ObjectStore, key: string, ranges: { offset: number; length: number }[]): Promise<Readable> {
  if (!ranges.length) return new PassThrough().end() as PassThrough;
  const first = ranges[0]!;
  const last = ranges.at(-1)!;
  const span = last.offset + last.length - first.offset;
  const useful = ranges.reduce((s, r) => s + r.length, 0);
  const contiguousOrder = ranges.every((r, i) => i === 0 || r.offset >= ranges[i - 1]!.offset + ranges[i - 1]!.length);
  if (contiguousOrder && span - useful <= MAX_GAP) {
    const { body } = await store.get(key, { range: { start: first.offset, end: first.offset + span - 1 } });
    if (ranges.length === 1) return body;
    let pos = first.offset;
    const keep = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        const start = pos;
        pos += chunk.length;
        for (const r of ranges) {
          const a = Math.max(r.offset, start);
          const b = Math.min(r.offset + r.length, pos);
          if (a < b) this.push(chunk.subarray(a - start, b - start));
        }
        cb();
      },
    });
    void pipeline(body, keep).catch((err) => keep.destroy(err));
    return keep;
  }
  const out = new PassThrough();
  void (async () => {
    for (const r of ranges) {
      const { body } = await store.get(key, { range: { start: r.offset, end: r.offset + r.length - 1 } });
      await pipeline(body, out, { end: false });
    }
    out.end();
  })().catch((err) => out.destroy(err));
  return out;
}

/**
 * A stored byte-range part. One range (native frames, single-fragment encapsulated frames, bulk
 * data) is read whole into a pooled buffer when small (see writeMultipart); several ranges (a frame
 * split into fragments) stream through openRanges, which fetches close ranges with one read or GET.
 */
function rangesPart(store: ObjectStore, key: string, contentType: string, ranges: { offset: number; length: number }[]): OutPart {
  const only = ranges.length === 1 ? ranges[0]! : undefined;
  return {
    contentType,
    length: ranges.reduce((s, r) => s + r.length, 0),
    open: () => openRanges(store, key, ranges),
    readInto: only ? (target) => store.readInto(key, target, only.offset) : undefined,
  };
}

/** Parses `1,3,5` (PS3.18 §10.4.1.1.3: a comma-separated list of 1-based frame numbers). */
export function parseFrameList(raw: string, numberOfFrames: number): number[] {
  const items = raw.split(',').map((s) => s.trim());
  if (!items.length || items.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) throw badRequest('INVALID_FRAME_LIST', `invalid frame list '${raw.slice(0, 80)}'`);
  const frames = items.map(Number);
  const missing = frames.find((n) => n > numberOfFrames);
  if (missing !== undefined) throw notFound(`frame ${missing} (the instance has ${numberOfFrames})`);
  return frames;
}

function framesOf(inst: PixelInstance): FrameRanges[] {
  if (!inst.frames?.length) {
    // Deflated originals carry no usable offsets (they address the inflated data set).
    throw new AppError(406, 'NOT_ACCEPTABLE', 'frames of this instance are not addressable in its stored transfer syntax');
  }
  return inst.frames;
}

async function sendParts(req: FastifyRequest, reply: FastifyReply, etag: string, lazyParts: TranscodedPart[], multipart: boolean) {
  reply.header('Cache-Control', CACHE_IMMUTABLE);
  reply.header('Vary', 'Accept');
  if (notModified(req, reply, etag)) return reply;
  const parts = await settleSingle(lazyParts, req.method);
  if (!multipart) {
    const p = parts[0]!;
    reply.type(p.contentType);
    if (p.length !== undefined) reply.header('Content-Length', p.length);
    return req.method === 'HEAD' ? reply.send(emptyBody()) : sendRaw(reply, req.log, undefined, [p]);
  }
  const boundary = `vetpacs-${etag.slice(1, 25)}`;
  const type = parts[0]!.contentType.split(';')[0];
  reply.type(`multipart/related; type="${type}"; boundary=${boundary}`);
  const length = multipartLength(boundary, parts);
  if (length !== undefined) reply.header('Content-Length', length);
  return req.method === 'HEAD' ? reply.send(emptyBody()) : sendRaw(reply, req.log, boundary, parts);
}

/**
 * WADO-RS frames (PS3.18 §10.4.1.1.3) and bulk data (§10.4.1.1.5): stored frames are range-read
 * from the original using the per-frame byte ranges recorded at ingest; each part's Content-Type
 * names the real transfer syntax (`transfer-syntax=*` clients such as OHIF decode by it). Frames
 * asked for in another syntax (e.g. `application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1`,
 * decoded native pixels) are transcoded on the fly, one frame at a time. Bulk data URIs are the
 * ones ingest wrote into the instance metadata.
 */
export const framesRoutes: FastifyPluginAsync<{ repo: WadoRepo; store: ObjectStore; onTheFly: OnTheFly }> = async (app, { repo, store, onTheFly }) => {
  const instanceOf = (req: FastifyRequest<{ Params: Params }>, practiceId = requireAuth(req).practiceId) => {
    const { study, series, instance } = req.params;
    return repo.pixelInstance(practiceId, { study, series, instance });
  };

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames', async (req, reply) => {
    const { practiceId } = requireAuth(req);
    const inst = await instanceOf(req, practiceId);
    const numbers = parseFrameList(req.params.frames!, inst.numberOfFrames);
    const ranges = parseAccept(req.headers.accept);
    const img: StoredImage = { ...inst, frameOffsets: inst.frames };
    const single = numbers.length === 1;
    // First without transcoding. chooseFrameMedia asks canTranscode only for a range the stored
    // bytes do not satisfy, so if it never asked, this is the answer and the decoded size (a DB
    // query) is not needed; otherwise a preferred range may want a transcode: choose again with it.
    let wantsTranscode = false;
    let choice = chooseFrameMedia(ranges, inst.transferSyntaxUid, single, () => {
      wantsTranscode = true;
      return false;
    });
    if (wantsTranscode) {
      const frameSize = ((await onTheFly.decodedSizes(practiceId, [inst.id])).get(inst.id) ?? 0) / Math.max(1, inst.numberOfFrames);
      choice = chooseFrameMedia(ranges, inst.transferSyntaxUid, single, (target) => numbers.every((n) => onTheFly.fitsFrame(img, n - 1, frameSize, target)));
    }
    if (!choice) throw notAcceptable(`frames are stored as ${inst.transferSyntaxUid} and cannot be served in the requested syntax; ask for transfer-syntax=* or that syntax`);
    const { transcodeTo } = choice;
    let parts: TranscodedPart[];
    if (transcodeTo) {
      parts = numbers.map((n) => transcodedPart(choice.contentType, () => onTheFly.frame(img, n - 1, transcodeTo)));
    } else {
      const all = framesOf(inst);
      parts = numbers.map((n) => rangesPart(store, inst.objectKey, choice.contentType, all[n - 1]!.ranges));
    }
    const etag = strongEtag('frames', inst.sha256, numbers.join(','), choice.contentType, String(choice.multipart), transcodeTo ? ON_THE_FLY_VERSION : '');
    return sendParts(req, reply, etag, parts, choice.multipart);
  });

  // The Pixel Data BulkDataURI ingest writes (`…/frames`, as OHIF and dcm4chee do): the whole value.
  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/frames', async (req, reply) => {
    const inst = await instanceOf(req);
    const ranges = inst.frames?.length
      ? inst.frames.flatMap((f) => f.ranges)
      : inst.pixelDataOffset !== null && inst.pixelDataLength !== null
        ? [{ offset: inst.pixelDataOffset, length: inst.pixelDataLength }]
        : null;
    if (!ranges) throw notFound('pixel data');
    const choice = chooseFrameMedia(parseAccept(req.headers.accept), inst.transferSyntaxUid, true);
    if (!choice) throw notAcceptable(`pixel data is stored as ${inst.transferSyntaxUid}; ask for transfer-syntax=* or that syntax`);
    const part = rangesPart(store, inst.objectKey, choice.contentType, ranges);
    return sendParts(req, reply, strongEtag('pixeldata', inst.sha256, choice.contentType, String(choice.multipart)), [part], choice.multipart);
  });

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/bulk/*', async (req, reply) => {
    const inst = await instanceOf(req);
    const path = (req.params['*'] ?? '').split('/').filter(Boolean);
    const range = await locateBulk(store, inst, path);
    // Bulk data other than pixel data is sent as stored (PS3.18 §8.7.3.3.2: application/octet-stream).
    const choice = chooseFrameMedia(parseAccept(req.headers.accept), '1.2.840.10008.1.2.1', true);
    if (!choice) throw notAcceptable('bulk data is served as application/octet-stream');
    // Non-pixel bulk values keep the data set's byte order: little endian except for big endian originals.
    const order = inst.transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian ? TransferSyntax.ExplicitVRBigEndian : TransferSyntax.ExplicitVRLittleEndian;
    const contentType = `application/octet-stream; transfer-syntax=${order}`;
    const part = rangesPart(store, inst.objectKey, contentType, [range]);
    return sendParts(req, reply, strongEtag('bulk', inst.sha256, path.join('/'), String(choice.multipart)), [part], choice.multipart);
  });
};
