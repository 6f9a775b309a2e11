import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import type { Locker, Upload } from '@tus/utils';
import { BUNDLE_UPLOAD_TYPE } from '@vetpacs/bundle';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../auth/types';
import { unavailableReason } from '../lib/unavailable';
import type { IngestContext, InstanceReceipt } from './types';

/** The tus endpoint path (the gateway and the portal's Uppy upload here). */
export const TUS_PATH = '/api/uploads';

export interface UploadIngestor {
  /** Ingests one completed staged upload; returns its receipts. */
  ingestStagedUpload(file: string, meta: StagedUploadMeta, ctx: IngestContext): Promise<InstanceReceipt[]>;
}

/** What we stamp into an upload's metadata at creation (client-sent values for these are replaced). */
export interface StagedUploadMeta {
  type: 'instance' | 'bundle';
  practiceId: string;
  siteId: string | null;
  actorType: AuthContext['actor']['type'];
  actorId: string;
  callingAeTitle?: string;
  /** Optional whole-upload SHA-256 for single-instance uploads. */
  sha256?: string;
  sourceIp?: string;
}

/**
 * What tus answers for an ingest that failed: a dependency that cannot serve (the database
 * restarting or failing over) is a 503 with a reason, as on every other route (lib/unavailable.ts);
 * the staged bytes stay, and the upload is ingested again by its sender's retry or by
 * recoverCompletedUploads. Anything else goes to tus as it is (its own status, or a 500).
 */
export function asTusError(err: unknown): unknown {
  const unavailable = unavailableReason(err);
  return unavailable ? { status_code: 503, body: `${unavailable}\n` } : err;
}

const authByRequest = new WeakMap<IncomingMessage, AuthContext>();

/** Remembers the Fastify-authenticated caller for the tus hooks, which only see the raw request. */
export function bindAuth(req: IncomingMessage, auth: AuthContext): void {
  authByRequest.set(req, auth);
}

function authOf(req: { runtime?: { node?: { req?: IncomingMessage } } }): AuthContext {
  const raw = req.runtime?.node?.req;
  const auth = raw && authByRequest.get(raw);
  if (!auth) throw { status_code: 401, body: 'authentication required\n' };
  return auth;
}

/**
 * tus 1.0 server over a staging directory. Multi-instance design: staging is a directory shared by
 * every server instance (a volume, NFS/EFS), the upload lock is in Redis (`RedisLocker`), so any
 * instance can serve any request of an upload — no sticky routing needed. Upload state (size,
 * metadata) lives next to the bytes in `<id>.json`, so it also survives a restart.
 */
export function createTusServer(opts: {
  stagingDir: string;
  maxSize: number;
  expiryMs: number;
  locker: Locker;
  ingestor: UploadIngestor;
  log: FastifyBaseLogger;
  publicUrl?: string;
  traceId: () => string;
}) {
  const datastore = new FileStore({ directory: opts.stagingDir, expirationPeriodInMilliseconds: opts.expiryMs });
  const tus = new TusServer({
    path: TUS_PATH,
    datastore,
    locker: opts.locker,
    maxSize: opts.maxSize,
    respectForwardedHeaders: true,
    relativeLocation: !opts.publicUrl,
    namingFunction: () => crypto.randomUUID(),
    // Every request on an existing upload must come from the practice that created it.
    onIncomingRequest: async (req, uploadId) => {
      const auth = authOf(req as never);
      if (!uploadId || req.method === 'POST') return;
      const upload = await datastore.getUpload(uploadId).catch(() => null);
      if (!upload || upload.metadata?.practiceId !== auth.practiceId) throw { status_code: 404, body: 'upload not found\n' };
    },
    onUploadCreate: async (req, upload) => {
      const auth = authOf(req as never);
      if (upload.size === 0) throw { status_code: 400, body: 'empty upload: nothing to ingest\n' };
      const type = upload.metadata?.type ?? 'instance';
      if (type !== 'instance' && type !== BUNDLE_UPLOAD_TYPE) {
        throw { status_code: 400, body: `Upload-Metadata type must be "instance" or "bundle", got "${type}"\n` };
      }
      const sha = upload.metadata?.sha256;
      if (sha && !/^[0-9a-f]{64}$/.test(sha)) throw { status_code: 400, body: 'Upload-Metadata sha256 must be lower-case hex\n' };
      const meta: Record<string, string> = {
        type,
        practiceId: auth.practiceId,
        siteId: auth.siteId ?? '',
        actorType: auth.actor.type,
        actorId: auth.actor.id,
        sourceIp: (req.headers.get('x-forwarded-for') ?? '').split(',')[0]?.trim() ?? '',
      };
      const ae = upload.metadata?.callingAeTitle;
      if (ae && /^[\x20-\x7e]{1,16}$/.test(ae)) meta.callingAeTitle = ae.trim();
      if (sha) meta.sha256 = sha;
      if (upload.metadata?.filename) meta.filename = upload.metadata.filename.slice(0, 255);
      return { metadata: meta };
    },
    onUploadFinish: async (_req, upload) => {
      const receipts = await processUpload(upload).catch((err: unknown) => {
        throw asTusError(err);
      });
      return {
        status_code: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ uploadId: upload.id, receipts }),
      };
    },
  });

  const inFlight = new Set<string>();
  async function processUpload(upload: Upload): Promise<InstanceReceipt[]> {
    if (inFlight.has(upload.id)) throw { status_code: 409, body: 'upload is being processed\n' };
    inFlight.add(upload.id);
    try {
      const m = upload.metadata ?? {};
      const meta: StagedUploadMeta = {
        type: m.type === BUNDLE_UPLOAD_TYPE ? 'bundle' : 'instance',
        practiceId: m.practiceId ?? '',
        siteId: m.siteId || null,
        actorType: (m.actorType ?? 'USER') as StagedUploadMeta['actorType'],
        actorId: m.actorId ?? '',
        callingAeTitle: m.callingAeTitle ?? undefined,
        sha256: m.sha256 ?? undefined,
        sourceIp: m.sourceIp ?? undefined,
      };
      const ctx: IngestContext = {
        practiceId: meta.practiceId,
        siteId: meta.siteId,
        actor: { type: meta.actorType, id: meta.actorId },
        uploadId: upload.id,
        sourceIp: meta.sourceIp,
        callingAeTitle: meta.callingAeTitle,
        traceId: opts.traceId(),
        followUps: [],
      };
      const receipts = await opts.ingestor.ingestStagedUpload(path.join(opts.stagingDir, upload.id), meta, ctx);
      // Only now, with every instance stored and indexed, is the staged copy dropped.
      await datastore.remove(upload.id);
      return receipts;
    } finally {
      inFlight.delete(upload.id);
    }
  }

  /**
   * Finishes uploads whose bytes all arrived but whose ingest never completed (the server died
   * between the last PATCH and the receipts). The uploader then finds the receipts by upload id.
 * Uploads younger than `minAgeMs` are left alone: another instance may be ingesting them.
   */
  async function recoverCompletedUploads(minAgeMs = 60_000): Promise<number> {
    await mkdir(opts.stagingDir, { recursive: true });
    let done = 0;
    for (const name of await readdir(opts.stagingDir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      try {
        const info = JSON.parse(await readFile(path.join(opts.stagingDir, name), 'utf8')) as Upload;
        const { size, mtimeMs } = await stat(path.join(opts.stagingDir, id));
        if (info.size === undefined || size !== info.size || inFlight.has(id)) continue;
        // Another instance may be ingesting a fresh upload right now; ingest is idempotent anyway.
        if (Date.now() - mtimeMs < minAgeMs) continue;
        await processUpload({ ...info, id, offset: size } as Upload);
        done += 1;
      } catch (err) {
        opts.log.warn({ uploadId: id, err: (err as Error).message }, 'could not recover staged upload');
      }
    }
    return done;
  }

  return {
    tus,
    datastore,
    recoverCompletedUploads,
    cleanUpExpired: () => tus.cleanUpExpiredUploads(),
  };
}
