import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockHasher } from './block-hasher';
import { AlignedBlockPool, DIRECT_CREATE_FLAGS, type DirectFile, DirectFileSink } from './direct-io';
import { SizeExceededError, sha256Hex } from './hashing';
import { randomChunks as chunked } from './test-support';

const BLOCK = 64 * 1024;

/** An in-memory file that records its calls; writes finish when `hold` lets them. */
function fakeFile(opts: { failWrite?: number; hold?: boolean } = {}) {
  let data = Buffer.alloc(0);
  const log: string[] = [];
  const held: (() => void)[] = [];
  let writes = 0;
  let running = 0;
  let maxRunning = 0;
  const file: DirectFile = {
    write(buffer: Buffer, offset: number, length: number, position: number) {
      const n = ++writes;
      running++;
      maxRunning = Math.max(maxRunning, running);
      const bytes = Buffer.from(buffer.subarray(offset, offset + length)); // what the kernel would take now
      return new Promise((resolve, reject) => {
        const finish = () => {
          running--;
          if (n === opts.failWrite) return reject(Object.assign(new Error('input/output error'), { code: 'EIO' }));
          if (data.length < position + length) data = Buffer.concat([data, Buffer.alloc(position + length - data.length)]);
          bytes.copy(data, position);
          log.push(`write ${length}@${position}`);
          resolve({ bytesWritten: length, buffer });
        };
        if (opts.hold) held.push(finish);
        else setImmediate(finish);
      });
    },
    async truncate(len?: number) {
      data = data.subarray(0, len);
      log.push(`truncate ${len}`);
    },
    async sync() {
      log.push(`sync with ${running} running`);
    },
  } as unknown as DirectFile;
  return { file, log, held, data: () => data, maxRunning: () => maxRunning, running: () => running };
}

/** The sinks' hash worker (every DirectFileSink hashes what it writes). */
const hasher = new BlockHasher();
afterAll(() => hasher.close());

/** `total` random bytes in chunks of up to `maxChunk`, written through a sink onto a fake file with a one-arena pool. */
async function sinkThrough(total: number, maxChunk: number) {
  const pool = new AlignedBlockPool(BLOCK, 4, 1);
  const { bytes, chunks } = chunked(total, maxChunk);
  const fake = fakeFile();
  const sink = new DirectFileSink(fake.file, { hasher }, pool);
  await pipeline(Readable.from(chunks.length ? chunks : [Buffer.alloc(0)]), sink);
  return { pool, bytes, fake, sink };
}

describe('DirectFileSink', () => {
  it('writes aligned blocks, the last one zero-padded, then truncates to the size and fsyncs once', async () => {
    const { pool, bytes, fake } = await sinkThrough(3 * BLOCK + 1000, 9_000);
    expect(fake.data().equals(bytes)).toBe(true);
    expect(fake.log.filter((l) => l.startsWith('write'))).toEqual([`write ${BLOCK}@0`, `write ${BLOCK}@${BLOCK}`, `write ${BLOCK}@${2 * BLOCK}`, `write 4096@${3 * BLOCK}`]);
    expect(fake.log.slice(-2)).toEqual([`truncate ${bytes.length}`, 'sync with 0 running']);
    expect(pool.inUse).toBe(0);
  });

  it('skips the truncate when the size is already aligned', async () => {
    const { bytes, fake } = await sinkThrough(2 * BLOCK + 8192, 20_000);
    expect(fake.data().equals(bytes)).toBe(true);
    expect(fake.log.some((l) => l.startsWith('truncate'))).toBe(false);
  });

  it('keeps up to maxInFlight blocks writing, in any completion order, and fsyncs after the last', async () => {
    const pool = new AlignedBlockPool(BLOCK, 8, 1);
    const { bytes, chunks } = chunked(6 * BLOCK, BLOCK);
    const fake = fakeFile({ hold: true });
    const done = pipeline(Readable.from(chunks), new DirectFileSink(fake.file, { hasher }, pool, 3));
    const tick = () => new Promise((r) => setImmediate(r));
    for (let i = 0; i < 10; i++) await tick();
    expect(fake.running()).toBe(3);
    // Release writes as they come (newest first) until the sink has finished: a block's next write
    // starts only after the hash worker has answered for an earlier one.
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    while (!finished) {
      fake.held.pop()?.();
      await tick();
    }
    await done;
    expect(fake.maxRunning()).toBe(3);
    expect(fake.data().equals(bytes)).toBe(true);
    expect(fake.log.at(-1)).toBe('sync with 0 running');
    expect(pool.inUse).toBe(0);
  });

  it('waits for a free block when the pool is exhausted instead of failing', async () => {
    const pool = new AlignedBlockPool(BLOCK, 2, 1); // two blocks for two sinks of four blocks each
    const a = chunked(4 * BLOCK, 30_000);
    const b = chunked(4 * BLOCK + 77, 30_000);
    const fa = fakeFile();
    const fb = fakeFile();
    await Promise.all([
      pipeline(Readable.from(a.chunks), new DirectFileSink(fa.file, { hasher }, pool)),
      pipeline(Readable.from(b.chunks), new DirectFileSink(fb.file, { hasher }, pool)),
    ]);
    expect(fa.data().equals(a.bytes)).toBe(true);
    expect(fb.data().equals(b.bytes)).toBe(true);
    expect(pool.inUse).toBe(0);
  });

  it('fails, never fsyncs, and returns its blocks when a write fails (also the last one)', async () => {
    for (const failWrite of [2, 4]) {
      const pool = new AlignedBlockPool(BLOCK, 8, 1);
      const fake = fakeFile({ failWrite });
      const { chunks } = chunked(3 * BLOCK + 10, 40_000); // four writes, the last after _final starts
      await expect(pipeline(Readable.from(chunks), new DirectFileSink(fake.file, { hasher }, pool))).rejects.toThrow(/input\/output/);
      expect(fake.log.some((l) => l.startsWith('sync'))).toBe(false);
      // A block comes back once its write and its hashing (on the hash worker: an answer that may
      // come late on a loaded machine) have settled.
      await vi.waitFor(() => expect(pool.inUse).toBe(0), { timeout: 10_000 });
    }
  });

  it('never fsyncs when a block failed after its _write had returned and nothing else is in flight', async () => {
    const pool = new AlignedBlockPool(BLOCK, 4, 1);
    const fake = fakeFile({ failWrite: 2 });
    async function* source() {
      yield randomBytes(2 * BLOCK); // two full blocks, written from _write
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // both settle before the end
    }
    await expect(pipeline(Readable.from(source()), new DirectFileSink(fake.file, { hasher }, pool))).rejects.toThrow(/input\/output/);
    expect(fake.log.some((l) => l.startsWith('sync') || l.startsWith('truncate'))).toBe(false);
    await vi.waitFor(() => expect(pool.inUse).toBe(0), { timeout: 10_000 });
  });

  it('returns the block being filled when the source fails', async () => {
    const pool = new AlignedBlockPool(BLOCK, 4, 1);
    const fake = fakeFile();
    async function* source() {
      yield randomBytes(1000);
      throw new Error('client went away');
    }
    await expect(pipeline(Readable.from(source()), new DirectFileSink(fake.file, { hasher }, pool))).rejects.toThrow(/went away/);
    expect(pool.inUse).toBe(0);
  });
});

describe('DirectFileSink with hashing on the hash worker', () => {
  it('reports the size and the SHA-256 of exactly the bytes received (not the padding), for any size', async () => {
    for (const total of [0, 1, 4096, BLOCK - 1, BLOCK, 3 * BLOCK + 1000]) {
      const { pool, bytes, fake, sink } = await sinkThrough(total, 9_000);
      expect(sink.result).toEqual({ size: total, sha256: sha256Hex(bytes) });
      expect(fake.data().equals(bytes)).toBe(true);
      expect(pool.inUse).toBe(0);
    }
  });

  it('hashes concurrent objects independently', async () => {
    const pool = new AlignedBlockPool(BLOCK, 4, 1); // fewer blocks than the two objects need at once
    const objects = [chunked(5 * BLOCK + 17, 30_000), chunked(4 * BLOCK + 4096, 20_000), chunked(777, 100)];
    const sinks = objects.map(() => new DirectFileSink(fakeFile().file, { hasher }, pool));
    await Promise.all(objects.map((o, i) => pipeline(Readable.from(o.chunks), sinks[i]!)));
    expect(sinks.map((sink) => sink.result.sha256)).toEqual(objects.map((o) => sha256Hex(o.bytes)));
  });

  it('fails with SizeExceededError as soon as more than maxBytes arrive', async () => {
    const pool = new AlignedBlockPool(BLOCK, 4, 1);
    const fake = fakeFile();
    const { chunks } = chunked(3 * BLOCK, 20_000);
    await expect(pipeline(Readable.from(chunks), new DirectFileSink(fake.file, { hasher, maxBytes: BLOCK + 5 }, pool))).rejects.toBeInstanceOf(SizeExceededError);
    expect(fake.log.some((l) => l.startsWith('sync'))).toBe(false);
    // Every block comes back once its write and its hashing have settled.
    await vi.waitFor(() => expect(pool.inUse).toBe(0), { timeout: 10_000 });
  });
});

describe('direct I/O on this machine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'direct-io-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes pool blocks through O_DIRECT (the kernel accepts their alignment) with the exact bytes', async (ctx) => {
    const file = path.join(dir, 'f');
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(file, DIRECT_CREATE_FLAGS, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return ctx.skip(); // a tmpdir without O_DIRECT (tmpfs)
      throw err;
    }
    const { bytes, chunks } = chunked(5 * BLOCK + 4321, 65_536);
    try {
      await pipeline(Readable.from(chunks), new DirectFileSink(fh, { hasher }, new AlignedBlockPool(BLOCK, 4, 1)));
    } finally {
      await fh.close();
    }
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });
});

describe('BlockHasher', () => {
  it('fails a stream whose worker died instead of digesting only the bytes the new worker saw', async () => {
    const hasher = new BlockHasher();
    const pool = new AlignedBlockPool(BLOCK, 4, 1);
    const block = pool.acquire() as Buffer;
    try {
      block.fill(7);
      const stream = hasher.open();
      await hasher.update(stream, block, BLOCK);
      await hasher.close(); // the worker goes away with the stream's state
      await expect(hasher.update(stream, block, BLOCK)).rejects.toThrow(/restarted/);
      await expect(hasher.digest(stream)).rejects.toThrow(/restarted/);
      // A new stream works on a new worker.
      const next = hasher.open();
      await hasher.update(next, block, 100);
      expect(await hasher.digest(next)).toBe(sha256Hex(block.subarray(0, 100)));
    } finally {
      pool.release(block);
      await hasher.close();
    }
  });
});
