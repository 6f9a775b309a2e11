import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead';

let dir: string;
let file: string;
const data = randomBytes(5 * 64 * 1024 + 1234); // several chunks and a short last one

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-read-ahead-'));
  file = path.join(dir, 'obj');
  await writeFile(file, data);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const openFds = async () => (await readdir('/proc/self/fd')).length;

describe('readAhead', () => {
  it('streams the whole file and any inclusive range in order, then closes the handle', async () => {
    const before = await openFds();
    for (const [start, end] of [
      [0, data.length - 1],
      [1, 1],
      [65_535, 65_536 * 3 + 17],
      [data.length - 10, data.length - 1],
    ] as const) {
      const chunks = await readAhead(await open(file, 'r'), start, end).toArray();
      expect(Buffer.concat(chunks).equals(data.subarray(start, end + 1))).toBe(true);
    }
    expect(await openFds()).toBe(before);
  });

  it('ends at once for an empty range', async () => {
    expect(await readAhead(await open(file, 'r'), 0, -1).toArray()).toEqual([]);
  });

  it('closes the handle when the consumer stops early', async () => {
    const before = await openFds();
    const stream = readAhead(await open(file, 'r'), 0, data.length - 1);
    for await (const _ of stream) break; // destroys the stream after the first chunk
    // 'close' comes after the reads still in flight have settled and the handle is closed.
    if (!stream.closed) await new Promise((r) => stream.once('close', r));
    expect(await openFds()).toBe(before);
  });
});
