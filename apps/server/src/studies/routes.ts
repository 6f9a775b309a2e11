import { type Db, recordAudit } from '@vetpacs/db';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../auth/plugin';
import { notFound } from '../lib/errors';
import { buildStudyZip } from './download';
import { StudiesRepo } from './repo';
import { ingestStatus, studyDto, studyDtoSchema, thumbUrl, toFilters, worklistQuerySchema } from './service';

const uid = z.string().min(1).max(64).regex(/^[0-9.]+$/, 'a DICOM UID');
const studyParams = z.object({ studyUid: uid });
const seriesParams = z.object({ studyUid: uid, seriesUid: uid });

/**
 * The portal's study API (every role may read; every query is scoped by the caller's practice):
 * worklist search, study page (series, priors, instances with receipts and SHA-256, audit trail),
 * series thumbnails and "download originals".
 */
export const studyRoutes: FastifyPluginAsyncZod<{ db: Db; store: ObjectStore }> = async (app, { db, store }) => {
  const repo = new StudiesRepo(db);

  async function withExtras(practiceId: string, rows: Awaited<ReturnType<StudiesRepo['search']>>['rows']) {
    const ids = rows.map((r) => r.id);
    const [integrity, thumbs] = await Promise.all([repo.integrity(practiceId, ids), repo.thumbnailSeries(practiceId, ids)]);
    return rows.map((r) => {
      const c = integrity.get(r.id);
      return studyDto(r, { status: ingestStatus(c), verified: c?.verified ?? 0, thumbnailSeriesUid: thumbs.get(r.id) ?? null });
    });
  }

  app.get(
    '/api/studies',
    {
      schema: {
        summary: 'Worklist: newest first, filtered and paged',
        querystring: worklistQuerySchema,
        response: { 200: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), studies: z.array(studyDtoSchema) }) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const { page, pageSize } = req.query;
      const { total, rows } = await repo.search(auth.practiceId, toFilters(req.query), pageSize, (page - 1) * pageSize);
      return { total, page, pageSize, studies: await withExtras(auth.practiceId, rows) };
    },
  );

  app.get(
    '/api/sites',
    { schema: { summary: "The practice's sites (for filters)", response: { 200: z.object({ sites: z.array(z.object({ id: z.string(), name: z.string(), code: z.string() })) }) } } },
    async (req) => ({ sites: await repo.sites(requireAuth(req).practiceId) }),
  );

  const seriesSchema = z.object({
    seriesInstanceUid: z.string(),
    modality: z.string().nullable(),
    seriesNumber: z.number().nullable(),
    description: z.string().nullable(),
    bodyPart: z.string().nullable(),
    instanceCount: z.number(),
    thumbnailUrl: z.string().nullable(),
  });

  app.get(
    '/api/studies/:studyUid',
    { schema: { summary: 'One study with its series', params: studyParams, response: { 200: studyDtoSchema.extend({ series: z.array(seriesSchema) }) } } },
    async (req) => {
      const auth = requireAuth(req);
      const row = await repo.study(auth.practiceId, req.params.studyUid);
      if (!row) throw notFound('study');
      const [[dto], series] = await Promise.all([withExtras(auth.practiceId, [row]), repo.series(auth.practiceId, row.id)]);
      return {
        ...dto!,
        series: series.map((s) => ({
          seriesInstanceUid: s.seriesInstanceUid,
          modality: s.modality,
          seriesNumber: s.seriesNumber,
          description: s.seriesDescription,
          bodyPart: s.bodyPartExamined,
          instanceCount: s.numberOfInstances,
          thumbnailUrl: s.thumbnailObjectKey ? thumbUrl(row.study_instance_uid, s.seriesInstanceUid) : null,
        })),
      };
    },
  );

  app.get(
    '/api/studies/:studyUid/priors',
    { schema: { summary: "The animal's other studies across all sites", params: studyParams, response: { 200: z.object({ studies: z.array(studyDtoSchema) }) } } },
    async (req) => {
      const auth = requireAuth(req);
      const row = await repo.study(auth.practiceId, req.params.studyUid);
      if (!row) throw notFound('study');
      return { studies: await withExtras(auth.practiceId, await repo.priors(auth.practiceId, row)) };
    },
  );

  app.get(
    '/api/studies/:studyUid/audit',
    { schema: { summary: 'Audit trail of the study (ingest, conflicts, downloads, shares)', params: studyParams } },
    async (req) => {
      const auth = requireAuth(req);
      const row = await repo.study(auth.practiceId, req.params.studyUid);
      if (!row) throw notFound('study');
      const events = await repo.audit(auth.practiceId, row);
      return {
        events: events.map((e) => ({ id: e.id, at: e.at.toISOString(), actorType: e.actor_type, actorId: e.actor_id, action: e.action, entityType: e.entity_type, entityId: e.entity_id, sourceIp: e.source_ip, details: e.details })),
      };
    },
  );

  app.get(
    '/api/studies/:studyUid/series/:seriesUid/instances',
    { schema: { summary: 'Instances of a series with SHA-256, versions and receipts', params: seriesParams } },
    async (req) => {
      const auth = requireAuth(req);
      const series = await repo.seriesByUid(auth.practiceId, req.params.studyUid, req.params.seriesUid);
      if (!series) throw notFound('series');
      const { instances, receipts } = await repo.instances(auth.practiceId, series.id);
      const bySop = new Map<string | null, typeof receipts>();
      for (const r of receipts) bySop.set(r.sopInstanceUid, [...(bySop.get(r.sopInstanceUid) ?? []), r]);
      return {
        instances: instances.map((i) => ({
          sopInstanceUid: i.sopInstanceUid,
          sopClassUid: i.sopClassUid,
          instanceNumber: i.instanceNumber,
          transferSyntaxUid: i.transferSyntaxUid,
          size: Number(i.byteSize),
          sha256: i.sha256,
          frames: i.numberOfFrames,
          rows: i.rows,
          columns: i.columns,
          hasConflict: i.hasConflict,
          receivedAt: i.createdAt.toISOString(),
          versions: i.versions.map((v) => ({ version: v.version, sha256: v.sha256, size: Number(v.byteSize), receivedFrom: v.receivedFrom, at: v.createdAt.toISOString() })),
          receipts: (bySop.get(i.sopInstanceUid) ?? []).map((r) => ({
            status: r.status,
            reason: r.reason,
            sha256: r.sha256,
            uploadId: r.uploadId,
            at: r.createdAt.toISOString(),
            via: r.gatewayId ? 'gateway' : r.userId ? 'portal' : r.apiTokenId ? 'api' : 'unknown',
          })),
        })),
      };
    },
  );

  app.get(
    '/api/studies/:studyUid/series/:seriesUid/thumbnail',
    { schema: { summary: 'Series thumbnail (JPEG, rendered by the worker)', params: seriesParams } },
    async (req, reply) => {
      const auth = requireAuth(req);
      const series = await repo.seriesByUid(auth.practiceId, req.params.studyUid, req.params.seriesUid);
      if (!series?.thumbnailObjectKey) throw notFound('thumbnail');
      const { body, contentLength } = await store.get(series.thumbnailObjectKey);
      return reply
        .header('content-type', 'image/jpeg')
        .header('content-length', contentLength)
        .header('cache-control', 'private, max-age=300')
        .send(body);
    },
  );

  app.get(
    '/api/studies/:studyUid/download',
    { schema: { summary: 'Original Part-10 files, byte-identical, as a ZIP with DICOMDIR and SHA256SUMS', params: studyParams } },
    async (req, reply) => {
      const auth = requireAuth(req);
      const row = await repo.study(auth.practiceId, req.params.studyUid);
      if (!row) throw notFound('study');
      const series = await repo.downloadManifest(auth.practiceId, row.id);
      const study = await db.study.findUniqueOrThrow({ where: { id: row.id }, select: { studyId: true } });
      await recordAudit(db, {
        practiceId: auth.practiceId,
        actor: { type: auth.actor.type, id: auth.actor.id, sourceIp: req.ip },
        action: 'study.download',
        entityType: 'study',
        entityId: row.id,
        details: { studyInstanceUid: row.study_instance_uid, instances: row.number_of_instances },
      });
      const zip = buildStudyZip(
        store,
        {
          patient: { patientId: row.patient_id, patientName: row.raw_patient_name },
          study: {
            studyInstanceUid: row.study_instance_uid,
            studyDate: row.study_date,
            studyTime: row.study_time,
            studyDescription: row.study_description,
            studyId: study.studyId,
            accessionNumber: row.accession_number,
          },
          series,
        },
        (err) => req.log.error({ err, studyInstanceUid: row.study_instance_uid }, 'download aborted'),
      );
      const name = `${[row.pet_name, row.owner_family_name, row.study_date].filter(Boolean).join('_').replace(/[^A-Za-z0-9_-]+/g, '-') || 'study'}.zip`;
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(zip);
    },
  );
};
