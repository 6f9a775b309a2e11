import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { notAcceptable } from '../lib/errors';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, emptyBody, notModified, parseAccept, strongEtag } from './http';
import { multipartLength, sendRaw } from './multipart-writer';
import { dicomSyntaxChoices } from './negotiate';
import { ON_THE_FLY_VERSION, type OnTheFly, settleSingle, type TranscodedPart, transcodedPart } from './on-the-fly';
import type { StoredInstance, Uids, WadoRepo } from './repo';

type Params = { study: string; series?: string; instance?: string };

interface Served {
  objectKey: string;
  byteSize?: number;
  /** SHA-256 of the served bytes when known (stored originals always). */
  sha256: string | null;
  transferSyntaxUid: string;
  sopInstanceUid: string;
  /** Transcode the original (objectKey) to transferSyntaxUid while streaming. */
  onTheFly?: boolean;
}

/**
 * Picks, for every instance, the object to send under the first acceptable transfer syntax
 * (PS3.18 §8.7.3.5): the original for `*` (or when the original already is in the requested
 * syntax), else a stored transcoded copy (the worker's, verified ahead of time), else a transcode
 * on the fly when the codecs and the memory cap allow it. A syntax is acceptable only if every
 * instance can be served in it; otherwise the next range is tried, and 406 when none is left.
 */
async function chooseObjects(repo: WadoRepo, onTheFly: OnTheFly, practiceId: string, instances: StoredInstance[], accept: string | undefined): Promise<Served[]> {
  const choices = dicomSyntaxChoices(parseAccept(accept));
  if (!choices.length) throw notAcceptable('WADO-RS retrieve answers multipart/related; type="application/dicom"');
  const asStored = (i: StoredInstance): Served => ({ objectKey: i.objectKey, byteSize: i.byteSize, sha256: i.sha256, transferSyntaxUid: i.transferSyntaxUid, sopInstanceUid: i.sopInstanceUid });
  let decoded: Map<string, number> | undefined;
  for (const choice of choices) {
    if (choice === 'stored') return instances.map(asStored);
    const needCopy = instances.filter((i) => i.transferSyntaxUid !== choice);
    const copies = needCopy.length ? await repo.transcodedCopies(practiceId, needCopy.map((i) => i.id), choice) : new Map();
    const rest = needCopy.filter((i) => !copies.has(i.id));
    // Sizes of every instance, fetched once: another choice may need other instances transcoded.
    if (rest.length) decoded ??= await onTheFly.decodedSizes(practiceId, instances.map((i) => i.id));
    if (!rest.every((i) => onTheFly.fitsInstance(i, decoded?.get(i.id), choice))) continue;
    return instances.map((i) => {
      if (i.transferSyntaxUid === choice) return asStored(i);
      const c = copies.get(i.id);
      if (!c) return { objectKey: i.objectKey, sha256: `${i.sha256}:${choice}:${ON_THE_FLY_VERSION}`, transferSyntaxUid: choice, sopInstanceUid: i.sopInstanceUid, onTheFly: true };
      return { objectKey: c.objectKey, byteSize: c.byteSize, sha256: c.sha256 ?? `${i.sha256}:${choice}`, transferSyntaxUid: choice, sopInstanceUid: i.sopInstanceUid };
    });
  }
  throw notAcceptable(`not available in the requested transfer syntax (${choices.join(', ')}); request transfer-syntax=* for the stored bytes`);
}

/**
 * WADO-RS retrieve (PS3.18 §10.4): study, series and instance resources as
 * `multipart/related; type="application/dicom"`, each part piped from the object store with
 * backpressure (constant memory for any study size). Parts transcoded on the fly are made one at
 * a time as the response streams (the next while the current one is sent). Strong ETags derive
 * from the SHA-256 of the parts; the boundary derives from the ETag so equal ETags mean equal bytes.
 */
export const wadoRoutes: FastifyPluginAsync<{ repo: WadoRepo; store: ObjectStore; onTheFly: OnTheFly }> = async (app, { repo, store, onTheFly }) => {
  const retrieve = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const auth = requireAuth(req);
    const uids: Uids = { study: req.params.study, series: req.params.series, instance: req.params.instance };
    const instances = await repo.instances(auth.practiceId, uids);
    const served = await chooseObjects(repo, onTheFly, auth.practiceId, instances, req.headers.accept);
    const etag = strongEtag('retrieve', ...served.map((s) => `${s.sopInstanceUid}:${s.transferSyntaxUid}:${s.sha256}`));
    reply.header('Cache-Control', uids.instance ? CACHE_IMMUTABLE : CACHE_REVALIDATE);
    reply.header('Vary', 'Accept');
    if (notModified(req, reply, etag)) return reply;
    const boundary = `vetpacs-${etag.slice(1, 25)}`;
    const parts = await settleSingle(
      served.map((s): TranscodedPart => {
        const contentType = `application/dicom; transfer-syntax=${s.transferSyntaxUid}`;
        if (s.onTheFly) return transcodedPart(contentType, () => onTheFly.instance(s.objectKey, s.transferSyntaxUid));
        return {
          contentType,
          length: s.byteSize,
          open: async () => (await store.get(s.objectKey)).body,
          readInto: (target) => store.readInto(s.objectKey, target),
        };
      }),
      req.method,
    );
    reply.type(`multipart/related; type="application/dicom"; boundary=${boundary}`);
    const length = multipartLength(boundary, parts);
    if (length !== undefined) reply.header('Content-Length', length);
    if (req.method === 'HEAD') return reply.send(emptyBody());
    return sendRaw(reply, req.log, boundary, parts);
  };

  app.get('/dicomweb/studies/:study', retrieve);
  app.get('/dicomweb/studies/:study/series/:series', retrieve);
  app.get('/dicomweb/studies/:study/series/:series/instances/:instance', retrieve);
};
