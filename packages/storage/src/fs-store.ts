import { randomUUID } from 'node:crypto';
import fs, { constants } from 'node:fs';
import { access, type FileHandle, link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectExistsError,
  ObjectNotFoundError,
  StorageUnavailableError,
} from './errors';
import { sharedBlockHasher } from './block-hasher';
import { SmallFileWriter } from './small-file-writer';
import { type AlignedBlockPool, alignUp, DIRECT_CREATE_FLAGS, DirectFileSink, O_DIRECT, sharedBlockPool, writePadded } from './direct-io';
import { BatchedFileSink, writeAllAt } from './file-sink';
import { HashingPassThrough, sha256Hex } from './hashing';
import { readAhead } from './read-ahead';
import { assertValidKey, assertValidPrefix } from './keys';
import {
  assertIntegrity,
  assertPutOptions,
  assertWellFormedRange,
  errnoCode,
  readAll,
  translatePutError,
} from './shared';
import type { ByteRange, GetResult, ListEntry, ObjectInfo, ObjectStore, PutBody, PutOptions, PutResult } from './types';

/** Directory under the root that holds in-flight uploads; reserved, never listed. */
export const FS_TMP_DIR = '.tmp';

/**
 * Objects in memory from this size on are written with direct I/O too; below it the page cache costs
 * less than the extra truncate call (a 64 KB page-cache write costs ~0.15 ms of CPU on our VMs).
 */
const DIRECT_MIN_BYTES = 64 * 1024;

/** Options of {@link FsObjectStore}. */
export interface FsStoreOptions {
  /**
   * Write objects with `O_DIRECT` (default: true where the platform has it). Falls back to the page
   * cache by itself on a filesystem that refuses direct I/O (tmpfs, some FUSE). See direct-io.ts.
   */
  directIo?: boolean;
  /** Aligned blocks for direct writes (tests pass a small pool). */
  blockPool?: AlignedBlockPool;
  /**
   * Writes small in-memory objects (below the direct-I/O size) on worker threads in one message
   * per batch (small-file-writer.ts); default: one writer shared by the process's stores.
   */
  smallFiles?: SmallFileWriter;
}

/** The process's writer of small objects, started on first use. */
const sharedSmallFileWriter = new SmallFileWriter();

/** A key's path component was a file, or the key names a directory: S3 allows both, a filesystem cannot. */
const CONFLICT_CODES = new Set(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR']);

function keyConflictError(key: string, code: string | undefined): InvalidObjectKeyError | undefined {
  if (!code || !CONFLICT_CODES.has(code)) return undefined;
  return new InvalidObjectKeyError(key, 'conflicts with an existing key (the fs backend cannot hold both "a" and "a/b")');
}

/**
 * What an exclusive create (or the write after it) failing with `err` means for a put of `key`: the
 * key exists, a path conflict with another key, or the failure itself.
 */
function createFailure(key: string, opts: PutOptions, err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'EEXIST') return new ObjectExistsError(key);
  return keyConflictError(key, code) ?? translatePutError(key, opts, err);
}

/**
 * {@link ObjectStore} on a local directory, for single-practice installs (typically a RAID volume).
 *
 * Durability: bytes go to `<root>/.tmp/<uuid>`, are fsynced, renamed into place and the directory
 * is fsynced, so after `put` resolves the object survives a power cut, and a crash mid-put never
 * leaves a partial object under its key. A crash (not an error) can leave a file in `.tmp`; it is
 * invisible to readers and safe to delete.
 *
 * The root must already exist: it is never created, so an unmounted volume fails loudly instead
 * of silently filling the system disk.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly #root: string;
  readonly #rootWithSep: string;
  readonly #tmpDir: string;
  /**
   * Directories this process has created or seen: skips a mkdir per put (objects share a few
   * thousand shard directories). A directory pruned by a delete is forgotten on ENOENT.
   */
  readonly #knownDirs = new Set<string>();
  /** #ensureDir calls under way, so that concurrent puts into a new directory wait for one creation. */
  readonly #dirsInProgress = new Map<string, Promise<void>>();
  #tmpReady = false;
  /** Cleared when the filesystem refuses `O_DIRECT` (EINVAL at open). */
  #directIo: boolean;
  readonly #blocks: AlignedBlockPool;
  readonly #smallFiles: SmallFileWriter;

  constructor(root: string, opts: FsStoreOptions = {}) {
    if (!root) throw new TypeError('fs storage root is required');
    this.#directIo = (opts.directIo ?? true) && O_DIRECT !== 0;
    this.#blocks = opts.blockPool ?? sharedBlockPool;
    this.#smallFiles = opts.smallFiles ?? sharedSmallFileWriter;
    this.#root = path.resolve(root);
    this.#rootWithSep = this.#root.endsWith(path.sep) ? this.#root : this.#root + path.sep;
    this.#tmpDir = path.join(this.#root, FS_TMP_DIR);
  }

  /** Absolute path of the storage root (for diagnostics and tests). */
  get root(): string {
    return this.#root;
  }

  /** Absolute path of the temp directory (for tests asserting nothing is left behind). */
  get tmpDir(): string {
    return this.#tmpDir;
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.#pathFor(key);
    assertPutOptions(opts);
    opts.signal?.throwIfAborted();
    // Early refusal saves streaming a large body for nothing; link() below is the atomic check.
    if (opts.ifNoneMatch && !opts.unique && (await this.head(key))) throw new ObjectExistsError(key);
    if (opts.unique) return this.#putInPlace(key, target, body, opts);

    if (!this.#tmpReady) {
      await this.#ensureTmpDir();
      this.#tmpReady = true;
    }
    const tmp = path.join(this.#tmpDir, randomUUID());
    let committed = false;
    let direct = false;
    try {
      const source = body instanceof Readable ? body : Readable.from(Buffer.isBuffer(body) ? [body] : body);
      // Fsynced and closed before the rename makes it visible, so a power cut cannot leave a
      // complete-looking name pointing at a zero-length or partial file.
      const file = await this.#createNew(tmp, open);
      direct = file.direct;
      const { size, sha256 } = await writeHashed(file, source, opts, this.#blocks);
      assertIntegrity(key, opts, size, sha256);
      await this.#commit(tmp, target, key, opts.ifNoneMatch === true);
      committed = true;
      return { key, size, sha256 };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') this.#tmpReady = false; // .tmp removed under us: recreate next time
      throw translatePutError(key, opts, this.#directWriteRefused(err, direct));
    } finally {
      if (!committed) await rm(tmp, { force: true }).catch(() => {});
    }
  }

  /**
   * `unique` keys: create the file exclusively under its final name, stream, fsync, fsync the
   * directory. The file's fsync commits the journal transaction that also holds its directory
   * entry, so the directory fsync that follows finds nothing left to commit on ext4/XFS (it is
   * still issued: POSIX only promises the name is durable after it).
   */
  async #putInPlace(key: string, target: string, body: PutBody, opts: PutOptions): Promise<PutResult> {
    const dir = path.dirname(target);
    if (!(body instanceof Readable)) {
      // Whole object in memory (small instances): hash it (unless the caller did), then write,
      // fsync, close — no streams.
      // Chunks are written with one writev, not joined into a copy first.
      const chunks = Buffer.isBuffer(body) ? [body] : body;
      const result = { size: chunks.reduce((n, c) => n + c.length, 0), sha256: opts.knownSha256 ?? sha256Hex(chunks) };
      assertIntegrity(key, opts, result.size, result.sha256);
      const direct = this.#directIo && result.size >= DIRECT_MIN_BYTES && result.size <= this.#blocks.blockBytes;
      if (!direct) return this.#putSmall(key, target, chunks, result, opts);
      // `opened` is false only when this open found the filesystem without O_DIRECT (EINVAL).
      const { handle: fd, direct: opened } = await this.#createExclusive(key, target, opts, (p) => this.#createNew(p, fdOpen));
      let fdIsOpen = true;
      try {
        opts.signal?.throwIfAborted();
        if (opened) await writeSmallDirect(fd, chunks, result.size, this.#blocks);
        else await writeAllAt((rest, position) => fdWritev(fd, rest, position), chunks, 0);
        await fdSync(fd);
        fdIsOpen = false; // a descriptor number is reused at once: never close it twice
        await fdClose(fd);
        await fsyncDir(dir);
        return { key, ...result };
      } catch (err) {
        if (fdIsOpen) await fdClose(fd).catch(() => {});
        await unlink(target).catch(() => {});
        throw translatePutError(key, opts, this.#directWriteRefused(err, opened));
      }
    }
    const file = await this.#createExclusive(key, target, opts, (p) => this.#createNew(p, open));
    try {
      const result = await writeHashed(file, body, opts, this.#blocks);
      assertIntegrity(key, opts, result.size, result.sha256);
      await fsyncDir(dir);
      return { key, ...result };
    } catch (err) {
      await unlink(target).catch(() => {});
      throw translatePutError(key, opts, this.#directWriteRefused(err, file.direct));
    }
  }

  /**
   * An object in memory through the page cache: created exclusively, written, fsynced and closed,
   * then its directory fsynced — all on a writer thread (see SmallFileWriter), which also creates a
   * missing shard directory and removes the file again if a step after its creation fails.
   */
  async #putSmall(key: string, target: string, chunks: readonly Buffer[], result: { size: number; sha256: string }, opts: PutOptions): Promise<PutResult> {
    opts.signal?.throwIfAborted();
    try {
      await this.#smallFiles.write({ file: target, chunks });
    } catch (err) {
      // Without an errno code the writer thread itself failed, perhaps after creating the file (a
      // failed step it reports has already removed it). A file at this new, unique key can only be
      // this put's, so it goes: a failed put leaves no object.
      if (errnoCode(err) === undefined) await unlink(target).catch(() => {});
      throw createFailure(key, opts, err);
    }
    return { key, ...result };
  }

  /**
   * Creates `file` exclusively through `open` (a FileHandle for streams, a descriptor for objects in
   * memory), with `O_DIRECT` while this store has direct I/O. EINVAL at open means this filesystem
   * has no direct I/O (tmpfs, some FUSE): this and every later file go through the page cache.
   */
  async #createNew<T>(file: string, open: (file: string, flags: number | string, mode: number) => Promise<T>): Promise<NewFile<T>> {
    if (this.#directIo) {
      try {
        return { handle: await open(file, DIRECT_CREATE_FLAGS, 0o644), direct: true };
      } catch (err) {
        if (errnoCode(err) !== 'EINVAL') throw err;
        this.#directIo = false;
      }
    }
    return { handle: await open(file, 'wx', 0o644), direct: false };
  }

  /**
   * A direct write refused with EINVAL (a device whose logical block is larger than our 4 KB
   * alignment): later puts go through the page cache, and this one fails as retryable.
   */
  #directWriteRefused(err: unknown, direct: boolean): unknown {
    if (!direct || errnoCode(err) !== 'EINVAL') return err;
    this.#directIo = false;
    return new StorageUnavailableError('the volume refused a direct (O_DIRECT) write; later writes go through the page cache: retry', { cause: err });
  }

  /** Creates `target` exclusively (its directory first), retrying when a concurrent delete pruned the directory. */
  async #createExclusive<T>(key: string, target: string, opts: PutOptions, create: (file: string) => Promise<T>): Promise<T> {
    const dir = path.dirname(target);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ensureDir(dir);
        return await create(target);
      } catch (err) {
        this.#knownDirs.delete(dir);
        const code = errnoCode(err);
        // A concurrent delete pruned the (momentarily empty) directory: create it again.
        if (code === 'ENOENT' && attempt < 5) continue;
        throw createFailure(key, opts, err);
      }
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<GetResult> {
    if (opts.range) assertWellFormedRange(key, opts.range);
    const fh = await this.#openForRead(key);
    try {
      // Stat the open descriptor, not the path: a concurrent overwrite renames a new inode into
      // place, and we must report the size of the bytes we are about to stream.
      const st = await fh.stat();
      if (!st.isFile()) throw new ObjectNotFoundError(key);
      const size = st.size;
      if (!opts.range) return { body: readAhead(fh, 0, size - 1), size, contentLength: size };
      const { start } = opts.range;
      if (start >= size) throw new InvalidRangeError(key, opts.range, size);
      const end = Math.min(opts.range.end ?? size - 1, size - 1);
      return { body: readAhead(fh, start, end), size, contentLength: end - start + 1 };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.#pathFor(key);
    try {
      const st = await stat(file);
      return st.isFile() ? { size: st.size, lastModified: st.mtime } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#pathFor(key);
    try {
      await unlink(file);
    } catch (err) {
      // EISDIR/EPERM: the key names a directory of other keys, i.e. no object under this key.
      if (isMissing(err) || errnoCode(err) === 'EISDIR' || errnoCode(err) === 'EPERM') return;
      throw err;
    }
    // No directory fsync here: a delete lost to a power cut only resurrects an object, it never
    // loses or corrupts one, and deletes are not on a latency-sensitive path worth paying for.
    await this.#pruneEmptyDirs(path.dirname(file));
  }

  async *list(prefix: string): AsyncIterable<ListEntry> {
    assertValidPrefix(prefix);
    // S3 prefixes are plain string prefixes ("studies/1.2" matches "studies/1.2.3/x"), so start
    // walking at the deepest complete directory and filter names by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    if (dirKey === FS_TMP_DIR || dirKey.startsWith(`${FS_TMP_DIR}/`)) return;
    const startDir = dirKey ? this.#contained(prefix, path.join(this.#root, ...dirKey.split('/'))) : this.#root;
    yield* this.#walk(startDir, dirKey ? `${dirKey}/` : '', prefix);
  }

  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidRangeError(key, { start });
    if (length === 0) {
      if (!(await this.head(key))) throw new ObjectNotFoundError(key);
      return Buffer.alloc(0);
    }
    const { body } = await this.get(key, { range: { start, end: start + length - 1 } });
    return readAll(body);
  }

  async readInto(key: string, target: Buffer, position = 0): Promise<number> {
    const file = this.#pathFor(key); // validates the key before anything else
    if (!Number.isSafeInteger(position) || position < 0) throw new InvalidRangeError(key, { start: position });
    const fh = await this.#openForRead(key, file);
    try {
      let total = 0;
      while (total < target.length) {
        const { bytesRead } = await fh.read(target, total, target.length - total, position + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      if (total === 0 && position > 0 && target.length > 0) throw new InvalidRangeError(key, { start: position });
      return total;
    } catch (err) {
      // A directory opens read-only but cannot be read: it is no object.
      if (errnoCode(err) === 'EISDIR') throw new ObjectNotFoundError(key, { cause: err });
      throw err;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  async ping(): Promise<void> {
    try {
      const st = await stat(this.#root);
      if (!st.isDirectory()) throw new Error('not a directory');
      await access(this.#root, constants.R_OK | constants.W_OK | constants.X_OK);
      await this.#ensureTmpDir();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StorageUnavailableError(`filesystem storage root ${this.#root} is not usable: ${reason}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {}

  /** Validates the key and maps it to a path that is provably inside the root. */
  #pathFor(key: string): string {
    assertValidKey(key);
    if (key === FS_TMP_DIR || key.startsWith(`${FS_TMP_DIR}/`)) {
      throw new InvalidObjectKeyError(key, `"${FS_TMP_DIR}/" is reserved by the filesystem store`);
    }
    // NAME_MAX on Linux filesystems; S3 has no per-segment limit, so this is the one fs-only rule.
    // (A segment of at most 85 UTF-16 units is at most 255 bytes of UTF-8: no need to count.)
    const segments = key.split('/');
    if (segments.some((segment) => segment.length > 85 && Buffer.byteLength(segment) > 255)) {
      throw new InvalidObjectKeyError(key, 'has a segment longer than 255 bytes (filesystem limit)');
    }
    // The segments are valid (no "", ".", ".." or backslash): joined under the root, they are
    // resolved (normalised) once, by #contained.
    return this.#contained(key, this.#rootWithSep + key);
  }

  // Defence in depth: assertValidKey already rules out "..", absolute paths and backslashes, but
  // containment is checked on the resolved path too, so a future change to key rules cannot open
  // a path-escape hole.
  #contained(key: string, candidate: string): string {
    const resolved = path.resolve(candidate);
    if (!resolved.startsWith(this.#rootWithSep)) throw new InvalidObjectKeyError(key, 'resolves outside the storage root');
    return resolved;
  }

  async #ensureTmpDir(): Promise<void> {
    try {
      // Not recursive on purpose: a missing root must fail, not be created (see class comment).
      await mkdir(this.#tmpDir, { mode: 0o755 });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
  }

  /** Moves a synced temp file to its key and makes the new directory entries durable. */
  async #commit(tmp: string, target: string, key: string, exclusive: boolean): Promise<void> {
    const dir = path.dirname(target);
    // A concurrent delete may prune the (momentarily empty) directory between mkdir and rename;
    // that shows up as ENOENT and a retry recreates it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ensureDir(dir);
        if (exclusive) {
          // link() fails with EEXIST if the name exists: an atomic "if none match".
          await link(tmp, target);
          await unlink(tmp);
        } else {
          // rename() atomically replaces an existing object: readers see old or new, never half.
          await rename(tmp, target);
        }
      } catch (err) {
        const code = errnoCode(err);
        this.#knownDirs.delete(dir);
        if (code === 'ENOENT' && attempt < 5) continue;
        if (code === 'EEXIST' && exclusive && (await this.head(key))) throw new ObjectExistsError(key);
        throw keyConflictError(key, code) ?? err;
      }
      await fsyncDir(dir);
      return;
    }
  }

  /**
   * Creates `dir` (and missing parents) unless this process already knows it is durable, and
   * fsyncs each new entry into its parent so it survives a crash. Objects share a few thousand
   * shard directories, so this skips a mkdir per put. A directory pruned by a delete is forgotten
   * by the callers on ENOENT.
   *
   * A directory is used only after its entry is durable: concurrent puts into a new directory wait
   * for the one creation, and a directory that already existed (made by a writer thread, another
   * process, or before a restart, perhaps with its parent's fsync still to come) gets its parent
   * fsynced once before this process relies on it.
   */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    let making = this.#dirsInProgress.get(dir);
    if (!making) {
      making = this.#makeDurableDir(dir).finally(() => this.#dirsInProgress.delete(dir));
      this.#dirsInProgress.set(dir, making);
    }
    await making;
  }

  async #makeDurableDir(dir: string): Promise<void> {
    const made = await mkdir(dir, { recursive: true, mode: 0o755 });
    const top = made ?? dir;
    for (let d = dir; d !== path.dirname(top); d = path.dirname(d)) await fsyncDir(path.dirname(d));
    if (this.#knownDirs.size > 50_000) this.#knownDirs.clear();
    this.#knownDirs.add(dir);
  }

  async #pruneEmptyDirs(dir: string): Promise<void> {
    for (let d = dir; d.startsWith(this.#rootWithSep); d = path.dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }

  async *#walk(dir: string, keyPrefix: string, filter: string): AsyncGenerator<ListEntry> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = keyPrefix + entry.name;
      if (key === FS_TMP_DIR) continue;
      if (entry.isDirectory()) {
        const asDir = `${key}/`;
        if (asDir.startsWith(filter) || filter.startsWith(asDir)) yield* this.#walk(path.join(dir, entry.name), asDir, filter);
      } else if (entry.isFile() && key.startsWith(filter) && isPortableKey(key)) {
        // Symlinks and other special files are skipped (Dirent types come from lstat): nothing
        // this store writes is a symlink, and following one could leave the root.
        try {
          const st = await stat(path.join(dir, entry.name));
          yield { key, size: st.size };
        } catch (err) {
          if (!isMissing(err)) throw err; // deleted while listing: not an error
        }
      }
    }
  }

  /** Opens the object's file read-only; a missing file is ObjectNotFoundError. */
  async #openForRead(key: string, file = this.#pathFor(key)): Promise<Awaited<ReturnType<typeof open>>> {
    try {
      return await open(file, 'r');
    } catch (err) {
      throw this.#mapMissing(key, err);
    }
  }

  #mapMissing(key: string, err: unknown): unknown {
    return isMissing(err) ? new ObjectNotFoundError(key, { cause: err }) : err;
  }
}

/** Files placed in the root by hand may have names `get` would refuse; don't list those. */
function isPortableKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  // ENOTDIR: a path component is a file, e.g. key "a/b" when "a" is an object.
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// Integer descriptors for the per-object calls of a put (each a thread-pool hop): the callback API
// costs the main thread less per call than FileHandle objects (measured: docs/benchmarks.md,
// "Ingest"). Streamed objects go through a FileHandle and BatchedFileSink (writeHashed).
const fdOpen = promisify(fs.open) as (file: string, flags: string | number, mode?: number) => Promise<number>;
const fdWrite = promisify(fs.write) as (fd: number, buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;
const fdTruncate = promisify(fs.ftruncate);
const fdWritev = promisify(fs.writev) as (fd: number, buffers: readonly Buffer[], position: number) => Promise<{ bytesWritten: number }>;
const fdSync = promisify(fs.fsync);
const fdClose = promisify(fs.close);

/** A new object file open for writing (FileHandle or descriptor), and whether it was opened with `O_DIRECT`. */
interface NewFile<T = FileHandle> {
  handle: T;
  direct: boolean;
}

/**
 * Streams `source` into the new file in ~1 MB blocks (DirectFileSink, or BatchedFileSink through
 * the page cache), hashing and counting on the way (failing early past `opts.expectedSize`); the
 * file is fsynced and closed when this resolves, and closed when it rejects.
 */
async function writeHashed(file: NewFile, source: Readable, opts: PutOptions, blocks: AlignedBlockPool): Promise<{ size: number; sha256: string }> {
  const fh = file.handle;
  const { stages, result } = hashingSink(file, opts, blocks);
  try {
    await pipeline([source, ...stages], { signal: opts.signal });
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
  await fh.close();
  return result();
}

/**
 * The stages that write, count and hash an object: DirectFileSink alone (it counts, and the hash
 * worker hashes its blocks: block-hasher.ts), or a hashing pass-through before BatchedFileSink.
 */
function hashingSink(file: NewFile, opts: PutOptions, blocks: AlignedBlockPool): { stages: Writable[]; result: () => { size: number; sha256: string } } {
  if (file.direct) {
    const sink = new DirectFileSink(file.handle, { hasher: sharedBlockHasher, maxBytes: opts.expectedSize }, blocks);
    return { stages: [sink], result: () => sink.result };
  }
  const hasher = new HashingPassThrough(opts.expectedSize);
  return { stages: [hasher, new BatchedFileSink(file.handle)], result: () => hasher.digest.digest() };
}

/**
 * Writes an object held in memory (at most one block) through an `O_DIRECT` descriptor: copied into
 * an aligned block, written zero-padded to the alignment, truncated to its size.
 */
async function writeSmallDirect(fd: number, chunks: readonly Buffer[], size: number, blocks: AlignedBlockPool): Promise<void> {
  const block = await blocks.acquire();
  try {
    let filled = 0;
    for (const chunk of chunks) filled += chunk.copy(block, filled);
    await writePadded((buffer, at) => fdWrite(fd, buffer, 0, buffer.length, at), block, size, 0);
    if (alignUp(size) !== size) await fdTruncate(fd, size);
  } finally {
    blocks.release(block);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await fdOpen(dir, 'r');
  try {
    await fdSync(fd);
  } finally {
    await fdClose(fd);
  }
}
