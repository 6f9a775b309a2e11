import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeObjectStoreContract } from './contract';
import { InvalidObjectKeyError, ObjectExistsError, StorageUnavailableError } from './errors';
import { FsObjectStore } from './fs-store';
import { createObjectStore } from './index';

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

  it('ping fails readably, and nothing is created, when the root is missing', async () => {
    const missing = path.join(workDir, 'not-mounted');
    const store = new FsObjectStore(missing);
    await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.ping()).rejects.toThrow(/not-mounted is not usable/);
    await expect(store.put('a', Buffer.from('x'))).rejects.toThrow();
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
