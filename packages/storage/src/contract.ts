import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectExistsError,
  ObjectIntegrityError,
  ObjectNotFoundError,
} from './errors';
import { hashStream, patternBytes, patternStream, sampleRss } from './test-support';
import type { ObjectStore } from './types';

/** Backend-specific hooks for {@link describeObjectStoreContract}. */
export interface ContractOptions {
  /** Lists temp artifacts (fs: files in `.tmp`) that must be gone after a failed put. */
  leftovers?: () => Promise<string[]>;
  /** Receives the RSS figures of the 200 MB test (for reporting). */
  onMemoryReport?: (report: { phase: 'put' | 'get'; baselineMb: number; peakMb: number; growthMb: number }) => void;
}

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The behaviour every {@link ObjectStore} backend must show, as one vitest suite. Each backend's
 * integration test calls this with a factory for a fresh store; services can then rely on the
 * interface without caring which backend runs underneath.
 */
export function describeObjectStoreContract(
  name: string,
  makeStore: () => ObjectStore | Promise<ObjectStore>,
  options: ContractOptions = {},
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    // Every test writes under its own folder, so tests never see each other's objects.
    const ns = (label: string) => `contract/${label}-${randomUUID().slice(0, 8)}`;
    const read = async (key: string) => Buffer.concat(await (await store.get(key)).body.toArray());
    const expectNoLeftovers = async () => {
      if (options.leftovers) expect(await options.leftovers()).toEqual([]);
    };

    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it('is reachable (ping)', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('round-trips a Buffer with a SHA-256 equal to an independent hash', async () => {
      const key = `${ns('buf')}/obj.bin`;
      const data = patternBytes(100_003);
      const res = await store.put(key, data, { contentType: 'application/dicom' });
      expect(res).toEqual({ key, size: data.length, sha256: sha256(data) });
      const got = await store.get(key);
      expect(got.size).toBe(data.length);
      expect(got.contentLength).toBe(data.length);
      expect(Buffer.concat(await got.body.toArray()).equals(data)).toBe(true);
      const head = await store.head(key);
      expect(head?.size).toBe(data.length);
      expect(head?.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(head!.lastModified!.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('round-trips an object given as its chunks (plain and unique puts), with the same hash as joined', async () => {
      const data = patternBytes(300_007);
      const chunks = [data.subarray(0, 65_536), data.subarray(65_536, 65_536), data.subarray(65_536, 200_000), data.subarray(200_000)];
      for (const unique of [false, true]) {
        const key = `${ns(`chunks-${unique}`)}/obj.bin`;
        const res = await store.put(key, chunks, { unique, expectedSize: data.length, expectedSha256: sha256(data) });
        expect(res).toEqual({ key, size: data.length, sha256: sha256(data) });
        expect((await read(key)).equals(data)).toBe(true);
      }
    });

    it('round-trips a multi-part stream of unknown length (crosses the 8 MiB part size)', async () => {
      const key = `${ns('stream')}/obj.bin`;
      const src = patternStream(17 * MiB + 12_345, { chunkSize: 100_000 });
      const res = await store.put(key, src.stream);
      const produced = await src.produced;
      expect(res.size).toBe(produced.size);
      expect(res.sha256).toBe(produced.sha256);
      expect(await hashStream((await store.get(key)).body)).toEqual(produced);
    });

    it('stores an empty object', async () => {
      const key = `${ns('empty')}/zero`;
      const res = await store.put(key, Readable.from([]));
      expect(res).toEqual({ key, size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await read(key)).length).toBe(0);
      expect((await store.head(key))?.size).toBe(0);
    });

    it('serves byte ranges like HTTP Range (inclusive end, clamped)', async () => {
      const key = `${ns('range')}/obj`;
      const data = patternBytes(1000);
      await store.put(key, data);
      const range = async (start: number, end?: number) => {
        const r = await store.get(key, { range: { start, end } });
        return { bytes: Buffer.concat(await r.body.toArray()), size: r.size, contentLength: r.contentLength };
      };
      expect(await range(990)).toEqual({ bytes: data.subarray(990), size: 1000, contentLength: 10 });
      expect(await range(10, 19)).toEqual({ bytes: data.subarray(10, 20), size: 1000, contentLength: 10 });
      expect(await range(5, 5)).toEqual({ bytes: data.subarray(5, 6), size: 1000, contentLength: 1 });
      expect(await range(999, 999)).toEqual({ bytes: data.subarray(999), size: 1000, contentLength: 1 });
      expect(await range(0)).toEqual({ bytes: data, size: 1000, contentLength: 1000 });
      expect(await range(995, 5000)).toEqual({ bytes: data.subarray(995), size: 1000, contentLength: 5 });
      await expect(store.get(key, { range: { start: 1000 } })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.get(key, { range: { start: 10, end: 5 } })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.get(key, { range: { start: -1 } })).rejects.toBeInstanceOf(InvalidRangeError);

      expect((await store.getRange(key, 128, 16)).equals(data.subarray(128, 144))).toBe(true);
      expect((await store.getRange(key, 996, 16)).equals(data.subarray(996))).toBe(true);
      expect((await store.getRange(key, 0, 0)).length).toBe(0);
    });

    it('reads into a caller buffer from a position, stopping at the end of the object or of the buffer', async () => {
      const dir = ns('into');
      const key = `${dir}/obj`;
      const data = patternBytes(300_000); // several 64 KiB chunks on any transport
      await store.put(key, data);
      const whole = Buffer.alloc(300_000);
      expect(await store.readInto(key, whole)).toBe(300_000);
      expect(whole.equals(data)).toBe(true);
      const mid = Buffer.alloc(16);
      expect(await store.readInto(key, mid, 128)).toBe(16);
      expect(mid.equals(data.subarray(128, 144))).toBe(true);
      const tail = Buffer.alloc(100).fill(7);
      expect(await store.readInto(key, tail, 299_990)).toBe(10);
      expect(tail.subarray(0, 10).equals(data.subarray(299_990))).toBe(true);
      expect(tail[10]).toBe(7); // nothing written past what was read
      await expect(store.readInto(key, Buffer.alloc(4), 300_000)).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.readInto(key, Buffer.alloc(4), -1)).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.readInto(`${dir}/missing`, Buffer.alloc(4))).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.readInto(dir, Buffer.alloc(4))).rejects.toBeInstanceOf(ObjectNotFoundError); // a "directory" of keys
    });

    it('treats a missing key as missing: get throws, head is null, delete is idempotent', async () => {
      const key = `${ns('missing')}/nope`;
      const err = await store.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as ObjectNotFoundError).key).toBe(key);
      await expect(store.get(key, { range: { start: 0, end: 1 } })).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.getRange(key, 0, 10)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.getRange(key, 0, 0)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head(key)).toBeNull();
      await expect(store.delete(key)).resolves.toBeUndefined();

      await store.put(key, Buffer.from('x'));
      await store.delete(key);
      await store.delete(key);
      expect(await store.head(key)).toBeNull();
      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('overwrites: the second put wins completely (no tail of the longer first object)', async () => {
      const key = `${ns('overwrite')}/obj`;
      await store.put(key, patternBytes(50_000));
      const second = Buffer.from('short second version');
      const res = await store.put(key, second);
      expect(res.size).toBe(second.length);
      expect((await read(key)).equals(second)).toBe(true);
      expect((await store.head(key))?.size).toBe(second.length);
    });

    it('lists by string prefix, returning keys as given and their sizes', async () => {
      const base = ns('list');
      const keys = [`${base}/a`, `${base}/b/c.dcm`, `${base}/b/d/e.dcm`, `${base}x/other`, `${base}/ü and space.dcm`];
      for (const [i, k] of keys.entries()) await store.put(k, Buffer.alloc(i + 1, 1));
      const list = async (prefix: string) => {
        const out: Record<string, number> = {};
        for await (const e of store.list(prefix)) out[e.key] = e.size;
        return out;
      };
      expect(await list(`${base}/`)).toEqual({ [keys[0]!]: 1, [keys[1]!]: 2, [keys[2]!]: 3, [keys[4]!]: 5 });
      expect(await list(`${base}/b/`)).toEqual({ [keys[1]!]: 2, [keys[2]!]: 3 });
      // A partial last segment matches like S3: "<base>" also covers "<base>x/…".
      expect(Object.keys(await list(base)).sort()).toEqual([...keys].sort());
      expect(await list(`${base}/b/c`)).toEqual({ [keys[1]!]: 2 });
      expect(await list(`${base}/nothing/`)).toEqual({});
      expect(await list('')).toHaveProperty([keys[0]!], 1);
    });

    it('lists more than 1000 keys (one S3 page) completely', async () => {
      const base = ns('many');
      const count = 1100;
      const keys = Array.from({ length: count }, (_, i) => `${base}/k${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 25) {
        await Promise.all(keys.slice(i, i + 25).map((k) => store.put(k, Buffer.from(k.slice(-4)))));
      }
      const seen = new Set<string>();
      for await (const e of store.list(`${base}/`)) {
        expect(e.size).toBe(4);
        seen.add(e.key);
      }
      expect(seen.size).toBe(count);
      expect([...seen].sort()).toEqual(keys);
    });

    it('rejects invalid keys before any I/O', async () => {
      const bad = ['../x', '/abs', 'a/../../b', 'a\0b', 'a\\b', '', 'a//b', 'a/', './a', 'a/./b', 'x\ny', 'é'.repeat(513)];
      for (const key of bad) {
        await expect(store.put(key, Buffer.from('x')), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.head(key), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.delete(key), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.getRange(key, 0, 1), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.readInto(key, Buffer.alloc(1)), key).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
      for (const prefix of ['../', '/abs', 'a/../', 'a\\']) {
        await expect(consume(store.list(prefix)), prefix).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
    });

    it('leaves no object and no temp file when the source fails midway (small and multipart)', async () => {
      for (const [label, total, failAfter] of [
        ['small', 4 * MiB, 1 * MiB],
        ['multipart', 40 * MiB, 20 * MiB],
      ] as const) {
        const key = `${ns(`fail-${label}`)}/obj`;
        const src = patternStream(total, { failAfter });
        await expect(store.put(key, src.stream)).rejects.toThrow(/fixture source failed/);
        expect(await store.head(key)).toBeNull();
        await expect(consume(store.list(key))).resolves.toEqual([]);
      }
      await expectNoLeftovers();
    });

    it('keeps the previous object intact when an overwrite fails', async () => {
      const key = `${ns('fail-overwrite')}/obj`;
      const original = patternBytes(10_000);
      await store.put(key, original);
      await expect(store.put(key, patternStream(20 * MiB, { failAfter: 9 * MiB }).stream)).rejects.toThrow();
      expect((await read(key)).equals(original)).toBe(true);
      await expectNoLeftovers();
    });

    it('verifies expectedSize / expectedSha256 before publishing anything', async () => {
      const key = `${ns('integrity')}/obj`;
      const original = Buffer.from('original');
      await store.put(key, original);
      const data = patternBytes(9 * MiB + 7);
      const wrongSha = sha256(Buffer.from('something else'));
      await expect(store.put(key, data, { expectedSha256: wrongSha })).rejects.toBeInstanceOf(ObjectIntegrityError);
      await expect(store.put(key, data, { expectedSize: data.length + 1 })).rejects.toBeInstanceOf(ObjectIntegrityError);
      await expect(
        store.put(key, patternStream(data.length).stream, { expectedSize: 1000 }),
      ).rejects.toBeInstanceOf(ObjectIntegrityError);
      expect((await read(key)).equals(original)).toBe(true);
      await expectNoLeftovers();

      const ok = await store.put(key, data, { expectedSize: data.length, expectedSha256: sha256(data).toUpperCase() });
      expect(ok.sha256).toBe(sha256(data));
      await expect(store.put(key, data, { expectedSha256: 'abc' })).rejects.toThrow(TypeError);
    });

    it('ifNoneMatch refuses to overwrite and creates when absent', async () => {
      const key = `${ns('inm')}/obj`;
      await store.put(key, Buffer.from('first'), { ifNoneMatch: true });
      await expect(store.put(key, Buffer.from('second'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ObjectExistsError);
      expect((await read(key)).toString()).toBe('first');
    });

    it('unique puts (new keys written in place) round-trip and leave nothing when the source fails', async () => {
      const key = `${ns('unique')}/obj`;
      const data = patternBytes(3 * MiB + 5);
      const put = await store.put(key, data, { unique: true });
      expect(put.sha256).toBe(sha256(data));
      expect((await read(key)).equals(data)).toBe(true);
      const failing = `${ns('unique-fail')}/obj`;
      await expect(store.put(failing, patternStream(4 * MiB, { failAfter: 1 * MiB }).stream, { unique: true })).rejects.toThrow(/fixture source failed/);
      expect(await store.head(failing)).toBeNull();
      const wrong = `${ns('unique-integrity')}/obj`;
      await expect(store.put(wrong, data, { unique: true, expectedSize: 1 })).rejects.toBeInstanceOf(ObjectIntegrityError);
      expect(await store.head(wrong)).toBeNull();
      await expectNoLeftovers();
    });

    it('stops and cleans up when the signal aborts mid-stream', async () => {
      const key = `${ns('abort')}/obj`;
      const ac = new AbortController();
      const src = patternStream(500 * MiB, {
        onProgress: (n) => {
          if (n >= 12 * MiB && !ac.signal.aborted) ac.abort();
        },
      });
      await expect(store.put(key, src.stream, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(await store.head(key)).toBeNull();
      await expectNoLeftovers();
      const pre = new AbortController();
      pre.abort();
      await expect(store.put(key, Buffer.from('x'), { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('streams 200 MB in and out with bounded memory and an intact SHA-256', async () => {
      const key = `${ns('big')}/200mb.bin`;
      const total = 200 * 1024 * 1024;
      const limitMb = 100;

      const src = patternStream(total);
      const putRss = sampleRss();
      const res = await store.put(key, src.stream);
      const putReport = putRss.stop();
      const produced = await src.produced;
      options.onMemoryReport?.({ phase: 'put', ...putReport });
      expect(res.size).toBe(total);
      expect(res.sha256).toBe(produced.sha256);

      const getRss = sampleRss();
      const got = await store.get(key);
      const readBack = await hashStream(got.body);
      const getReport = getRss.stop();
      options.onMemoryReport?.({ phase: 'get', ...getReport });
      expect(got.size).toBe(total);
      expect(readBack).toEqual(produced);

      expect(putReport.growthMb).toBeLessThan(limitMb);
      expect(getReport.growthMb).toBeLessThan(limitMb);
      await store.delete(key);
    });
  });
}

async function consume<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
