import { createSite, type Db, listSites, type Site, updateSite } from '@vetpacs/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, idParams, mapRepoErrors, notFound, requireAdmin } from './common';

const nameStyle = z.enum(['OWNER_PET', 'PET', 'PET_OWNER', 'OWNER_COMMA_PET']);
const siteSchema = z.object({ id: z.string(), name: z.string(), code: z.string(), patientNameStyle: nameStyle, createdAt: z.string() });
const toDto = (s: Site) => ({ id: s.id, name: s.name, code: s.code, patientNameStyle: s.patientNameStyle, createdAt: s.createdAt.toISOString() });

/** Sites (branches): list, create, rename / change PatientName style. Audited by the repository. */
export const adminSiteRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get('/api/admin/sites', { schema: { summary: 'Sites of the practice', response: { 200: z.object({ sites: z.array(siteSchema) }) } } }, async (req) => {
    const auth = requireAdmin(req);
    return { sites: (await listSites(db, auth.practiceId)).map(toDto) };
  });

  app.post(
    '/api/admin/sites',
    {
      schema: {
        summary: 'Create a site',
        body: z.object({ name: z.string().min(1).max(200), code: z.string().min(1).max(32), patientNameStyle: nameStyle.optional() }),
        response: { 201: siteSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAdmin(req);
      const site = await mapRepoErrors(() => createSite(db, auth.practiceId, req.body, actorOf(req, auth)));
      return reply.status(201).send(toDto(site));
    },
  );

  app.patch(
    '/api/admin/sites/:id',
    {
      schema: {
        summary: "Rename a site or change its devices' PatientName style",
        params: idParams,
        body: z.object({ name: z.string().min(1).max(200).optional(), patientNameStyle: nameStyle.optional() }),
        response: { 200: siteSchema },
      },
    },
    async (req) => {
      const auth = requireAdmin(req);
      const site = await mapRepoErrors(() => updateSite(db, auth.practiceId, req.params.id, req.body, actorOf(req, auth)));
      if (!site) throw notFound('site');
      return toDto(site);
    },
  );
};
