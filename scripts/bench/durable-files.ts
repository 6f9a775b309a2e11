/**
 * `node --import tsx scripts/bench/durable-files.ts [DIR]`: how many small files per second this
 * disk makes durable the way the filesystem store does for a tiny instance (exclusive create, one
 * write, fsync, close, fsync of the directory), with 1, 2, 4 and 8 writers side by side. The
 * ceiling for any ingest of tiny instances with one durable object each, whatever the server: the
 * `many` target of the ingest issue is read against it (docs/benchmarks.md, "Ingest").
 *
 * The files go to a new directory under DIR (default /var/tmp), removed afterwards: DIR must be on
 * the filesystem of the object store. Env: FILES (per writer, default 500), BYTES (per file, default 9,400 — the size
 * of the peer harness's `many` instances), WRITERS (default "1 2 4 8"), NEW_DIRS=1 to put every
 * file in a directory of its own, created and fsynced first (an empty store's shard directories).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const root = mkdtempSync(path.join(path.resolve(process.argv[2] ?? '/var/tmp'), 'durable-files-'));
const files = Number(process.env.FILES ?? 500);
const bytes = Number(process.env.BYTES ?? 9400);
const writerCounts = (process.env.WRITERS ?? '1 2 4 8').split(' ').filter(Boolean).map(Number);
const newDirs = process.env.NEW_DIRS === '1';

/** One writer's loop, run on its own thread with synchronous calls (as SmallFileWriter does). */
const writerBody = `
const fs = require('node:fs');
const { workerData, parentPort } = require('node:worker_threads');
const { dir, files, bytes, newDirs } = workerData;
const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY, O_DIRECTORY } = fs.constants;
const data = require('node:crypto').randomBytes(bytes);
const fsyncDir = (d) => { const fd = fs.openSync(d, O_RDONLY | O_DIRECTORY); fs.fsyncSync(fd); fs.closeSync(fd); };
const start = performance.now();
for (let i = 0; i < files; i++) {
  let parent = dir;
  if (newDirs) { parent = dir + '/d' + i; fs.mkdirSync(parent); fsyncDir(dir); }
  const fd = fs.openSync(parent + '/f' + i, O_WRONLY | O_CREAT | O_EXCL, 0o644);
  fs.writeSync(fd, data);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fsyncDir(parent);
}
parentPort.postMessage(performance.now() - start);
`;

async function run(writers: number): Promise<{ filesPerS: number; msPerFile: number }> {
  const dirs = Array.from({ length: writers }, (_, i) => path.join(root, `w${writers}-${i}`));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const started = performance.now();
  const perWriter = await Promise.all(
    dirs.map(
      (dir) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(writerBody, { eval: true, workerData: { dir, files, bytes, newDirs } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  const wall = (performance.now() - started) / 1000;
  return { filesPerS: (writers * files) / wall, msPerFile: perWriter.reduce((a, b) => a + b, 0) / (writers * files) };
}

process.stdout.write(`durable small files on ${root} (${os.cpus().length} CPUs): ${files} files of ${bytes} bytes per writer${newDirs ? ', each in a new directory' : ''}\n`);
process.stdout.write('| writers | files/s | ms per file (per writer) |\n|---|---|---|\n');
try {
  for (const n of writerCounts) {
    const r = await run(n);
    process.stdout.write(`| ${n} | ${r.filesPerS.toFixed(0)} | ${r.msPerFile.toFixed(3)} |\n`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
