import { EvalWorker } from './eval-worker';

type HashQuestion = Record<string, unknown>;
type HashWorker = EvalWorker<HashQuestion, { seq: number; hex?: string }>;

/**
 * SHA-256 of streamed objects, computed on a worker thread from the shared, aligned blocks the
 * direct-I/O sink writes from (direct-io.ts), so the bytes are neither copied nor hashed on the
 * server's one JavaScript thread.
 *
 * Why: hashing is ~0.6 ms per MB, a quarter of the main thread's time on radiographs (skipping it
 * altogether took 970 MB at c4 from 292–405 to 499–532 MB/s). On the worker, the benchmark's
 * radiographs at c4 went 314–366 → 348–403 MB/s, ahead in six of six alternating rounds; total CPU
 * is unchanged, the hashing only leaves the thread that parses requests (docs/benchmarks.md, "Ingest").
 * The worker takes one message per ~1 MB block and answers when it has read it, after which the
 * block may be reused. Blocks of one object are posted in order, and a worker handles its messages
 * in order, so the digest is of the object's bytes in order.
 */
export class BlockHasher {
  #worker: HashWorker | undefined;
  readonly #waiting = new Map<number, { resolve: (hex: string) => void; reject: (err: Error) => void }>();
  readonly #arenas = new Map<SharedArrayBuffer, number>();
  #seq = 0;
  #streams = 0;
  /** Which worker each open stream's state lives in: a stream never continues on a new worker. */
  readonly #streamWorker = new Map<number, HashWorker>();

  /** A new hash stream; feed it with {@link update}, end it with {@link digest} or {@link drop}. */
  open(): number {
    const stream = ++this.#streams;
    this.#streamWorker.set(stream, this.#ensureWorker());
    return stream;
  }

  /** Hashes `length` bytes at the start of `block` (a view of a SharedArrayBuffer); resolves once read. */
  async update(stream: number, block: Buffer, length: number): Promise<void> {
    const sab = block.buffer as SharedArrayBuffer;
    const worker = this.#workerOf(stream);
    let arena = this.#arenas.get(sab);
    if (arena === undefined) {
      arena = this.#arenas.size;
      this.#arenas.set(sab, arena);
      worker.tell({ op: 'arena', arena, sab });
    }
    await this.#call({ op: 'update', stream, arena, offset: block.byteOffset, length }, worker);
  }

  /** The stream's SHA-256 (lowercase hex); the stream is closed. */
  async digest(stream: number): Promise<string> {
    const worker = this.#workerOf(stream);
    this.#streamWorker.delete(stream);
    return this.#call({ op: 'digest', stream }, worker);
  }

  /** Forgets a stream that will not be finished (a failed put). */
  drop(stream: number): void {
    if (this.#streamWorker.get(stream) === this.#worker) this.#worker?.tell({ op: 'drop', stream });
    this.#streamWorker.delete(stream);
  }

  /**
   * The worker holding `stream`'s state. If that worker has died, the hash of what it already read
   * is gone: the put must fail (and be retried), never report the digest of only part of the bytes.
   */
  #workerOf(stream: number): HashWorker {
    const worker = this.#streamWorker.get(stream);
    if (!worker || worker !== this.#worker) throw new Error('the hash worker restarted while this object was being written: write it again');
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#arenas.clear();
    this.#streamWorker.clear();
    await worker?.terminate();
  }

  #call(msg: HashQuestion, worker: HashWorker): Promise<string> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      worker.ask({ ...msg, seq });
    });
  }

  #ensureWorker(): HashWorker {
    if (this.#worker) return this.#worker;
    const worker: HashWorker = new EvalWorker(
      hashWorkerMain,
      (m) => {
        const w = this.#waiting.get(m.seq);
        this.#waiting.delete(m.seq);
        w?.resolve(m.hex ?? '');
      },
      // A worker that dies fails what it was asked; the next call starts a new one.
      (err) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#arenas.clear();
        }
        for (const w of this.#waiting.values()) w.reject(new Error(`hash worker failed: ${err.message}`));
        this.#waiting.clear();
      },
    );
    this.#worker = worker;
    return worker;
  }
}

/** The hash worker's body, run from its source text (see EvalWorker). */
function hashWorkerMain(): void {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const arenas = new Map<number, SharedArrayBuffer>();
  const hashes = new Map<number, ReturnType<typeof createHash>>();
  parentPort!.on('message', (m: { op: string; seq: number; stream: number; arena: number; sab: SharedArrayBuffer; offset: number; length: number }) => {
    if (m.op === 'arena') {
      arenas.set(m.arena, m.sab);
    } else if (m.op === 'update') {
      let hash = hashes.get(m.stream);
      if (!hash) {
        hash = createHash('sha256');
        hashes.set(m.stream, hash);
      }
      hash.update(new Uint8Array(arenas.get(m.arena)!, m.offset, m.length));
      parentPort!.postMessage({ seq: m.seq });
    } else if (m.op === 'digest') {
      const hash = hashes.get(m.stream) ?? createHash('sha256');
      hashes.delete(m.stream);
      parentPort!.postMessage({ seq: m.seq, hex: hash.digest('hex') });
    } else if (m.op === 'drop') {
      hashes.delete(m.stream);
    }
  });
}

/** The process's hasher, shared by every direct write. */
export const sharedBlockHasher = new BlockHasher();
