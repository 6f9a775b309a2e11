import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeObjectStoreContract } from './contract';
import { InvalidObjectKeyError, ObjectExistsError, StorageUnavailableError } from './errors';
import { AlignedBlockPool } from './direct-io';
import { FsObjectStore } from './fs-store';
import { sha256Hex } from './hashing';
import { createObjectStore } from './index';
import type { SmallFileWriter } from './small-file-writer';

let workDir: string;
let root: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'vetpacs-fs-store-'));
  root = path.join(workDir, 'root');
  await mkdir(root);
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describeObjectStoreContract('fs', () => createObjectStore({ backend: 'fs', root }), {
  leftovers: async () => readdir(path.join(root, '.tmp')).catch(() => []),
  onMemoryReport: (r) => console.info(`[fs] 200 MB ${r.phase}: RSS ${r.baselineMb} → ${r.peakMb} MB (growth ${r.growthMb} MB)`),
});

// The same contract through the page cache (STORAGE_FS_DIRECT_IO=false, and filesystems without O_DIRECT).
describeObjectStoreContract(
  'fs, page cache',
  async () => {
    await mkdir(path.join(root, 'buffered'));
    return createObjectStore({ backend: 'fs', root: path.join(root, 'buffered'), directIo: false });
  },
  { leftovers: async () => readdir(path.join(root, 'buffered', '.tmp')).catch(() => []) },
);

describe('FsObjectStore direct I/O', () => {
  // Around the alignment (4096), the in-memory direct threshold (64 KB), the block (1 MB) and beyond.
  const sizes = [0, 1, 4095, 4096, 65_535, 65_536, 65_537, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 123];

  it.each([
    ['in memory', (b: Buffer) => [b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)]],
    ['streamed', (b: Buffer) => Readable.from([b.subarray(0, 1000), b.subarray(1000)])],
  ] as const)('stores %s bodies of every size byte for byte, unique and replaceable', async (_name, body) => {
    const store = new FsObjectStore(path.join(root, 'direct'));
    await mkdir(store.root, { recursive: true });
    for (const size of sizes) {
      const bytes = randomBytes(size);
      for (const unique of [true, false]) {
        const key = `sizes/${_name.replace(' ', '-')}-${size}-${unique}`;
        const res = await store.put(key, body(bytes), { unique, expectedSha256: sha256Hex([bytes]) });
        expect(res).toMatchObject({ size, sha256: sha256Hex([bytes]) });
        expect((await readFile(path.join(store.root, ...key.split('/')))).equals(bytes)).toBe(true);
      }
    }
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });

  it('fails a direct write the device refuses as retryable, removes it, and writes later puts through the page cache', async () => {
    // Blocks one byte off alignment (their length still a multiple of it): the kernel answers
    // EINVAL, as a device with larger sectors would.
    const misaligned = (x: Buffer) => x.subarray(1, 1 + x.length - 4096);
    class MisalignedPool extends AlignedBlockPool {
      override acquire(): Buffer | Promise<Buffer> {
        const b = super.acquire();
        return b instanceof Promise ? b.then(misaligned) : misaligned(b);
      }
    }
    const store = new FsObjectStore(path.join(root, 'misaligned'), { blockPool: new MisalignedPool(1024 * 1024, 4, 1) });
    await mkdir(store.root);
    const bytes = randomBytes(3_000_000);
    await expect(store.put('m/first', Readable.from([bytes]), { unique: true })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await store.head('m/first')).toBeNull();
    await store.put('m/first', Readable.from([bytes]), { unique: true }); // the caller's retry
    await store.put('m/small', bytes.subarray(0, 200_000), { unique: true });
    expect((await readFile(path.join(store.root, 'm', 'first'))).equals(bytes)).toBe(true);
    expect((await readFile(path.join(store.root, 'm', 'small'))).equals(bytes.subarray(0, 200_000))).toBe(true);
  });

  it('falls back to the page cache on a filesystem that refuses O_DIRECT (tmpfs)', async (ctx) => {
    const shm = await mkdtemp('/dev/shm/vetpacs-fs-store-').catch(() => undefined);
    if (!shm) return ctx.skip();
    try {
      const store = new FsObjectStore(shm);
      for (const size of [100, 200_000, 3_000_000]) {
        const bytes = randomBytes(size);
        await store.put(`a/${size}`, bytes, { unique: true });
        await store.put(`b/${size}`, Readable.from([bytes]));
        expect((await readFile(path.join(shm, 'a', String(size)))).equals(bytes)).toBe(true);
        expect((await readFile(path.join(shm, 'b', String(size)))).equals(bytes)).toBe(true);
      }
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });
});

describe('FsObjectStore specifics', () => {
  it('never writes outside the root, even for keys that look like paths', async () => {
    const store = new FsObjectStore(root);
    const sentinel = path.join(workDir, 'outside.txt');
    await writeFile(sentinel, 'untouched');
    for (const key of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', `..${path.sep}outside.txt`]) {
      await expect(store.put(key, Buffer.from('pwned'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
    expect(await readFile(sentinel, 'utf8')).toBe('untouched');
  });

  it('does not follow symlinks out of the root when listing', async () => {
    const store = new FsObjectStore(root);
    await mkdir(path.join(root, 'links'), { recursive: true });
    await symlink(workDir, path.join(root, 'links', 'escape'));
    await store.put('links/real', Buffer.from('r'));
    const keys: string[] = [];
    for await (const e of store.list('links/')) keys.push(e.key);
    expect(keys).toEqual(['links/real']);
  });

  it('reserves the temp directory name', async () => {
    const store = new FsObjectStore(root);
    await expect(store.put('.tmp/x', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.get('.tmp')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.put('a/.tmp', Buffer.from('x'))).resolves.toMatchObject({ size: 1 }); // only the top level is reserved
  });

  it('reports "a" vs "a/b" conflicts as invalid keys instead of raw errno errors', async () => {
    const store = new FsObjectStore(root);
    await store.put('conflict/file', Buffer.from('f'));
    await expect(store.put('conflict/file/child', Buffer.from('c'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await store.put('conflict2/dir/child', Buffer.from('c'));
    await expect(store.put('conflict2/dir', Buffer.from('d'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(await store.head('conflict2/dir')).toBeNull();
    await expect(store.delete('conflict2/dir')).resolves.toBeUndefined();
    expect((await store.head('conflict2/dir/child'))?.size).toBe(1);
  });

  it('prunes directories emptied by delete', async () => {
    const store = new FsObjectStore(root);
    await store.put('prune/deep/er/obj', Buffer.from('x'));
    await store.put('prune/keep', Buffer.from('y'));
    await store.delete('prune/deep/er/obj');
    await expect(stat(path.join(root, 'prune', 'deep'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(path.join(root, 'prune', 'keep'))).isFile()).toBe(true);
  });

  it("a unique put of a body in memory returns the caller's hash of those buffers instead of hashing again", async () => {
    const store = new FsObjectStore(root);
    const chunks = [Buffer.from('first part '), Buffer.from('second part')];
    // A value the bytes do not hash to: only the caller's hint can produce it.
    const hint = 'f'.repeat(64);
    expect(await store.put('known/hinted', chunks, { unique: true, knownSha256: hint })).toMatchObject({ sha256: hint, size: 22 });
    expect(await readFile(path.join(root, 'known', 'hinted'), 'utf8')).toBe('first part second part');
    // Without the hint, the store hashes.
    expect((await store.put('known/plain', chunks, { unique: true })).sha256).toBe(sha256Hex(chunks));
  });

  it('unique puts refuse an existing key without touching it, and recreate a shard directory pruned under them', async () => {
    const store = new FsObjectStore(root);
    await store.put('uniq/shard/a', Buffer.from('first'), { unique: true });
    await expect(store.put('uniq/shard/a', Buffer.from('second'), { unique: true })).rejects.toBeInstanceOf(ObjectExistsError);
    expect(await readFile(path.join(root, 'uniq', 'shard', 'a'), 'utf8')).toBe('first');
    // The store remembers directories it made; a delete that empties one prunes it.
    await store.delete('uniq/shard/a');
    await expect(stat(path.join(root, 'uniq'))).rejects.toMatchObject({ code: 'ENOENT' });
    await store.put('uniq/shard/b', Buffer.from('b'), { unique: true });
    expect(await readFile(path.join(root, 'uniq', 'shard', 'b'), 'utf8')).toBe('b');
    // Another process pruning it (not through this store) is handled the same way.
    await rm(path.join(root, 'uniq'), { recursive: true });
    await store.put('uniq/shard/c', Buffer.from('c'), { unique: true });
    await store.put('uniq/shard/d', Buffer.from('d'));
    expect((await readdir(path.join(root, 'uniq', 'shard'))).sort()).toEqual(['c', 'd']);
  });

  it('a small put whose writer thread dies after creating the file fails and leaves no object', async () => {
    // A writer that creates the file, then fails the way a crashed thread does (no errno code).
    const dying = {
      write: async ({ file }: { file: string }) => {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, 'partial');
        throw new Error('file writer thread failed: exited with code 1');
      },
    } as unknown as SmallFileWriter;
    const store = new FsObjectStore(root, { smallFiles: dying });
    await expect(store.put('dying/shard/x', Buffer.from('whole object'), { unique: true })).rejects.toThrow(/writer thread failed/);
    await expect(stat(path.join(root, 'dying', 'shard', 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await store.head('dying/shard/x')).toBeNull();
  });

  it('ping fails readably, and nothing is created, when the root is missing', async () => {
    const missing = path.join(workDir, 'not-mounted');
    const store = new FsObjectStore(missing);
    await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.ping()).rejects.toThrow(/not-mounted is not usable/);
    await expect(store.put('a', Buffer.from('x'))).rejects.toThrow();
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
