import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { tx } from './db';
import type { InstanceOutcome } from './outcome';

/** A received instance as recorded in the queue. */
export interface InstanceRow {
  id: number;
  sop_instance_uid: string;
  sop_class_uid: string | null;
  study_instance_uid: string | null;
  series_instance_uid: string | null;
  transfer_syntax_uid: string | null;
  modality: string | null;
  calling_ae: string | null;
  source: string;
  path: string;
  size: number;
  sha256: string;
  state: 'queued' | 'uploading' | 'verified' | 'failed';
  fail_class: 'transient' | 'permanent' | null;
  fail_code: string | null;
  fail_reason: string | null;
  attempts: number;
  rejections: number;
  next_attempt_at: number;
  priority: number;
  study_order: number;
  upload_id: number | null;
  cloud_status: string | null;
  received_at: number;
  verified_at: number | null;
  forgotten_at: number | null;
}

export interface UploadRow {
  id: number;
  kind: 'instance' | 'bundle';
  path: string;
  size: number;
  state: 'building' | 'open' | 'done' | 'abandoned';
  url: string | null;
  offset: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  priority: number;
}

export interface NewInstance {
  sopInstanceUid: string;
  sopClassUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  transferSyntaxUid?: string;
  modality?: string;
  callingAe?: string;
  source: 'dimse' | 'import';
  path: string;
  size: number;
  sha256: string;
  urgent?: boolean;
  parseError?: string;
}

/** A row is due for (re-)upload: queued, or failed transiently with its backoff elapsed. */
const DUE = `(state = 'queued' or (state = 'failed' and fail_class = 'transient')) and next_attempt_at <= ?`;

/** All queue reads and writes (synchronous: node:sqlite). Every state change goes through here. */
export class QueueRepo {
  /** Prepared statements by SQL text: each is compiled once, on first use, and reused after. */
  private readonly statements = new Map<string, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  private sql(text: string): StatementSync {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /**
   * Records a received file. The same SOP Instance with the same bytes (a modality's retry) is not
   * queued twice: `duplicate` tells the caller to drop its new copy.
   */
  addInstance(n: NewInstance, now = Date.now()): { id: number; duplicate: boolean } {
    return tx(this.db, () => {
      const existing = this.sql('select id from instance where sop_instance_uid = ? and sha256 = ?').get(n.sopInstanceUid, n.sha256) as { id: number } | undefined;
      if (existing) return { id: existing.id, duplicate: true };
      const study = n.studyInstanceUid
        ? (this.sql('select min(study_order) as o, max(priority) as p from instance where study_instance_uid = ?').get(n.studyInstanceUid) as { o: number | null; p: number | null })
        : { o: null, p: null };
      const r = this
        .sql(
          `insert into instance (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, transfer_syntax_uid, modality, calling_ae,
            source, path, size, sha256, state, priority, received_at, parse_error) values (?,?,?,?,?,?,?,?,?,?,?,'queued',?,?,?)`,
        )
        .run(
          n.sopInstanceUid, n.sopClassUid ?? null, n.studyInstanceUid ?? null, n.seriesInstanceUid ?? null, n.transferSyntaxUid ?? null,
          n.modality ?? null, n.callingAe ?? null, n.source, n.path, n.size, n.sha256, n.urgent || study.p ? 1 : 0, now, n.parseError ?? null,
        );
      const id = Number(r.lastInsertRowid);
      this.sql('update instance set study_order = ? where id = ?').run(study.o ?? id, id);
      return { id, duplicate: false };
    });
  }

  /** Notes a C-STORE from a calling AE (for the heartbeat's per-modality last-seen). */
  touchAe(callingAe: string, address: string | undefined, now = Date.now()): void {
    this
      .sql(
        `insert into ae_activity (calling_ae, last_store_at, stores, last_address) values (?, ?, 1, ?)
         on conflict (calling_ae) do update set last_store_at = excluded.last_store_at, stores = stores + 1, last_address = excluded.last_address`,
      )
      .run(callingAe, now, address ?? null);
  }

  /** Marks every instance of a study urgent (uploaded before everything else). */
  markStudyUrgent(studyInstanceUid: string): number {
    return Number(this.sql('update instance set priority = 1 where study_instance_uid = ?').run(studyInstanceUid).changes);
  }

  /** Puts permanently failed instances back in the queue (after the cause was fixed in the cloud). */
  retryFailed(): number {
    return Number(
      this.sql(`update instance set state = 'queued', fail_class = null, rejections = 0, next_attempt_at = 0 where state = 'failed' and fail_class = 'permanent'`).run().changes,
    );
  }

  /** Bytes held locally that the cloud has not verified yet. */
  pendingBytes(): number {
    return (this.sql(`select coalesce(sum(size), 0) as b from instance where state != 'verified'`).get() as { b: number }).b;
  }

  /** Verified instances still on disk (the LAN cache), oldest verified first. */
  cachedInstances(limit = 1000): InstanceRow[] {
    return this.sql(`select * from instance where state = 'verified' and forgotten_at is null order by verified_at, id limit ?`).all(limit) as unknown as InstanceRow[];
  }

  cachedBytes(): number {
    return (this.sql(`select coalesce(sum(size), 0) as b from instance where state = 'verified' and forgotten_at is null`).get() as { b: number }).b;
  }

  /** The next instance to upload: urgent first, then study by study (in arrival order), then by arrival. */
  nextDue(now = Date.now()): InstanceRow | undefined {
    return this.sql(`select * from instance where ${DUE} order by priority desc, study_order, id limit 1`).get(now) as InstanceRow | undefined;
  }

  /** Further small due instances of the same study, to fill a bundle. */
  dueOfStudy(studyOrder: number, excludeId: number, maxSize: number, limit: number, now = Date.now()): InstanceRow[] {
    return this
      .sql(`select * from instance where ${DUE} and study_order = ? and id != ? and size < ? and rejections = 0 order by id limit ?`)
      .all(now, studyOrder, excludeId, maxSize, limit) as unknown as InstanceRow[];
  }

  /** Creates an upload for the given instances and moves them to `uploading`, atomically. */
  createUpload(kind: UploadRow['kind'], path: string, size: number, instanceIds: number[], priority: number, now = Date.now()): number {
    return tx(this.db, () => {
      const r = this
        .sql(`insert into upload (kind, path, size, state, priority, created_at) values (?, ?, ?, ?, ?, ?)`)
        .run(kind, path, size, kind === 'bundle' ? 'building' : 'open', priority, now);
      const id = Number(r.lastInsertRowid);
      const set = this.sql(`update instance set state = 'uploading', upload_id = ?, attempts = attempts + 1 where id = ?`);
      for (const i of instanceIds) set.run(id, i);
      return id;
    });
  }

  /** A bundle file is written and fsynced: the upload may start. */
  openUpload(id: number, size: number): void {
    this.sql(`update upload set state = 'open', size = ? where id = ?`).run(size, id);
  }

  upload(id: number): UploadRow | undefined {
    return this.sql('select * from upload where id = ?').get(id) as UploadRow | undefined;
  }

  /** Open uploads due for a (resumed) attempt, most urgent first. */
  dueUploads(now = Date.now()): UploadRow[] {
    return this.sql(`select * from upload where state = 'open' and next_attempt_at <= ? order by priority desc, id`).all(now) as unknown as UploadRow[];
  }

  /** The earliest time any open upload or failed instance becomes due (for the scheduler's sleep). */
  nextWakeAt(): number | null {
    const a = this.sql(`select min(next_attempt_at) as t from upload where state = 'open'`).get() as { t: number | null };
    const b = this.sql(`select min(next_attempt_at) as t from instance where state = 'failed' and fail_class = 'transient'`).get() as { t: number | null };
    const ts = [a.t, b.t].filter((t): t is number => t !== null);
    return ts.length ? Math.min(...ts) : null;
  }

  instancesOf(uploadId: number): InstanceRow[] {
    return this.sql('select * from instance where upload_id = ? order by id').all(uploadId) as unknown as InstanceRow[];
  }

  /** Persists the tus URL the moment the cloud assigns it (before any byte is sent). */
  setUploadUrl(id: number, url: string): void {
    this.sql('update upload set url = ? where id = ?').run(url, id);
  }

  setUploadOffset(id: number, offset: number): void {
    this.sql('update upload set offset = ? where id = ?').run(offset, id);
  }

  /** A failed attempt: the upload stays open and is resumed after its backoff. */
  deferUpload(id: number, error: string, nextAttemptAt: number): void {
    this.sql('update upload set attempts = attempts + 1, last_error = ?, next_attempt_at = ? where id = ?').run(error.slice(0, 500), nextAttemptAt, id);
    this.event('warn', `upload ${id}: ${error}`);
  }

  /**
   * Applies the cloud's verdict to every instance of an upload and closes it, atomically.
   * `retryAt` is when retried instances become due again.
   */
  finishUpload(id: number, outcomes: Map<number, InstanceOutcome>, retryAt: number, state: 'done' | 'abandoned' = 'done', now = Date.now()): void {
    tx(this.db, () => {
      for (const [instanceId, o] of outcomes) {
        if (o.kind === 'verified') {
          this
            .sql(`update instance set state = 'verified', fail_class = null, fail_code = null, fail_reason = null, cloud_status = ?, cloud_version = ?, verified_at = ?, upload_id = null where id = ?`)
            .run(o.status, o.version, now, instanceId);
        } else {
          const permanent = o.kind === 'permanent';
          const rejected = o.kind === 'retry' && o.confirm === true;
          this
            .sql(
              `update instance set state = 'failed', fail_class = ?, fail_code = ?, fail_reason = ?, next_attempt_at = ?, upload_id = null,
                rejections = rejections + ? where id = ?`,
            )
            .run(permanent ? 'permanent' : 'transient', o.code, o.reason.slice(0, 1000), permanent ? 0 : retryAt, rejected ? 1 : 0, instanceId);
          if (permanent) this.event('error', `instance ${instanceId} rejected by the cloud: ${o.code}: ${o.reason}`);
        }
      }
      this.sql(`update upload set state = ?, finished_at = ? where id = ?`).run(state, now, id);
    });
  }

  /** The local copy is gone (verified in the cloud, then forgotten by retention). */
  markForgotten(id: number, now = Date.now()): void {
    this.sql('update instance set forgotten_at = ? where id = ?').run(now, id);
  }

  /** The cloud no longer has a verified instance: upload it again. */
  requeue(id: number, reason: string): void {
    this.sql(`update instance set state = 'queued', verified_at = null, cloud_status = null, fail_reason = ? where id = ?`).run(reason, id);
    this.event('warn', `instance ${id} re-queued: ${reason}`);
  }

  /** A short operator-facing event (last errors on the status page and in the heartbeat). */
  event(level: 'info' | 'warn' | 'error', message: string, now = Date.now()): void {
    this.sql('insert into event (at, level, message) values (?, ?, ?)').run(now, level, message.slice(0, 1000));
    this.sql('delete from event where id <= (select max(id) - 200 from event)').run();
  }

  /**
   * Crash recovery, run once at start-up before anything else touches the queue: bundles that were
   * being built are discarded (their instances go back to the queue); open uploads are kept and
   * resumed from their persisted URL; instances left `uploading` without an open upload are queued.
   */
  recover(): { bundlesDiscarded: string[]; requeued: number } {
    return tx(this.db, () => {
      const building = this.sql(`select id, path from upload where state = 'building'`).all() as { id: number; path: string }[];
      for (const u of building) {
        this.sql(`update instance set state = 'queued', upload_id = null where upload_id = ?`).run(u.id);
        this.sql(`update upload set state = 'abandoned' where id = ?`).run(u.id);
      }
      const r = this
        .sql(`update instance set state = 'queued', upload_id = null where state = 'uploading' and (upload_id is null or upload_id not in (select id from upload where state = 'open'))`)
        .run();
      return { bundlesDiscarded: building.map((b) => b.path), requeued: Number(r.changes) };
    });
  }

  /** Every spool path the queue still references (orphan clean-up keeps these). */
  referencedPaths(): Set<string> {
    const a = this.sql('select path from instance where forgotten_at is null').all() as { path: string }[];
    const b = this.sql(`select path from upload where kind = 'bundle' and state in ('building','open')`).all() as { path: string }[];
    return new Set([...a, ...b].map((r) => r.path));
  }
}
