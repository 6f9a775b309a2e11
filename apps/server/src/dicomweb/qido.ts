import type { Db } from '@vetpacs/db';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAuth } from '../auth/plugin';
import { notAcceptable, notFound } from '../lib/errors';
import { CACHE_REVALIDATE, covers, dicomwebRoot, parseAccept, resolveBulkRoot, warningHeader } from './http';
import type { QidoLevel } from './qido-attributes';
import { parseQidoQuery } from './qido-query';
import { runQido } from './qido-repo';

type Params = { study?: string; series?: string };

async function assertScopeExists(db: Db, practiceId: string, scope: Record<string, string>): Promise<void> {
  const series = scope.SeriesInstanceUID ?? null;
  const [row] = await db.$queryRaw<{ ok: number }[]>`
    SELECT 1 AS ok FROM study st
    LEFT JOIN series se ON se.study_id = st.id AND se.practice_id = ${practiceId}::uuid AND se.series_instance_uid = ${series}
    WHERE st.practice_id = ${practiceId}::uuid AND st.study_instance_uid = ${scope.StudyInstanceUID}
      AND (${series}::text IS NULL OR se.id IS NOT NULL)`;
  if (!row) throw notFound(series ? 'series' : 'study');
}

/** QIDO-RS answers in DICOM JSON only (PS3.18 §10.6.3.2; XML is optional). */
function assertAcceptsJson(accept: string | undefined): void {
  const ok = parseAccept(accept).some((r) => ['application/dicom+json', 'application/json'].some((t) => covers(r.type, t)));
  if (!ok) throw notAcceptable('QIDO-RS responses are application/dicom+json');
}

/**
 * QIDO-RS (PS3.18 §10.6): study, series and instance searches at every resource of Table
 * 10.6.1-2, scoped to the caller's practice. An empty result is `200 []` (the standard allows 204;
 * an empty JSON array is what clients parse without special cases).
 */
export const qidoRoutes: FastifyPluginAsync<{ db: Db; publicUrl?: string }> = async (app, { db, publicUrl }) => {
  const search = (level: QidoLevel) => async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const auth = requireAuth(req);
    assertAcceptsJson(req.headers.accept);
    const scope: Record<string, string> = {};
    if (req.params.study) scope.StudyInstanceUID = req.params.study;
    if (req.params.series) scope.SeriesInstanceUID = req.params.series;
    const q = parseQidoQuery(level, req.query as Record<string, string | string[]>, scope);
    const root = dicomwebRoot(req, publicUrl);
    const page = await runQido(db, auth.practiceId, q, root);
    // A resource path naming a study/series the practice does not hold is a missing resource (404),
    // not an empty search: the same answer whether the UID is unknown or another practice's.
    if (!page.count && (scope.StudyInstanceUID || scope.SeriesInstanceUID)) await assertScopeExists(db, auth.practiceId, scope);
    const warnings: string[] = [];
    if (q.unsupported.length) {
      warnings.push(`299 vetpacs "The following query parameters are not supported and were ignored: ${q.unsupported.join(', ').slice(0, 500)}"`);
    }
    // PS3.18 §8.3.4.4: more results than the server's maximum → the client pages on with offset.
    if (page.count > q.limit && q.capped) {
      warnings.push('299 vetpacs "The number of results exceeded the maximum supported by the server. Additional results can be requested."');
    }
    if (warnings.length) reply.header('Warning', warnings.map(warningHeader));
    // The results are DICOM JSON text already (written by Postgres): no rows, no per-value strings
    // here — a 1000-row page is one string, which keeps the young generation nearly empty.
    // Attributes copied from stored instance JSON (includefield) carry the DICOMweb root as a
    // placeholder (the stored study texts get theirs in SQL). Sent as one Buffer: a string body
    // is UTF-8-encoded twice (Content-Length, then the socket write).
    const text = `[${page.body}]`;
    const body = Buffer.from(q.extraTags.length ? resolveBulkRoot(text, root) : text);
    return reply.header('Cache-Control', CACHE_REVALIDATE).type('application/dicom+json').send(body);
  };

  app.get('/dicomweb/studies', search('study'));
  app.get('/dicomweb/series', search('series'));
  app.get('/dicomweb/instances', search('instance'));
  app.get('/dicomweb/studies/:study/series', search('series'));
  app.get('/dicomweb/studies/:study/instances', search('instance'));
  app.get('/dicomweb/studies/:study/series/:series/instances', search('instance'));
};
