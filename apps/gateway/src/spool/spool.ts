import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, statfs, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { HeaderCollector, type ParsedInstance } from '@vetpacs/dicom';

/** Outcome of writing one file into the spool. */
export type SpoolResult =
  | { status: 'ok'; tmpPath: string; size: number; sha256: string; parsed?: ParsedInstance; parseError?: string }
  | { status: 'refused'; reason: string }
  | { status: 'failed'; error: string };

export interface SpoolLimits {
  budgetBytes: number;
  minFreeBytes: number;
}

/**
 * The on-disk spool: `tmp/` (files being received), `files/<day>/` (received, fsynced, queued),
 * `bundles/` (upload bundles). A file reaches `files/` only complete and fsynced, and the rename is
 * made durable by fsyncing the directory, so a queue row never points at a torn file.
 */
export class Spool {
  readonly tmpDir: string;
  readonly filesDir: string;
  readonly bundlesDir: string;
  /** Bytes being received right now (not yet in the queue), counted against the budget. */
  private inflight = 0;
  /** Queue's pending bytes as of the last per-file check, kept current as files are queued (no SQL per chunk). */
  private queued = 0;

  constructor(
    readonly root: string,
    private readonly limits: SpoolLimits,
    /** Bytes the queue holds that the cloud has not verified (the budget is about these). */
    private readonly pendingBytes: () => number,
  ) {
    this.tmpDir = path.join(root, 'tmp');
    this.filesDir = path.join(root, 'files');
    this.bundlesDir = path.join(root, 'bundles');
  }

  async init(): Promise<void> {
    for (const d of [this.tmpDir, this.filesDir, this.bundlesDir]) await mkdir(d, { recursive: true });
  }

  /** Free bytes on the spool's file system. */
  async diskFree(): Promise<number> {
    const s = await statfs(this.root);
    return Number(s.bavail) * Number(s.bsize);
  }

  /**
   * Why a new file of `extra` bytes may not be accepted now, or null. Refusing here, with room to
   * spare, is what lets the SCP answer "out of resources" instead of failing on a full disk.
   */
  async refusal(extra: number): Promise<{ reason: string | null; headroom: number }> {
    this.queued = this.pendingBytes();
    const pending = this.queued + this.inflight;
    const free = await this.diskFree();
    const headroom = free - this.limits.minFreeBytes;
    if (pending + extra > this.limits.budgetBytes) return { reason: `spool budget reached (${pending} of ${this.limits.budgetBytes} bytes awaiting upload)`, headroom };
    if (extra > headroom) return { reason: `disk almost full (${free} bytes free, ${this.limits.minFreeBytes} kept in reserve)`, headroom };
    return { reason: null, headroom };
  }

  /**
   * A writer for one incoming file; `prefix` (e.g. preamble + File Meta) is written first. The
   * budget is checked as it opens (and on every chunk), so a refused file never touches the disk.
   */
  writer(prefix?: Buffer): SpoolWriter {
    return new SpoolWriter(this, path.join(this.tmpDir, `${randomUUID()}.part`), prefix);
  }

  /** @internal budget bookkeeping for writers. */
  reserve(bytes: number): string | null {
    if (this.queued + this.inflight + bytes > this.limits.budgetBytes) return 'spool budget reached while receiving';
    this.inflight += bytes;
    return null;
  }

  /** @internal `queued`: the bytes now count as pending in the queue. */
  release(bytes: number, queued = false): void {
    this.inflight = Math.max(0, this.inflight - bytes);
    if (queued) this.queued += bytes;
  }

  /** Moves a complete tmp file into `files/` durably; returns its final path. */
  async commit(tmpPath: string): Promise<string> {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const dir = path.join(this.filesDir, day);
    await mkdir(dir, { recursive: true });
    const final = path.join(dir, path.basename(tmpPath).replace(/\.part$/, '.dcm'));
    await rename(tmpPath, final);
    await fsyncDir(dir);
    return final;
  }

  /**
   * Start-up clean-up: anything in `tmp/` was never acknowledged (the sender will retry), and a
   * file in `files/` that no queue row references was never acknowledged either.
   */
  async removeOrphans(referenced: Set<string>): Promise<number> {
    let removed = 0;
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    for (const base of [this.filesDir, this.bundlesDir]) {
      for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const p = path.join(entry.parentPath, entry.name);
        if (!referenced.has(p)) {
          await rm(p, { force: true });
          removed += 1;
        }
      }
    }
    return removed;
  }
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Streams one file into `tmp/`, hashing it and parsing its header on the way (constant memory).
 * It never emits 'error' (the DIMSE library does not listen for it): failures and refusals are
 * recorded and reported by {@link SpoolWriter.result}; the remaining bytes are discarded.
 */
export class SpoolWriter extends Writable {
  private fh?: FileHandle;
  private readonly hash = createHash('sha256');
  private readonly collector = new HeaderCollector();
  private parseError?: string;
  private size = 0;
  private failure?: SpoolResult;
  private completed = false;
  /** Bytes this file may take before the disk's reserve would be touched. */
  private headroom = Number.POSITIVE_INFINITY;
  private readonly done: Promise<SpoolResult>;
  private settle!: (r: SpoolResult) => void;

  constructor(
    private readonly spool: Spool,
    readonly tmpPath: string,
    private readonly prefix: Buffer | undefined,
  ) {
    // autoDestroy off: destroying after 'finish' would run _destroy and remove the finished file.
    super({ highWaterMark: 1024 * 1024, autoDestroy: false });
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Settles once the file is fsynced and closed (or refused / failed and removed). */
  result(): Promise<SpoolResult> {
    return this.done;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.spool
      .refusal(this.prefix?.length ?? 0)
      .then(async ({ reason, headroom }) => {
        this.headroom = headroom;
        if (reason) {
          this.failure = { status: 'refused', reason };
          return;
        }
        this.fh = await open(this.tmpPath, 'wx');
        if (this.prefix) await this.append(this.prefix);
      })
      .catch((err: Error) => this.fail(err))
      .finally(() => callback());
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) {
      callback();
      return;
    }
    this.append(chunk)
      .catch((err: Error) => this.fail(err))
      .finally(() => callback());
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    // Many small PDVs (16 KiB PDUs are common) arrive back to back: one append for all of them.
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'binary', callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    void this.finish().finally(() => callback());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.completed) {
      callback();
      return;
    }
    // An aborted association: drop what was received.
    if (!this.fh && !this.failure) this.failure = { status: 'failed', error: err?.message ?? 'aborted' };
    void this.discard().finally(() => {
      this.settle(this.failure ?? { status: 'failed', error: err?.message ?? 'aborted' });
      callback();
    });
  }

  private async append(chunk: Buffer): Promise<void> {
    const refused = this.size + chunk.length > this.headroom ? 'disk almost full while receiving' : this.spool.reserve(chunk.length);
    if (refused) {
      this.failure = { status: 'refused', reason: refused };
      await this.discard();
      return;
    }
    this.size += chunk.length;
    this.hash.update(chunk);
    if (!this.parseError && !this.collector.headerComplete) {
      try {
        this.collector.push(chunk);
      } catch (err) {
        // Not ours to judge: the cloud decides and its reason is shown (the file is still kept).
        this.parseError = (err as Error).message;
      }
    }
    let off = 0;
    while (off < chunk.length) off += (await this.fh!.write(chunk, off, chunk.length - off)).bytesWritten;
  }

  private fail(err: Error): void {
    this.failure ??= { status: 'failed', error: err.message };
    void this.discard();
  }

  private async discard(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.spool.release(this.size);
    this.size = 0;
    await fh?.close().catch(() => {});
    await rm(this.tmpPath, { force: true }).catch(() => {});
  }

  private async finish(): Promise<void> {
    if (this.failure) {
      await this.discard();
      return this.settle(this.failure);
    }
    try {
      await this.fh!.sync();
      await this.fh!.close();
      this.fh = undefined;
    } catch (err) {
      this.fail(err as Error);
      await this.discard();
      return this.settle(this.failure!);
    }
    let parsed: ParsedInstance | undefined;
    if (!this.parseError) {
      try {
        parsed = this.collector.headerComplete ? this.collector.finishPartial() : this.collector.finish();
      } catch (err) {
        this.parseError = (err as Error).message;
      }
    }
    this.completed = true;
    this.settle({ status: 'ok', tmpPath: this.tmpPath, size: this.size, sha256: this.hash.digest('hex'), parsed, parseError: this.parseError });
  }

  /** Ends the budget reservation: call once the file is in the queue (`queued`) or dropped. */
  releaseReservation(queued = false): void {
    this.spool.release(this.size, queued);
    this.size = 0;
  }
}
