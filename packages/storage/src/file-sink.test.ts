import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BatchedFileSink, skipBytes } from './file-sink';
import { randomChunks as chunked } from './test-support';


describe('BatchedFileSink', () => {
  it('writes the exact bytes across several batches and fsyncs once at the end', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'file-sink-'));
    try {
      const { bytes, chunks } = chunked(3_500_000, 70_000);
      const fh = await open(path.join(dir, 'f'), 'wx');
      const writes: number[] = [];
      let syncs = 0;
      const spy = new Proxy(fh, {
        get(target, prop) {
          if (prop === 'writev') return (bufs: Buffer[], pos: number) => (writes.push(bufs.length), target.writev(bufs, pos));
          if (prop === 'sync') return () => (syncs++, target.sync());
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      await pipeline(Readable.from(chunks), new BatchedFileSink(spy as FileHandle, 1024 * 1024));
      await fh.close();
      expect((await readFile(path.join(dir, 'f'))).equals(bytes)).toBe(true);
      expect(writes.length).toBe(4); // 3.5 MB in ~1 MB batches, not one write per chunk
      expect(syncs).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('continues after short writes without losing or repeating a byte', async () => {
    const { bytes, chunks } = chunked(300_000, 5_000);
    const file = Buffer.alloc(bytes.length);
    // A file that accepts at most 777 bytes per writev call.
    const fake = {
      async writev(bufs: Buffer[], pos: number) {
        const all = Buffer.concat(bufs);
        const n = Math.min(777, all.length);
        all.copy(file, pos, 0, n);
        return { bytesWritten: n, buffers: bufs };
      },
      async sync() {},
    } as unknown as FileHandle;
    await pipeline(Readable.from(chunks), new BatchedFileSink(fake, 64 * 1024));
    expect(file.equals(bytes)).toBe(true);
  });

  it('keeps up to maxInFlight batches writing at once, and fsyncs after the last has finished', async () => {
    const { bytes, chunks } = chunked(6 * 65_536, 65_536);
    const file = Buffer.alloc(bytes.length);
    const held: (() => void)[] = [];
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    // Each write completes only when the test releases it; the file is filled at its own offset.
    const fake = {
      writev(bufs: Buffer[], pos: number) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        return new Promise((resolve) => {
          held.push(() => {
            const all = Buffer.concat(bufs);
            all.copy(file, pos);
            running--;
            log.push(`write@${pos}`);
            resolve({ bytesWritten: all.length, buffers: bufs });
          });
        });
      },
      async sync() {
        log.push(`sync with ${running} running`);
      },
    } as unknown as FileHandle;
    const done = pipeline(Readable.from(chunks), new BatchedFileSink(fake, 65_536, 3));
    const tick = () => new Promise((r) => setImmediate(r));
    for (let i = 0; i < 10; i++) await tick();
    expect(running).toBe(3); // three batches written at once, the rest waits for a slot
    while (held.length || running) {
      // Release the newest first: completion order must not matter.
      held.pop()?.();
      await tick();
    }
    await done;
    expect(maxRunning).toBe(3);
    expect(file.equals(bytes)).toBe(true);
    expect(log.filter((l) => l.startsWith('write'))).toHaveLength(6);
    expect(log.at(-1)).toBe('sync with 0 running');
  });

  it('fails the pipeline and never fsyncs when one of several concurrent writes fails', async () => {
    let call = 0;
    let synced = false;
    const fake = {
      async writev(bufs: Buffer[]) {
        if (++call === 2) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
        await new Promise((r) => setImmediate(r));
        return { bytesWritten: bufs.reduce((n, b) => n + b.length, 0), buffers: bufs };
      },
      async sync() {
        synced = true;
      },
    } as unknown as FileHandle;
    const { chunks } = chunked(8 * 65_536, 65_536);
    await expect(pipeline(Readable.from(chunks), new BatchedFileSink(fake, 65_536, 4))).rejects.toThrow(/input\/output/);
    expect(synced).toBe(false);
  });

  it('never fsyncs when a batch failed after its _write had returned and nothing else is in flight', async () => {
    let synced = false;
    const fake = {
      async writev() {
        throw Object.assign(new Error('input/output error'), { code: 'EIO' });
      },
      async sync() {
        synced = true;
      },
    } as unknown as FileHandle;
    // Exactly one batch: it starts in _write and has failed before the source ends, so _final
    // has nothing left to write or wait for.
    async function* source() {
      yield randomBytes(65_536);
      await new Promise((r) => setImmediate(r));
    }
    await expect(pipeline(Readable.from(source()), new BatchedFileSink(fake, 65_536))).rejects.toThrow(/input\/output/);
    expect(synced).toBe(false);
  });

  it('fails the pipeline when a write fails', async () => {
    const fake = {
      async writev() {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
      async sync() {},
    } as unknown as FileHandle;
    await expect(pipeline(Readable.from([randomBytes(10)]), new BatchedFileSink(fake))).rejects.toThrow(/no space/);
  });
});

describe('skipBytes', () => {
  it('drops whole chunks and cuts into the first one left, after a short write', () => {
    const chunks = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fghi')];
    const rest = (n: number) => Buffer.concat(skipBytes(chunks, n)).toString();
    expect(rest(0)).toBe('abcdefghi');
    expect(rest(2)).toBe('cdefghi');
    expect(rest(3)).toBe('defghi');
    expect(rest(6)).toBe('ghi');
    expect(rest(9)).toBe('');
    expect(skipBytes(chunks, 4)[0]!.toString()).toBe('e');
  });
});
