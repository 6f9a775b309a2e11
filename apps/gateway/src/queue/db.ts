import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * The durable local queue (SQLite, Node's built-in driver). WAL with `synchronous=FULL`: a commit
 * returns only once it is on disk, so a row that answered a C-STORE survives a power cut.
 *
 * instance: one received file. state queued → uploading → verified, or failed with a class
 *   (transient: retried at next_attempt_at; permanent: kept and shown, never dropped).
 * upload: one tus upload (a single instance or a bundle); its URL is persisted as soon as the
 *   cloud assigns it, so a restart resumes at the server's offset instead of starting over.
 * commitment: a Storage Commitment request (PS3.4 Annex J) waiting for cloud verification.
 * ae_activity: last C-STORE per calling AE (heartbeat, silent-modality alerts).
 */
const SCHEMA = `
create table if not exists instance (
  id integer primary key,
  sop_instance_uid text not null,
  sop_class_uid text,
  study_instance_uid text,
  series_instance_uid text,
  transfer_syntax_uid text,
  modality text,
  calling_ae text,
  source text not null,
  path text not null,
  size integer not null,
  sha256 text not null,
  state text not null check (state in ('queued','uploading','verified','failed')),
  fail_class text check (fail_class in ('transient','permanent')),
  fail_code text,
  fail_reason text,
  attempts integer not null default 0,
  rejections integer not null default 0,
  next_attempt_at integer not null default 0,
  priority integer not null default 0,
  study_order integer not null default 0,
  parse_error text,
  upload_id integer references upload(id),
  cloud_status text,
  cloud_version integer,
  received_at integer not null,
  verified_at integer,
  forgotten_at integer,
  unique (sop_instance_uid, sha256)
);
create index if not exists instance_pick on instance (state, priority desc, study_order, id);
create index if not exists instance_study on instance (study_instance_uid);
create index if not exists instance_upload on instance (upload_id);
-- Bytes awaiting upload are summed on every C-STORE; verified rows are never deleted, so only the
-- pending ones are indexed (the predicate matches QueueRepo.pendingBytes word for word).
create index if not exists instance_pending on instance (size) where state != 'verified';
create table if not exists upload (
  id integer primary key,
  kind text not null check (kind in ('instance','bundle')),
  path text not null,
  size integer not null,
  state text not null check (state in ('building','open','done','abandoned')),
  url text,
  offset integer not null default 0,
  attempts integer not null default 0,
  next_attempt_at integer not null default 0,
  last_error text,
  priority integer not null default 0,
  created_at integer not null,
  finished_at integer
);
create index if not exists upload_state on upload (state, next_attempt_at);
create table if not exists commitment (
  id integer primary key,
  transaction_uid text not null unique,
  calling_ae text not null,
  refs text not null,
  state text not null check (state in ('pending','delivered')),
  attempts integer not null default 0,
  next_attempt_at integer not null default 0,
  last_error text,
  created_at integer not null,
  delivered_at integer
);
create table if not exists ae_activity (
  calling_ae text primary key,
  last_store_at integer not null,
  stores integer not null default 0,
  last_address text
);
create table if not exists event (
  id integer primary key,
  at integer not null,
  level text not null,
  message text not null
);
`;

/** Opens (and creates) the queue database in `dataDir`. `readOnly` is for the `status` command. */
export function openQueueDb(dataDir: string, opts: { readOnly?: boolean } = {}): DatabaseSync {
  if (!opts.readOnly) mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(path.join(dataDir, 'queue.sqlite'), { readOnly: opts.readOnly ?? false, timeout: 5_000 });
  if (!opts.readOnly) {
    db.exec('pragma journal_mode = wal');
    db.exec('pragma synchronous = full');
    db.exec('pragma foreign_keys = on');
    db.exec(SCHEMA);
  }
  return db;
}

/** Runs `fn` in one transaction (BEGIN IMMEDIATE: the writer lock is taken up front). */
export function tx<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('begin immediate');
  try {
    const out = fn();
    db.exec('commit');
    return out;
  } catch (err) {
    db.exec('rollback');
    throw err;
  }
}
