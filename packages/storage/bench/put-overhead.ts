/**
 * Main-thread cost of one small durable put (open exclusive, write 9.4 KB, fsync, close, fsync the
 * directory), three ways: fs/promises FileHandles, callback-API integer descriptors (what
 * FsObjectStore uses for in-memory objects), and the same syscalls done synchronously in worker
 * threads (one message round trip per put). Reports the event loop's active time per put, which is
 * what an ingest-bound server spends of its one JavaScript thread; wall time is the disk's.
 *
 *   node --import tsx packages/storage/bench/put-overhead.ts [--puts 2000] [--concurrency 8] [--dir /tmp/put-overhead]
 */
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { puts: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' }, dir: { type: 'string', default: '/tmp/put-overhead' } } });
const puts = Number(values.puts);
const root = values.dir!;
const body = Buffer.alloc(9400, 7);
fs.rmSync(root, { recursive: true, force: true });
for (let i = 0; i < 64; i++) fs.mkdirSync(`${root}/${i}`, { recursive: true });

const fdOpen = promisify(fs.open) as (file: string, flags: string, mode?: number) => Promise<number>;
const fdWrite = promisify(fs.write) as (fd: number, buf: Buffer, off: number, len: number, pos: number) => Promise<{ bytesWritten: number }>;
const fdSync = promisify(fs.fsync);
const fdClose = promisify(fs.close);

async function withFileHandles(dir: string, file: string): Promise<void> {
  const fh = await open(file, 'wx', 0o644);
  await fh.writeFile(body);
  await fh.sync();
  await fh.close();
  const d = await open(dir, 'r');
  await d.sync();
  await d.close();
}

async function withDescriptors(dir: string, file: string): Promise<void> {
  const fd = await fdOpen(file, 'wx', 0o644);
  for (let off = 0; off < body.length; ) off += (await fdWrite(fd, body, off, body.length - off, off)).bytesWritten;
  await fdSync(fd);
  await fdClose(fd);
  const d = await fdOpen(dir, 'r');
  await fdSync(d);
  await fdClose(d);
}

const workerSource = `
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, dir, file, body }) => {
  try {
    const fd = fs.openSync(file, 'wx', 0o644);
    for (let off = 0; off < body.length; ) off += fs.writeSync(fd, body, off, body.length - off, off);
    fs.fsyncSync(fd); fs.closeSync(fd);
    const d = fs.openSync(dir, 'r'); fs.fsyncSync(d); fs.closeSync(d);
    parentPort.postMessage({ id });
  } catch (err) { parentPort.postMessage({ id, error: String(err) }); }
});`;
const workers = Array.from({ length: Number(values.concurrency) }, () => new Worker(workerSource, { eval: true }));
const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
for (const w of workers) {
  w.on('message', ({ id, error }: { id: number; error?: string }) => {
    const p = waiting.get(id)!;
    waiting.delete(id);
    if (error) p.reject(new Error(error));
    else p.resolve();
  });
}
let nextId = 0;
function inWorkers(dir: string, file: string): Promise<void> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    workers[id % workers.length]!.postMessage({ id, dir, file, body });
  });
}

let serial = 0;
async function run(put: (dir: string, file: string) => Promise<void>): Promise<{ wallMs: number; activeUs: number }> {
  const before = performance.eventLoopUtilization();
  const t0 = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (started++ < puts) {
        const n = serial++;
        await put(`${root}/${n % 64}`, `${root}/${n % 64}/${n}.dcm`);
      }
    }),
  );
  return { wallMs: performance.now() - t0, activeUs: (performance.eventLoopUtilization(before).active / puts) * 1000 };
}

const ways = { filehandle: withFileHandles, descriptors: withDescriptors, workers: inWorkers };
for (let round = 1; round <= 3; round++) {
  for (const [name, put] of Object.entries(ways)) {
    const r = await run(put);
    process.stdout.write(`round ${round} ${name.padEnd(11)} main thread ${r.activeUs.toFixed(0).padStart(4)} µs/put   wall ${r.wallMs.toFixed(0)} ms for ${puts}\n`);
  }
}
for (const w of workers) await w.terminate();
fs.rmSync(root, { recursive: true, force: true });
