import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../lib/buffer-pool';
import { multipartLength, type OutPart, writeMultipart } from './multipart-writer';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Serves `parts` with writeMultipart on a real socket; resolves with the server's outcome. */
async function serve(parts: OutPart[], pool: BufferPool) {
  let outcome!: Promise<'ok' | Error>;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; boundary=b' });
    outcome = writeMultipart(res, 'b', parts, pool).then(
      () => 'ok' as const,
      (err: Error) => {
        res.destroy();
        return err;
      },
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, outcome: () => outcome };
}

/** Pending socket writes release their buffers in their callbacks: give those a turn. */
async function allReturned(pool: BufferPool) {
  for (let i = 0; i < 100 && pool.inUse > 0; i++) await new Promise((r) => setTimeout(r, 10));
  return pool.inUse === 0;
}

const pooled = (data: Buffer): OutPart => ({
  contentType: 'application/dicom',
  length: data.length,
  open: () => Readable.from([data]),
  readInto: async (t) => data.copy(t),
});
const streamed = (data: Buffer): OutPart => ({ contentType: 'application/dicom', length: data.length, open: () => Readable.from([data]) });

describe('writeMultipart', () => {
  it('writes the multipart body byte for byte, pooled and streamed parts mixed, and returns every buffer', async () => {
    const pool = new BufferPool(64 * 1024, 16);
    const datas = [1000, 60_000, 200_000, 0, 65_536, 5].map((n) => randomBytes(n));
    // 200 kB exceeds the pool's buffer size: that part streams.
    const parts = datas.map((d, i) => (i % 2 ? streamed(d) : pooled(d)));
    // RFC 2387 framing written out by hand: delimiter, part headers, body; close delimiter last.
    const expected = Buffer.concat([
      ...datas.flatMap((d, i) => [Buffer.from(`${i ? '\r\n' : ''}--b\r\nContent-Type: application/dicom\r\nContent-Length: ${d.length}\r\n\r\n`), d]),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    expect(expected.length).toBe(multipartLength('b', parts));
    const { url, outcome } = await serve(parts, pool);
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(body.equals(expected)).toBe(true);
    expect(await outcome()).toBe('ok');
    // Every pooled part's buffer came back.
    expect(await allReturned(pool)).toBe(true);
    expect(pool.freeCount).toBeGreaterThan(0);
  });

  it('fails when a part is shorter than its declared length (never sends stale pool bytes)', async () => {
    const pool = new BufferPool(64 * 1024, 16);
    const short: OutPart = { ...pooled(randomBytes(100)), length: 200 };
    const { url, outcome } = await serve([pooled(randomBytes(10)), short], pool);
    await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
    const err = await outcome();
    expect(await allReturned(pool)).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/100 bytes, 200 declared/);
  });

  it('stops reading when the client goes away mid-body and hands its buffers back', async () => {
    const pool = new BufferPool(1024 * 1024, 64);
    let opened = 0;
    const parts = Array.from({ length: 200 }, () => {
      const d = randomBytes(1024 * 1024);
      return { ...pooled(d), readInto: async (t: Buffer) => (opened++, d.copy(t)) };
    });
    const { url, outcome } = await serve(parts, pool);
    await new Promise<void>((resolve) => {
      const req = request(url, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 3 * 1024 * 1024) req.destroy();
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve());
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(await outcome()).toBe('ok');
    expect(opened).toBeLessThan(200);
    expect(await allReturned(pool)).toBe(true);
  });

  it('opens streamed parts (renders, transcodes) one ahead only, pooled parts several ahead', async () => {
    const pool = new BufferPool(64 * 1024, 16);
    let open = 0;
    let maxOpen = 0;
    const made = (n: number): OutPart => ({
      contentType: 'image/jpeg',
      // Each open "renders" a part held in memory until it is sent: count how many exist at once.
      open: async () => {
        maxOpen = Math.max(maxOpen, ++open);
        const s = Readable.from([randomBytes(n)]);
        s.on('close', () => open--);
        return s;
      },
    });
    let reads = 0;
    let maxReads = 0;
    const small = (d: Buffer): OutPart => ({
      ...pooled(d),
      readInto: async (t) => {
        maxReads = Math.max(maxReads, ++reads);
        await new Promise((r) => setTimeout(r, 5));
        reads--;
        return d.copy(t);
      },
    });
    const parts = [...Array.from({ length: 8 }, () => made(1000)), ...Array.from({ length: 8 }, () => small(randomBytes(1000)))];
    const { url, outcome } = await serve(parts, pool);
    await (await fetch(url)).arrayBuffer();
    expect(await outcome()).toBe('ok');
    expect(maxOpen).toBeLessThanOrEqual(2); // the one being sent and the next
    expect(maxReads).toBeGreaterThan(2); // pooled reads overlap
  });
});
