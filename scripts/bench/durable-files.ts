/**
 * `node --import tsx scripts/bench/durable-files.ts [DIR]`: how many small objects per second the
 * filesystem store's writer makes durable (SmallFileWriter: exclusive create, write, fsync, close,
 * directory fsync) when N of them are written side by side — one thread, batches of N, so the only
 * parallelism is the disk completing fsyncs together. The ceiling for ingest of tiny instances with
 * one durable object each: the `many` target of the ingest issue is read against it
 * (docs/benchmarks.md, "Ingest").
 *
 * The files go to a new directory under DIR (default /var/tmp), removed afterwards: DIR must be on
 * the filesystem of the object store. Env: FILES (per side, default 500), BYTES (per file, default
 * 9,400 — the size of the peer harness's `many` instances), WRITERS (batch sizes, default
 * "1 2 4 8"), NEW_DIRS=1 to put every file in a directory of its own, which the writer creates and
 * fsyncs first (an empty store's shard directories).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmallFileWriter } from '@vetpacs/storage';

const root = mkdtempSync(path.join(path.resolve(process.argv[2] ?? '/var/tmp'), 'durable-files-'));
const files = Number(process.env.FILES ?? 500);
const bytes = randomBytes(Number(process.env.BYTES ?? 9400));
const sides = (process.env.WRITERS ?? '1 2 4 8').split(' ').filter(Boolean).map(Number);
const newDirs = process.env.NEW_DIRS === '1';

/** `files` rounds of `n` writes issued in one turn (one batch each); files/s and ms per round. */
async function run(writer: SmallFileWriter, n: number): Promise<{ filesPerS: number; msPerFile: number }> {
  const started = performance.now();
  for (let round = 0; round < files; round++) {
    await Promise.all(
      Array.from({ length: n }, (_, side) => {
        const name = `n${n}-s${side}-f${round}`;
        return writer.write({ file: newDirs ? path.join(root, name, 'obj') : path.join(root, `n${n}`, name), chunks: [bytes] });
      }),
    );
  }
  const ms = performance.now() - started;
  return { filesPerS: (n * files) / (ms / 1000), msPerFile: ms / files };
}

const writer = new SmallFileWriter(1);
process.stdout.write(`durable small files on ${root} (${os.cpus().length} CPUs): ${files} files of ${bytes.length} bytes per side${newDirs ? ', each in a new directory' : ''}\n`);
process.stdout.write('| side by side | files/s | ms per file (per side) |\n|---|---|---|\n');
try {
  for (const n of sides) {
    const r = await run(writer, n);
    process.stdout.write(`| ${n} | ${r.filesPerS.toFixed(0)} | ${r.msPerFile.toFixed(3)} |\n`);
  }
} finally {
  await writer.close();
  rmSync(root, { recursive: true, force: true });
}
