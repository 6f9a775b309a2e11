import { EvalWorker } from './eval-worker';

/** One small file to create: written, fsynced, closed, and its directory fsynced. */
export interface SmallFile {
  /** Absolute path; created exclusively (`O_EXCL`): an existing file fails with EEXIST. */
  file: string;
  chunks: readonly Buffer[];
}

/** A failed write, as the worker saw it: the Node errno error's fields. */
interface WriteFailure {
  code?: string;
  syscall?: string;
  message: string;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A batch posted to a writer thread: every file's bytes in one buffer (transferred), at offsets. */
interface WriteBatch {
  seq: number;
  bytes: Uint8Array;
  files: { file: string; at: number; length: number }[];
}

/** The thread's answer to a batch: per file, in order, null when it is durable. */
interface BatchAnswer {
  seq: number;
  failures: (WriteFailure | null)[];
}

interface Thread {
  worker: EvalWorker<WriteBatch, BatchAnswer>;
  /** Per batch posted to it and not answered yet, its files' waiters. */
  batches: Map<number, Waiter[]>;
}

/** Files posted to a thread and not answered yet. */
function inFlight(thread: Thread): number {
  let files = 0;
  for (const waiters of thread.batches.values()) files += waiters.length;
  return files;
}

/**
 * Writes small objects held in memory (below the direct-I/O size) on worker threads: each file of a
 * batch created and written with synchronous calls, then every fsync of the batch side by side —
 * the files', each directory's once, and the parent's of a directory whose entry is not yet known
 * durable (on libuv's pool, hopped to from the writer thread, not from the server's JavaScript
 * thread) — and the files closed.
 *
 * Why: through libuv's thread pool those are 7–8 hops per object, and on our VMs each hop costs the
 * server's one JavaScript thread ~50–75 µs (a futex wake of an idle pool thread is an IPI, a VM
 * exit). With many tiny instances at concurrency 4 that thread is the bottleneck (90 % busy while
 * the machine is 25 % idle; docs/benchmarks.md, "Ingest"). Here the files that one turn of the
 * event loop asks for travel in one message — or, while every thread is busy with a batch, all
 * the files asked for until one answers — and one answer comes back per batch.
 *
 * A put takes ~0.45 ms here when alone, most of it waiting for the disk, but the disk completes
 * fsyncs side by side: 1,500 durable small files/s one at a time through this writer, 3,100 two at a
 * time, 7,100 eight at a time (scripts/bench/durable-files.ts). One after another, a request's ten tiny instances waited 5–8 ms
 * for their files; side by side `many` went 404 → 478 inst/s at c1 and 664 → 689 at c4 (means of
 * eight alternating rounds each; docs/benchmarks.md, "Ingest"). A failed file is removed again by
 * the worker (if it created it) and reported with its errno code; the other files of the batch are
 * unaffected.
 */
export class SmallFileWriter {
  readonly #threads: Thread[] = [];
  #pending: { file: SmallFile; waiter: Waiter }[] = [];
  #flushScheduled = false;
  #seq = 0;

  constructor(private readonly size = 2) {}

  /** Resolves once `file` and its directory entry are durable; rejects with an errno-like error. */
  write(file: SmallFile): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ file, waiter: { resolve, reject } });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // After this turn's I/O callbacks: the objects of one socket read travel together.
        setImmediate(() => this.#flush());
      }
    });
  }

  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    // Every thread busy with a batch: the files wait for the first answer and then go in one
    // message (#start's handler flushes), instead of one message per turn of the event loop. Each
    // message costs the server's JavaScript thread a wake of the writer thread (a VM exit) and its
    // serialisation: ~9 % of that thread's time with many tiny instances at c4. Alone, a file is
    // posted at once, as before.
    if (this.#threads.length >= this.size && this.#threads.every((t) => t.batches.size > 0)) return;
    const batch = this.#pending;
    this.#pending = [];
    let thread: Thread;
    try {
      thread = this.#leastBusy();
    } catch (err) {
      for (const { waiter } of batch) waiter.reject(err as Error);
      return;
    }
    const seq = ++this.#seq;
    thread.batches.set(
      seq,
      batch.map((b) => b.waiter),
    );
    // The files' bytes are copied once into one new buffer, which is moved to the thread
    // (transferred, not cloned): cloning a Buffer copies the whole memory it is a view of — the
    // request's 64 KB socket reads, several times over per batch (measured: 70 µs per object).
    // One buffer for the batch rather than one per file: a message of ten 9.4 KB files costs
    // ~73 µs of CPU instead of ~157 µs (one allocation and one transfer instead of ten).
    let size = 0;
    for (const { file } of batch) for (const c of file.chunks) size += c.length;
    const bytes = new Uint8Array(size);
    let at = 0;
    const files = batch.map(({ file }) => {
      const start = at;
      for (const c of file.chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      return { file: file.file, at: start, length: at - start };
    });
    thread.worker.ask({ seq, bytes, files }, [bytes.buffer]);
  }

  /** Files held back while every thread was busy (#flush) go once one is free: together, now. */
  #flushHeldBack(): void {
    if (this.#pending.length && !this.#flushScheduled) this.#flush();
  }

  #leastBusy(): Thread {
    if (this.#threads.length < this.size) {
      const idle = this.#threads.find((t) => t.batches.size === 0);
      if (idle) return idle;
      return this.#start();
    }
    return this.#threads.reduce((a, b) => (inFlight(b) < inFlight(a) ? b : a));
  }

  #start(): Thread {
    const thread: Thread = {
      batches: new Map(),
      worker: new EvalWorker(
        smallFileWorkerMain,
        (m) => {
          const waiters = thread.batches.get(m.seq) ?? [];
          thread.batches.delete(m.seq);
          waiters.forEach((w, i) => {
            const f = m.failures[i];
            if (f) w.reject(Object.assign(new Error(f.message), { code: f.code, syscall: f.syscall }));
            else w.resolve();
          });
          this.#flushHeldBack();
        },
        // A thread that dies fails what it was asked (without an errno code: FsObjectStore then
        // removes a file it may have created); the next batch starts a new one.
        (err) => {
          const at = this.#threads.indexOf(thread);
          if (at >= 0) this.#threads.splice(at, 1);
          for (const waiters of thread.batches.values()) for (const w of waiters) w.reject(new Error(`file writer thread failed: ${err.message}`));
          thread.batches.clear();
          this.#flushHeldBack();
        },
      ),
    };
    this.#threads.push(thread);
    return thread;
  }
}

/** The writer thread's body, run from its source text (see EvalWorker). */
function smallFileWorkerMain(): void {
  const fs = process.getBuiltinModule('node:fs');
  const path = process.getBuiltinModule('node:path');
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY, O_DIRECTORY } = fs.constants;

  const openDir = (dir: string) => fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  /** fsync on the process's libuv pool: the fsyncs of one batch wait on the disk side by side. */
  const fsync = (fd: number) =>
    new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => (err ? reject(err) : resolve()));
    });

  /**
   * Directories whose own entry this thread has made durable: created here (makeDir), or found
   * and their parent fsynced once (writeBatch). Another thread or process may have just created a
   * directory and not yet fsynced its parent; a file in it is not durable until that is done.
   */
  const durableDirs = new Set<string>();
  const markDurable = (dir: string) => {
    if (durableDirs.size > 50_000) durableDirs.clear();
    durableDirs.add(dir);
  };

  /**
   * Creates `dir` and its missing parents. The entries of new parents are fsynced here,
   * synchronously (a new practice's first object: rare). The entry of `dir` itself is not: it is
   * not marked durable, so the batch fsyncs its parent with the batch's other fsyncs (writeBatch),
   * as for any directory this thread has not made durable — also when a later batch puts a file in
   * it before that fsync is done. An empty store's first few thousand objects each make a shard
   * directory: fsynced one by one here, a request's ten tiny instances waited for up to ten
   * journal commits in a row.
   */
  const makeDir = (dir: string) => {
    const made = fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (!made) return;
    for (let d = path.dirname(dir); d !== path.dirname(made); d = path.dirname(d)) {
      const fd = openDir(path.dirname(d));
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      markDurable(d);
    }
  };

  const create = (file: string): number => {
    for (let attempt = 1; ; attempt++) {
      try {
        return fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL, 0o644);
      } catch (err) {
        // A missing shard directory (first object in it, or a concurrent delete pruned it).
        if ((err as { code?: string }).code !== 'ENOENT' || attempt >= 5) throw err;
        makeDir(path.dirname(file));
      }
    }
  };

  const removeQuietly = (file: string) => {
    try {
      fs.unlinkSync(file);
    } catch {
      // the write's own error is the one to report
    }
  };

  const failureOf = (err: unknown): WriteFailure => {
    const e = err as { code?: string; syscall?: string; message?: string };
    return { code: e.code, syscall: e.syscall, message: e.message ?? String(err) };
  };

  const writeAll = (fd: number, bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length; ) {
      const n = fs.writeSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO', syscall: 'write' });
      at += n;
    }
  };

  /** fsync, then close (both attempted); rejects with the first error. */
  const syncAndClose = async (fd: number): Promise<void> => {
    let failure: unknown;
    try {
      await fsync(fd);
    } catch (err) {
      failure = err;
    }
    try {
      fs.closeSync(fd);
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) throw failure;
  };

  const fsyncDir = async (dir: string) => {
    const fd = openDir(dir);
    try {
      await fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
  };

  /**
   * One batch: every file created and written (synchronously), then every fsync the batch needs
   * side by side — each file's, each directory's once, and each directory's parent once where this
   * thread has not made the directory's own entry durable before (see durableDirs and makeDir) —
   * so they share the disk's journal commits instead of waiting for one round after another.
   * Issuing a directory's fsync together with its files' is safe: the files' entries exist before
   * any fsync is issued. A file that fails at any step is removed and reported; the others are not
   * affected (a failed directory fsync fails that directory's files).
   */
  const writeBatch = async ({ bytes: all, files }: WriteBatch): Promise<(WriteFailure | null)[]> => {
    const failures: (WriteFailure | null)[] = files.map(() => null);
    const created: boolean[] = files.map(() => false);
    const byDir = new Map<string, number[]>();
    const syncs: Promise<void>[] = [];
    files.forEach(({ file, at, length }, i) => {
      let fd: number;
      try {
        fd = create(file);
      } catch (err) {
        failures[i] = failureOf(err); // not created (an existing file is left alone)
        return;
      }
      created[i] = true;
      try {
        writeAll(fd, all.subarray(at, at + length));
      } catch (err) {
        failures[i] = failureOf(err);
        try {
          fs.closeSync(fd);
        } catch {
          // the write's error is the one to report
        }
        return;
      }
      syncs.push(
        syncAndClose(fd).catch((err) => {
          failures[i] ??= failureOf(err);
        }),
      );
      const dir = path.dirname(file);
      const members = byDir.get(dir);
      if (members) members.push(i);
      else byDir.set(dir, [i]);
    });
    // Each parent once, however many of its directories the batch uses (shards share one parent).
    const parents = new Map<string, Promise<void>>();
    const parentOf = (dir: string) => {
      const parent = path.dirname(dir);
      const synced = parents.get(parent) ?? fsyncDir(parent);
      parents.set(parent, synced);
      return synced;
    };
    for (const [dir, members] of byDir) {
      syncs.push(
        Promise.all([fsyncDir(dir), durableDirs.has(dir) ? undefined : parentOf(dir)]).then(
          () => markDurable(dir),
          (err) => {
            for (const i of members) failures[i] ??= failureOf(err);
          },
        ),
      );
    }
    await Promise.all(syncs);
    files.forEach(({ file }, i) => {
      if (created[i] && failures[i]) removeQuietly(file);
    });
    return failures;
  };

  parentPort!.on('message', (m: WriteBatch) => {
    void writeBatch(m).then((failures) => parentPort!.postMessage({ seq: m.seq, failures } satisfies BatchAnswer));
  });
}
