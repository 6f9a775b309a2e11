import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth, UPLOAD_ROLES } from '../auth/plugin';
import type { IngestRepo } from './repo';
import { bindAuth, TUS_PATH, type createTusServer } from './tus';

const receiptSchema = z.object({
  sopInstanceUid: z.string().nullable(),
  studyInstanceUid: z.string().nullable(),
  seriesInstanceUid: z.string().nullable(),
  status: z.enum(['STORED', 'DUPLICATE', 'CONFLICT', 'REJECTED']),
  reason: z.string().nullable(),
  sha256: z.string().nullable(),
  size: z.number().nullable(),
  at: z.string(),
});

/**
 * Upload routes: the tus endpoint (`/api/uploads`, resumable, single instances or bundles), and
 * receipt queries, so an uploader that lost the final response can still learn each instance's
 * fate and compare hashes before deleting its local copy.
 */
export const ingestRoutes: FastifyPluginAsyncZod<{ tus: ReturnType<typeof createTusServer>; repo: IngestRepo }> = async (app, { tus, repo }) => {
  // tus bodies are streamed by the tus server itself: leave them unparsed.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

  const handle = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    // OPTIONS (tus discovery / CORS preflight) carries no credentials.
    if (req.method !== 'OPTIONS') bindAuth(req.raw, requireAuth(req, UPLOAD_ROLES));
    reply.hijack();
    await tus.tus.handle(req.raw, reply.raw);
  };
  for (const url of [TUS_PATH, `${TUS_PATH}/*`]) {
    app.route({ method: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'], url, schema: { hide: true }, handler: handle });
  }

  app.get(
    '/api/receipts/:uploadId',
    {
      schema: {
        summary: 'Receipts of one upload (tus upload id or STOW request id)',
        params: z.object({ uploadId: z.string().min(1).max(100) }),
        response: { 200: z.object({ uploadId: z.string(), receipts: z.array(receiptSchema) }) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const rows = await repo.receiptsOf(auth.practiceId, req.params.uploadId);
      return {
        uploadId: req.params.uploadId,
        receipts: rows.map((r) => ({
          sopInstanceUid: r.sopInstanceUid,
          studyInstanceUid: r.studyInstanceUid,
          seriesInstanceUid: r.seriesInstanceUid,
          status: r.status,
          reason: r.reason,
          sha256: r.sha256,
          size: r.byteSize === null ? null : Number(r.byteSize),
          at: r.createdAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/receipts/lookup',
    {
      schema: {
        summary: 'Stored SHA-256 per SOP Instance UID (verify before deleting a local copy)',
        body: z.object({ sopInstanceUids: z.array(z.string().min(1).max(64)).min(1).max(10_000) }),
        response: {
          200: z.object({
            instances: z.array(
              z.object({ sopInstanceUid: z.string(), sha256: z.string(), size: z.number(), versions: z.array(z.object({ version: z.number(), sha256: z.string() })), hasConflict: z.boolean() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const rows = await repo.receiptsForInstances(auth.practiceId, req.body.sopInstanceUids);
      return {
        instances: rows.map((r) => ({ sopInstanceUid: r.sopInstanceUid, sha256: r.sha256, size: Number(r.byteSize), versions: r.versions, hasConflict: r.hasConflict })),
      };
    },
  );
};
