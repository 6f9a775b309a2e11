import cors from '@fastify/cors';
import type { Db } from '@vetpacs/db';
import { createTranscodePool } from '@vetpacs/imaging';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { framesRoutes } from './frames';
import { metadataRoutes } from './metadata';
import { OnTheFly } from './on-the-fly';
import { qidoRoutes } from './qido';
import { WadoRepo } from './repo';
import { wadoRoutes } from './wado';

export interface DicomwebOptions {
  db: Db;
  store: ObjectStore;
  /** Public origin (config PUBLIC_URL); BulkDataURIs and RetrieveURLs are built on it. */
  publicUrl?: string;
  /** Browser origins allowed to call DICOMweb cross-origin (config CORS_ORIGINS). */
  corsOrigins: string[];
  /** On-the-fly transcoding limits (config TRANSCODE_ON_THE_FLY_*). */
  transcode: { maxBytes: number; threads: number };
}

/**
 * The DICOMweb read side under `/dicomweb`: QIDO-RS, WADO-RS retrieve, metadata, frames and bulk
 * data (STOW-RS is registered by ingest). CORS is answered for `/dicomweb` URLs only, for the
 * configured origins, with credentials (session cookie) and the headers clients read (ETag,
 * Warning). Wrapped with fastify-plugin so the CORS hooks also cover the STOW route.
 */
export const dicomwebRoutes = fp<DicomwebOptions>(
  async (app, { db, store, publicUrl, corsOrigins, transcode }) => {
    const allowed = new Set(corsOrigins);
    await app.register(cors, {
      delegator: (req, cb) => {
        const dicomweb = (req.url ?? '').startsWith('/dicomweb/') || req.url === '/dicomweb';
        const origin = req.headers.origin;
        cb(null, {
          origin: dicomweb && origin && allowed.has(origin) ? origin : false,
          credentials: true,
          exposedHeaders: ['ETag', 'Warning', 'Content-Length', 'Content-Location', 'X-Receipts'],
          maxAge: 600,
        });
      },
    });
    const repo = new WadoRepo(db);
    // Threads start on the first transcode and exit when idle: a server that never transcodes
    // never loads the codecs.
    const pool = createTranscodePool({ threads: transcode.threads });
    app.addHook('onClose', () => pool.close());
    const onTheFly = new OnTheFly(db, store, pool, { maxBytes: transcode.maxBytes, concurrency: transcode.threads });
    const routes: FastifyPluginAsync = async (scope) => {
      await scope.register(qidoRoutes, { db, publicUrl });
      await scope.register(metadataRoutes, { repo, store, publicUrl });
      await scope.register(framesRoutes, { repo, store, onTheFly });
      await scope.register(wadoRoutes, { repo, store, onTheFly });
    };
    await app.register(routes);
  },
  { name: 'dicomweb-read' },
);
