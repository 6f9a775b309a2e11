import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth, UPLOAD_ROLES } from '../auth/plugin';
import type { IngestService } from '../ingest/service';
import type { IngestContext, InstanceReceipt } from '../ingest/types';
import { badRequest, unsupportedMediaType } from '../lib/errors';
import { MultipartError, parseMultipartContentType, parseMultipartRelated } from '../lib/multipart-related';
import { isValidUid } from '@vetpacs/dicom';
import { warningHeader } from './http';

/** FailureReason (0008,1197) values of PS3.18 §10.5.3 / PS3.4 Annex GG. */
const FAILURE = {
  outOfResources: 0xa700,
  cannotUnderstand: 0xc000,
  transferSyntaxNotSupported: 0xc122,
  processingFailure: 0x0110,
} as const;
/** WarningReason (0008,1196): the stored instance is not exactly what was sent. */
const WARNING_COERCION = 0xb000;

function failureReasonOf(code: string | undefined): number {
  switch (code) {
    case 'TOO_LARGE':
      return FAILURE.outOfResources;
    case 'UNKNOWN_TRANSFER_SYNTAX':
      return FAILURE.transferSyntaxNotSupported;
    default:
      return FAILURE.cannotUnderstand;
  }
}

/**
 * STOW-RS (PS3.18 §10.5): `POST /studies[/{study}]` with `multipart/related;
 * type="application/dicom"`. Every part goes through the same streaming ingest pipeline as tus
 * uploads and is accounted for in the response: ReferencedSOPSequence (stored or already stored),
 * FailedSOPSequence (with FailureReason), never silently dropped. Status: 200 all stored, 202 some
 * failed or warnings, 409 none stored, 400 malformed request, 415 wrong media type.
 */
export const stowRoutes: FastifyPluginAsyncZod<{ ingest: IngestService; publicUrl?: string }> = async (app, { ingest, publicUrl }) => {
  // The body is streamed by the route; register a pass-through parser for the multipart types.
  app.addContentTypeParser(/^multipart\/related/i, (_req, _payload, done) => done(null));

  const handler = async (req: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply) => {
    const auth = requireAuth(req, UPLOAD_ROLES);
    const study = req.params.study;
    if (study !== undefined && !isValidUid(study)) throw badRequest('INVALID_UID', `not a valid Study Instance UID: ${study.slice(0, 80)}`);
    const ct = parseMultipartContentType(req.headers['content-type']);
    if (ct.mediaType !== 'multipart/related') throw unsupportedMediaType('STOW-RS takes multipart/related; type="application/dicom"');
    if (ct.type && ct.type !== 'application/dicom') {
      throw unsupportedMediaType(`only type="application/dicom" is supported (got ${ct.type}); metadata+bulkdata STOW is not`);
    }
    if (!ct.boundary) throw badRequest('NO_BOUNDARY', 'multipart/related Content-Type without a boundary parameter');

    const ctx: IngestContext = {
      practiceId: auth.practiceId,
      siteId: auth.siteId,
      actor: auth.actor,
      uploadId: `stow-${randomUUID()}`,
      newUpload: true,
      sourceIp: req.ip,
      requiredStudyInstanceUid: study,
      traceId: req.id,
      followUps: [],
    };
    const style = await ingest.nameStyleFor(ctx);
    const pipeline = ingest.pipelineFor(ctx);
    const trailing: InstanceReceipt[] = [];
    try {
      await parseMultipartRelated(req.raw, ct.boundary, async (part) => {
        const type = (part.headers['content-type'] ?? 'application/dicom').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/dicom') {
          part.body.resume();
          const receipt: InstanceReceipt = { status: 'REJECTED', code: 'MEDIA_TYPE', reason: `part ${part.index + 1} has Content-Type ${type}, expected application/dicom` };
          await pipeline.add(async () => receipt);
          return;
        }
        await pipeline.add((io) => ingest.ingestInstance(part.whole ?? part.body, ctx, style, {}, io));
      });
    } catch (err) {
      if (!(err instanceof MultipartError)) {
        await ingest.abandonRequest(ctx, pipeline);
        throw err;
      }
      // Instances before the break are stored and reported; the malformed rest is reported too.
      trailing.push({ status: 'REJECTED', code: 'MALFORMED_MULTIPART', reason: err.message });
    }
    const receipts = await ingest.finishRequest(ctx, pipeline, trailing);
    if (!receipts.length) throw badRequest('EMPTY', 'the request contained no parts');

    const origin = publicUrl ?? `${req.protocol}://${req.host}`;
    const retrieveUrl = (s: string) => `${origin}/dicomweb/studies/${s}`;
    const ok = receipts.filter((r) => r.status !== 'REJECTED');
    const failed = receipts.filter((r) => r.status === 'REJECTED');
    const conflicts = receipts.filter((r) => r.status === 'CONFLICT');
    const body: Record<string, unknown> = {};
    const targetStudy = study ?? (ok.length && ok.every((r) => r.studyInstanceUid === ok[0]!.studyInstanceUid) ? ok[0]!.studyInstanceUid : undefined);
    if (targetStudy) body['00081190'] = { vr: 'UR', Value: [retrieveUrl(targetStudy)] };
    if (failed.length) {
      body['00081198'] = {
        vr: 'SQ',
        Value: failed.map((r) => ({
          ...(r.sopClassUid ? { '00081150': { vr: 'UI', Value: [r.sopClassUid] } } : {}),
          ...(r.sopInstanceUid ? { '00081155': { vr: 'UI', Value: [r.sopInstanceUid] } } : {}),
          '00081197': { vr: 'US', Value: [failureReasonOf(r.code)] },
        })),
      };
    }
    if (ok.length) {
      body['00081199'] = {
        vr: 'SQ',
        Value: ok.map((r) => ({
          '00081150': { vr: 'UI', Value: [r.sopClassUid] },
          '00081155': { vr: 'UI', Value: [r.sopInstanceUid] },
          '00081190': { vr: 'UR', Value: [`${retrieveUrl(r.studyInstanceUid!)}/series/${r.seriesInstanceUid}/instances/${r.sopInstanceUid}`] },
          ...(r.status === 'CONFLICT' ? { '00081196': { vr: 'US', Value: [WARNING_COERCION] } } : {}),
        })),
      };
    }
    // Human-readable reasons (PS3.18 §8.10.3 Warning header), capped to keep headers small; header
    // values are ASCII, so anything else (e.g. a patient name in a reason) is replaced.
    const warnings = [...failed, ...conflicts].slice(0, 20).map((r) => warningHeader(`299 vetpacs "${(r.sopInstanceUid ? `${r.sopInstanceUid}: ` : '') + (r.reason ?? r.code ?? '')}"`));
    if (warnings.length) reply.header('Warning', warnings);
    reply.header('X-Receipts', `/api/receipts/${ctx.uploadId}`);
    const status = ok.length === 0 ? 409 : failed.length || conflicts.length ? 202 : 200;
    return reply.status(status).type('application/dicom+json').send(body);
  };

  app.post('/dicomweb/studies', { schema: { summary: 'STOW-RS: store instances', hide: false } }, handler);
  app.post(
    '/dicomweb/studies/:study',
    { schema: { summary: 'STOW-RS: store instances of one study', params: z.object({ study: z.string().max(64) }) } },
    handler,
  );
};
