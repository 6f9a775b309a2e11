import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { bundleSize, writeBundle } from '@vetpacs/bundle';
import type { Logger } from 'pino';
import { type CloudReceipt, decideOutcome, type InstanceOutcome, memberName } from '../queue/outcome';
import type { InstanceRow, QueueRepo, UploadRow } from '../queue/repo';
import { fsyncDir } from '../spool/spool';
import { backoffDelay } from './backoff';
import { type CloudClient, CloudHttpError, heldVersion } from './cloud';
import type { Throttle } from './throttle';
import { runTusUpload, TusError } from './tus';
import { UploadStats } from './stats';

export interface UploaderOptions {
  parallel: number;
  chunkBytes: number;
  smallInstanceBytes: number;
  bundleMaxBytes: number;
  bundleMaxInstances: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Moves the queue to the cloud: several workers, each taking the next piece of work — first an
 * open upload to resume, else the head of the queue (urgent studies first, then study by study),
 * bundling a study's small instances into one tus upload. Every outcome is decided per instance
 * from the cloud's receipts and written to the queue in one transaction.
 */
export class Uploader {
  readonly stats = new UploadStats();
  private readonly active = new Map<number, { offset: number; size: number; controller: AbortController }>();
  private running = false;
  private loops: Promise<void>[] = [];
  private wake?: () => void;

  constructor(
    private readonly deps: {
      repo: QueueRepo;
      cloud: CloudClient;
      throttle: Throttle;
      bundlesDir: string;
      log: Logger;
      options: UploaderOptions;
      /** Called after instances were verified (storage commitment, retention). */
      onVerified: () => void;
    },
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.deps.options.parallel }, (_, i) => this.loop(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const a of this.active.values()) a.controller.abort();
    this.kick();
    await Promise.all(this.loops);
  }

  /** New work arrived: wake idle workers. */
  kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Uploads in flight: id → bytes acknowledged / total. */
  progress(): { id: number; offset: number; size: number }[] {
    return [...this.active.entries()].map(([id, a]) => ({ id, offset: a.offset, size: a.size }));
  }

  private async loop(worker: number): Promise<void> {
    while (this.running) {
      let upload: UploadRow | undefined;
      try {
        upload = this.claim();
      } catch (err) {
        this.deps.log.error({ err, worker }, 'could not claim work');
      }
      if (!upload) {
        const next = this.deps.repo.nextWakeAt();
        const ms = Math.max(50, Math.min(5_000, next === null ? 5_000 : next - Date.now()));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          const prev = this.wake;
          this.wake = () => {
            clearTimeout(t);
            prev?.();
            resolve();
          };
        });
        continue;
      }
      await this.process(upload).catch((err) => this.deps.log.error({ err, uploadId: upload.id }, 'upload processing failed'));
    }
  }

  /** Picks the next piece of work (synchronous, so two workers never take the same rows). */
  private claim(): UploadRow | undefined {
    const { repo, options } = this.deps;
    const resumable = repo.dueUploads().find((u) => !this.active.has(u.id));
    if (resumable) return this.activate(resumable);
    const head = repo.nextDue();
    if (!head) return undefined;
    const members: InstanceRow[] = [head];
    if (head.size < options.smallInstanceBytes && head.rejections === 0 && head.study_instance_uid) {
      let total = head.size;
      for (const m of repo.dueOfStudy(head.study_order, head.id, options.smallInstanceBytes, options.bundleMaxInstances - 1)) {
        if (total + m.size > options.bundleMaxBytes) break;
        members.push(m);
        total += m.size;
      }
    }
    const ids = members.map((m) => m.id);
    if (members.length === 1) {
      const id = repo.createUpload('instance', head.path, head.size, ids, head.priority);
      return this.activate(repo.upload(id)!);
    }
    const id = repo.createUpload('bundle', path.join(this.deps.bundlesDir, `${randomUUID()}.tar`), 0, ids, head.priority);
    return this.activate(repo.upload(id)!);
  }

  private activate(u: UploadRow): UploadRow {
    this.active.set(u.id, { offset: u.offset, size: u.size, controller: new AbortController() });
    return u;
  }

  /** Writes a bundle file once (fsynced), so every resumed attempt sends identical bytes. */
  private async buildBundle(u: UploadRow): Promise<UploadRow> {
    const members = this.deps.repo.instancesOf(u.id).map((i) => ({ name: memberName(i.id), size: i.size, sha256: i.sha256, source: i.path }));
    await pipeline(writeBundle(members), createWriteStream(u.path, { flags: 'wx' }));
    const fh = await open(u.path, 'r');
    const { size } = await fh.stat();
    await fh.sync();
    await fh.close();
    await fsyncDir(path.dirname(u.path));
    if (size !== bundleSize(members)) throw new Error(`bundle is ${size} bytes, expected ${bundleSize(members)}`);
    this.deps.repo.openUpload(u.id, size);
    return { ...u, size, state: 'open' };
  }

  private async process(initial: UploadRow): Promise<void> {
    const { repo, options } = this.deps;
    const slot = this.active.get(initial.id)!;
    let u = initial;
    try {
      if (u.state === 'building') u = await this.buildBundle(u);
      slot.size = u.size;
      const instances = repo.instancesOf(u.id);
      const first = instances[0]!;
      const aes = new Set(instances.map((i) => i.calling_ae));
      const metadata: Record<string, string> =
        u.kind === 'instance' ? { type: 'instance', sha256: first.sha256, filename: memberName(first.id) } : { type: 'bundle', filename: path.basename(u.path) };
      if (aes.size === 1 && first.calling_ae) metadata.callingAeTitle = first.calling_ae;
      let lastOffset = u.offset;
      const fin = await runTusUpload({
        cloud: this.deps.cloud,
        throttle: this.deps.throttle,
        path: u.path,
        size: u.size,
        url: u.url,
        metadata,
        chunkSize: options.chunkBytes,
        signal: slot.controller.signal,
        onUrl: (url) => {
          repo.setUploadUrl(u.id, url);
          u = { ...u, url };
        },
        onOffset: (offset) => {
          this.stats.add(Math.max(0, offset - lastOffset));
          lastOffset = offset;
          slot.offset = offset;
          repo.setUploadOffset(u.id, offset);
        },
      });
      u = { ...u, url: fin.url || u.url };
      const parsed = fin.body ? (JSON.parse(fin.body) as { receipts?: CloudReceipt[] }) : undefined;
      if (parsed?.receipts) await this.apply(u, parsed.receipts, 'final response');
      else await this.recover(u, 'finished upload without receipts');
    } catch (err) {
      if (!this.running) return;
      if (err instanceof TusError && u.url && (err.status === 404 || err.status === 410)) {
        await this.recover(u, 'upload no longer on the server').catch((e) => this.defer(u, e));
      } else if (err instanceof TusError && err.status === 413 && u.kind === 'instance') {
        const outcomes = new Map<number, InstanceOutcome>(repo.instancesOf(u.id).map((i) => [i.id, { kind: 'permanent', code: 'TOO_LARGE', reason: err.body.trim() || 'instance larger than the cloud accepts' }]));
        repo.finishUpload(u.id, outcomes, 0, 'abandoned');
      } else {
        this.defer(u, err);
      }
    } finally {
      this.active.delete(initial.id);
    }
  }

  private defer(u: UploadRow, err: unknown): void {
    const attempts = (this.deps.repo.upload(u.id)?.attempts ?? 0) + 1;
    const delay = backoffDelay(attempts, { baseMs: this.deps.options.backoffBaseMs, maxMs: this.deps.options.backoffMaxMs });
    const message = err instanceof Error ? err.message : String(err);
    this.deps.repo.deferUpload(u.id, message, Date.now() + delay);
    this.deps.log.warn({ uploadId: u.id, attempts, retryInMs: delay, err: message }, 'upload attempt failed; will resume');
  }

  /**
   * The final response was lost or the upload vanished: ask the cloud what it has. Stored receipts
   * first (by tus upload id), then the per-instance SHA-256 lookup; anything the cloud does not hold
   * with our exact bytes goes back to the queue.
   */
  private async recover(u: UploadRow, why: string): Promise<void> {
    const { cloud, log } = this.deps;
    const uploadId = u.url ? new URL(u.url).pathname.split('/').pop() : undefined;
    if (uploadId) {
      const r = await cloud.requestJson<{ receipts: CloudReceipt[] }>('GET', `/api/receipts/${encodeURIComponent(uploadId)}`).catch((err) => {
        if (err instanceof CloudHttpError && err.status === 404) return { receipts: [] };
        throw err;
      });
      if (r.receipts.length) return this.apply(u, r.receipts, `stored receipts (${why})`);
    }
    const instances = this.deps.repo.instancesOf(u.id);
    const held = await cloud.lookup(instances.map((i) => i.sop_instance_uid));
    const outcomes = new Map<number, InstanceOutcome>();
    for (const i of instances) {
      const version = heldVersion(held.get(i.sop_instance_uid), i.sha256);
      outcomes.set(i.id, version !== undefined ? { kind: 'verified', status: 'STORED', version } : { kind: 'retry', code: 'UPLOAD_LOST', reason: why });
    }
    log.warn({ uploadId: u.id, why, verified: [...outcomes.values()].filter((o) => o.kind === 'verified').length, of: instances.length }, 'recovered upload by lookup');
    await this.close(u, outcomes, 'abandoned');
  }

  /** Matches receipts to the upload's instances (by bundle member, else SOP UID + hash). */
  private async apply(u: UploadRow, receipts: CloudReceipt[], source: string): Promise<void> {
    const instances = this.deps.repo.instancesOf(u.id);
    const outcomes = new Map<number, InstanceOutcome>();
    for (const i of instances) {
      const r =
        receipts.find((x) => x.member === memberName(i.id)) ??
        receipts.find((x) => x.sopInstanceUid === i.sop_instance_uid && x.sha256 === i.sha256) ??
        (u.kind === 'instance' && receipts.length === 1 ? receipts[0] : receipts.find((x) => x.sopInstanceUid === i.sop_instance_uid));
      outcomes.set(i.id, decideOutcome({ sha256: i.sha256, rejections: i.rejections }, r));
    }
    const verified = [...outcomes.values()].filter((o) => o.kind === 'verified').length;
    this.deps.log.info({ uploadId: u.id, kind: u.kind, instances: instances.length, verified, source }, 'upload answered');
    await this.close(u, outcomes, 'done');
  }

  private async close(u: UploadRow, outcomes: Map<number, InstanceOutcome>, state: 'done' | 'abandoned'): Promise<void> {
    const attempts = Math.max(1, ...this.deps.repo.instancesOf(u.id).map((i) => i.attempts));
    const retryAt = Date.now() + backoffDelay(attempts, { baseMs: this.deps.options.backoffBaseMs, maxMs: this.deps.options.backoffMaxMs });
    this.deps.repo.finishUpload(u.id, outcomes, retryAt, state);
    if (u.kind === 'bundle') await rm(u.path, { force: true });
    if ([...outcomes.values()].some((o) => o.kind === 'verified')) this.deps.onVerified();
    this.kick();
  }
}
