import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { SerialTask } from './lib/periodic';
import type { QueueRepo } from './queue/repo';
import { queueReceived } from './spool/receive';
import type { Spool } from './spool/spool';

export interface ImportProgress {
  found: number;
  done: number;
  imported: number;
  duplicates: number;
  skipped: number;
  failed: number;
  refused: number;
  current?: string;
}

/** True when the file starts like Part-10 (128-byte preamble + 'DICM', PS3.10 §7.1). */
async function isPart10(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(132);
    const { bytesRead } = await fh.read(buf, 0, 132, 0);
    return bytesRead === 132 && buf.toString('latin1', 128, 132) === 'DICM';
  } finally {
    await fh.close();
  }
}

/** Files under `dir`, DICOMDIR index files and the drop folder's own `rejected/` excluded. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    // The DICOMDIR (PS3.10 §8) only indexes the files that sit beside it; we import the files themselves.
    if (e.name.toUpperCase() === 'DICOMDIR' || path.relative(dir, p).split(path.sep)[0] === 'rejected') continue;
    out.push(p);
  }
  return out.sort();
}

/**
 * Imports every Part-10 file under a folder (a CD, a USB stick, a drop folder) into the spool and
 * queue, exactly as an SCP-received instance. With `deleteSource`, a source file is removed only
 * after its copy is fsynced and queued; without it (read-only media) nothing is touched.
 */
export async function importFolder(
  dir: string,
  deps: { spool: Spool; repo: QueueRepo; onQueued?: () => void },
  opts: { deleteSource: boolean; files?: string[]; onProgress?: (p: ImportProgress) => void; rejectDir?: string },
): Promise<ImportProgress> {
  const files = opts.files ?? (await listFiles(dir));
  const p: ImportProgress = { found: files.length, done: 0, imported: 0, duplicates: 0, skipped: 0, failed: 0, refused: 0 };
  for (const file of files) {
    p.current = path.relative(dir, file);
    opts.onProgress?.(p);
    if (!(await isPart10(file).catch(() => false))) {
      p.skipped += 1;
      if (opts.rejectDir) {
        await mkdir(opts.rejectDir, { recursive: true });
        await rename(file, path.join(opts.rejectDir, path.basename(file))).catch(() => {});
      }
    } else {
      const writer = deps.spool.writer();
      await pipeline(createReadStream(file), writer).catch(() => {});
      const outcome = await queueReceived(deps, writer, { source: 'import' });
      if (outcome.status === 'queued') p.imported += 1;
      else if (outcome.status === 'duplicate') p.duplicates += 1;
      else if (outcome.status === 'refused') p.refused += 1;
      else p.failed += 1;
      if ((outcome.status === 'queued' || outcome.status === 'duplicate') && opts.deleteSource) await rm(file, { force: true });
      if (outcome.status === 'queued') deps.onQueued?.();
      // A full spool stops the import: the rest stays on the medium (or in the drop folder) for later.
      if (outcome.status === 'refused') break;
    }
    p.done += 1;
  }
  p.current = undefined;
  opts.onProgress?.(p);
  return p;
}

/**
 * Watches a drop folder by polling (inotify misses writes over SMB/NFS shares): a file is imported
 * once its size and mtime held still between two scans, then removed; non-DICOM files are moved
 * to `rejected/` for a person to look at.
 */
export class DropFolder {
  private readonly seen = new Map<string, string>();
  private readonly task: SerialTask;
  readonly progress: ImportProgress & { lastScanAt?: number } = { found: 0, done: 0, imported: 0, duplicates: 0, skipped: 0, failed: 0, refused: 0 };

  constructor(
    private readonly dir: string,
    private readonly deps: { spool: Spool; repo: QueueRepo; log: Logger; onQueued: () => void },
    intervalMs: number,
  ) {
    this.task = new SerialTask(() => this.scanOnce(), intervalMs, (err) => deps.log.warn({ err: (err as Error).message }, 'drop folder scan failed'));
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.task.start();
    await this.scan();
  }

  stop(): void {
    this.task.stop();
  }

  /** One scan (joins one in progress); imports the files that are stable. */
  scan(): Promise<void> {
    return this.task.kick();
  }

  private async scanOnce(): Promise<void> {
    const stable: string[] = [];
    const files = await listFiles(this.dir);
    for (const f of files) {
      const s = await stat(f).catch(() => null);
      if (!s) continue;
      const sig = `${s.size}:${s.mtimeMs}`;
      if (this.seen.get(f) === sig) stable.push(f);
      this.seen.set(f, sig);
    }
    for (const k of this.seen.keys()) if (!files.includes(k)) this.seen.delete(k);
    this.progress.lastScanAt = Date.now();
    if (!stable.length) return;
    const r = await importFolder(this.dir, this.deps, { deleteSource: true, files: stable, rejectDir: path.join(this.dir, 'rejected') });
    for (const k of ['found', 'done', 'imported', 'duplicates', 'skipped', 'failed', 'refused'] as const) this.progress[k] += r[k];
    for (const f of stable) this.seen.delete(f);
    this.deps.log.info({ ...r, current: undefined }, 'drop folder import');
  }
}
