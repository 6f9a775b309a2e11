import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeObjectStoreContract } from './contract';
import { StorageUnavailableError } from './errors';
import { createObjectStore, type ObjectStore } from './index';
import { PartBuffers } from './part-buffers';
import { streamUpload } from './s3-upload';
import type { PutBody } from './types';
import { patternStream } from './test-support';


const s3 = inject('s3');
// Several test files share the bucket: everything this file writes lives under its own prefix.
const prefix = `storage-int-${randomUUID().slice(0, 8)}`;
const makeStore = (over: { prefix?: string; bucket?: string; endpoint?: string } = {}): ObjectStore =>
  createObjectStore({
    backend: 's3',
    endpoint: over.endpoint ?? s3.endpoint,
    region: s3.region,
    bucket: over.bucket ?? s3.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    prefix: over.prefix ?? prefix,
  });

describeObjectStoreContract('s3', () => makeStore(), {
  onMemoryReport: (r) => console.info(`[s3] 200 MB ${r.phase}: RSS ${r.baselineMb} → ${r.peakMb} MB (growth ${r.growthMb} MB)`),
});

describe('S3ObjectStore specifics', () => {
  let store: ObjectStore;
  // An independent client with SDK defaults, to look at what actually landed in the bucket.
  let raw: S3Client;

  beforeAll(() => {
    store = makeStore();
    raw = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  });
  afterAll(async () => {
    await store.close?.();
    raw.destroy();
  });

  const rawSha256 = async (key: string) => {
    const res = await raw.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const bytes = Buffer.from(await res.Body!.transformToByteArray());
    return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  };

  // stack-notes "Checksum trap": with SDK defaults, streamed bodies go up aws-chunked and an
  // emulator stores the chunk framing inside the object. The bytes in the bucket must be exactly
  // the bytes we streamed, for both the single-request path and the multipart path.
  it('stores streamed bodies byte-exact (no aws-chunked framing): SHA-256 matches after put', async () => {
    for (const size of [3 * 1024 * 1024 + 1, 17 * 1024 * 1024 + 3]) {
      const key = `checksum-trap/${size}.bin`;
      const src = patternStream(size, { chunkSize: 65_536 });
      const put = await store.put(key, src.stream);
      const produced = await src.produced;
      expect(put).toMatchObject(produced);
      expect(await rawSha256(`${prefix}/${key}`)).toEqual(produced);
    }
    const chunks = Readable.from([Buffer.from('DICM'), Buffer.from('-tiny-streamed-body')]);
    const tiny = await store.put('checksum-trap/tiny', chunks);
    expect(await rawSha256(`${prefix}/checksum-trap/tiny`)).toEqual({ size: tiny.size, sha256: tiny.sha256 });
  });

  const PART_SIZE = 5 * 1024 * 1024;
  type Put = (key: string, body: PutBody) => ReturnType<typeof streamUpload>;
  /**
   * Runs `fn` with streamUpload as the store calls it (5 MiB parts, `buffers`, a client set up as
   * the store's: no default checksums), under this file's prefix.
   */
  const withPut = async (buffers: PartBuffers, fn: (put: Put) => Promise<void>) => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    try {
      await fn((key, body) => streamUpload({ client, bucket: s3.bucket, s3Key: `${prefix}/${key}`, key, body, opts: {}, partSize: PART_SIZE, queueSize: 2, buffers }));
    } finally {
      client.destroy();
    }
  };
  /**
   * Starts a put whose uploader sends 2 MB (over 1 MB, so it takes a part buffer: the only one
   * here) and then nothing more; `end` makes it fail and checks that every buffer came back.
   */
  const stalledPut = async (put: Put, buffers: PartBuffers, key: string) => {
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(2 * 1024 * 1024, 1));
    const held = put(key, body);
    held.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(buffers.inUse).toBe(PART_SIZE);
    return {
      end: async () => {
        body.destroy(new Error('uploader went away'));
        await expect(held).rejects.toThrow('uploader went away');
        expect(buffers.inUse).toBe(0);
      },
    };
  };

  // Concurrent puts of streamed bodies share the store's part buffers: here one part's worth, so
  // the puts take turns part by part; every buffer comes back, also from a put whose body fails
  // halfway; and the bytes in the bucket are exactly the bytes streamed, although parts are read
  // into reused buffers.
  it("holds at most the part buffers' budget across concurrent streamed puts, and gives them all back after a failure", async () => {
    let peak = 0;
    let allocated = 0;
    const seen = new Set<Buffer>();
    const buffers = new (class extends PartBuffers {
      override take(bytes: number) {
        const taken = super.take(bytes);
        const note = (buf: Buffer) => {
          peak = Math.max(peak, this.inUse);
          if (!seen.has(buf)) allocated++;
          seen.add(buf);
          return buf;
        };
        return taken instanceof Promise ? taken.then(note) : note(taken);
      }
    })(PART_SIZE, PART_SIZE);
    await withPut(buffers, async (put) => {
      const upload = (name: string, size: number, failAfter?: number) => {
        const src = patternStream(size, { chunkSize: 65_536, failAfter });
        return { done: put(`budget/${name}`, src.stream), produced: src.produced };
      };
      const a = upload('a', 12 * 1024 * 1024 + 7);
      const b = upload('b', 11 * 1024 * 1024 + 5);
      const c = upload('c', 3 * 1024 * 1024); // one PutObject
      const broken = upload('broken', 12 * 1024 * 1024, 7 * 1024 * 1024);
      const [ra, rb, rc, rbroken] = await Promise.allSettled([a.done, b.done, c.done, broken.done]);
      expect(rbroken.status).toBe('rejected');
      for (const [r, src, name] of [[ra, a, 'a'], [rb, b, 'b'], [rc, c, 'c']] as const) {
        expect(r.status).toBe('fulfilled');
        expect(await rawSha256(`${prefix}/budget/${name}`)).toEqual(await src.produced);
      }
      expect(peak).toBeLessThanOrEqual(PART_SIZE);
      expect(buffers.inUse).toBe(0);
      // One buffer of the part size served every part of every put.
      expect(allocated).toBe(1);
    });
    // A byte never given back would leave the next put waiting forever: fail instead of hanging.
  }, 60_000);

  // An uploader that stops sending mid-object keeps its part buffer; after the longest wait, other
  // puts get buffers beyond the budget instead of waiting for it.
  it('lets other puts through when a put that holds the only part buffer stalls', async () => {
    const buffers = new PartBuffers(PART_SIZE, PART_SIZE, 100);
    await withPut(buffers, async (put) => {
      const stalled = await stalledPut(put, buffers, 'stall/held');
      const src = patternStream(3 * 1024 * 1024, { chunkSize: 65_536 });
      const other = await put('stall/other', src.stream);
      expect(other).toEqual(await src.produced);
      await stalled.end();
    });
  }, 60_000);

  // Ingest puts a tiny instance as the chunks it already holds: it must not take (or wait for) an
  // 8 MB part buffer, or three such puts at a time would be all a store could run.
  it('sends objects under 1 MB without a part buffer, so small puts never wait for one', async () => {
    const buffers = new PartBuffers(PART_SIZE, PART_SIZE); // no longest wait: a taker would wait for good
    await withPut(buffers, async (put) => {
      const stalled = await stalledPut(put, buffers, 'small/held');
      const chunks = [Buffer.from('DICM'), Buffer.alloc(10_000, 7)];
      const fromChunks = await put('small/chunks', chunks);
      expect(await rawSha256(`${prefix}/small/chunks`)).toEqual({ size: fromChunks.size, sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex') });
      const src = patternStream(1024 * 1024, { chunkSize: 65_536 });
      const streamed = await put('small/streamed', src.stream);
      expect(await rawSha256(`${prefix}/small/streamed`)).toEqual(await src.produced);
      expect(streamed).toEqual(await src.produced);
      await stalled.end();
    });
  }, 60_000);

  it('keeps objects under the configured prefix and isolates stores with other prefixes', async () => {
    await store.put('iso/obj', Buffer.from('mine'));
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/iso/` }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([`${prefix}/iso/obj`]);

    const other = makeStore({ prefix: `${prefix}-other` });
    expect(await other.head('iso/obj')).toBeNull();
    const keys: string[] = [];
    for await (const e of other.list('')) keys.push(e.key);
    expect(keys).toEqual([]);
    await other.close?.();
  });

  it('ping reports a missing bucket and an unreachable endpoint readably', async () => {
    const noBucket = makeStore({ bucket: 'no-such-bucket-here' });
    await expect(noBucket.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(noBucket.ping()).rejects.toThrow(/bucket "no-such-bucket-here" at .* does not exist/);
    await noBucket.close?.();

    const unreachable = makeStore({ endpoint: 'http://127.0.0.1:9' });
    await expect(unreachable.ping()).rejects.toThrow(/cannot reach bucket/);
    await unreachable.close?.();
  });
});
