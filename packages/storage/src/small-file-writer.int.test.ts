import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmallFileWriter } from './small-file-writer';

describe('SmallFileWriter (worker threads, real filesystem)', () => {
  let dir: string;
  const writer = new SmallFileWriter(2);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'small-files-'));
  });
  afterAll(async () => {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the files of one batch byte for byte, creating missing directories', async () => {
    const files = Array.from({ length: 12 }, (_, i) => ({
      file: path.join(dir, 'a', String(i % 3), `f${i}`),
      chunks: [Buffer.from(`head-${i}-`), Buffer.alloc(5000 + i, i), Buffer.from('-tail')],
    }));
    // Issued in one turn of the event loop: they travel as one batch.
    await Promise.all(files.map((f) => writer.write(f)));
    for (const f of files) expect(await readFile(f.file)).toEqual(Buffer.concat(f.chunks));
    expect((await readdir(path.join(dir, 'a'))).sort()).toEqual(['0', '1', '2']);
  });

  it('writes files asked for while every thread is busy once one answers (held back, not lost)', async () => {
    const one = new SmallFileWriter(1);
    try {
      const files = Array.from({ length: 6 }, (_, i) => ({ file: path.join(dir, 'held', `f${i}`), chunks: [Buffer.from(`held-${i}`)] }));
      // One per turn of the event loop: the first goes to the only thread at once, the others are
      // asked for while its batch (create, write, fsyncs) is in flight.
      const writes: Promise<void>[] = [];
      for (const f of files) {
        writes.push(one.write(f));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(writes);
      for (const [i, f] of files.entries()) expect(await readFile(f.file, 'utf8')).toBe(`held-${i}`);
    } finally {
      await one.close();
    }
  });

  it('fails only the file that exists already (EEXIST), leaving its bytes alone; the rest of the batch is written', async () => {
    const existing = path.join(dir, 'b', 'taken');
    await writer.write({ file: existing, chunks: [Buffer.from('original')] });
    const results = await Promise.allSettled([
      writer.write({ file: existing, chunks: [Buffer.from('new bytes')] }),
      writer.write({ file: path.join(dir, 'b', 'free'), chunks: [Buffer.from('fine')] }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'EEXIST' } });
    expect(results[1].status).toBe('fulfilled');
    expect(await readFile(existing, 'utf8')).toBe('original');
    expect(await readFile(path.join(dir, 'b', 'free'), 'utf8')).toBe('fine');
  });

  it('reports a path through a file (ENOTDIR) and leaves nothing behind', async () => {
    await writeFile(path.join(dir, 'plain'), 'x');
    await expect(writer.write({ file: path.join(dir, 'plain', 'child'), chunks: [Buffer.from('y')] })).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await readFile(path.join(dir, 'plain'), 'utf8')).toBe('x');
  });

  it('keeps a process alive while a write is pending (a script whose last step is a put)', async () => {
    const script = path.join(dir, 'last-put.mts');
    const file = path.join(dir, 'from-script', 'obj');
    await writeFile(
      script,
      `import { SmallFileWriter } from ${JSON.stringify(path.resolve(import.meta.dirname, 'small-file-writer.ts'))};\n` +
        // The second write finds the thread started and idle (unreferenced): only the pending
        // write may hold the process open until the file is durable.
        'const writer = new SmallFileWriter();\n' +
        `await writer.write({ file: ${JSON.stringify(`${file}-first`)}, chunks: [Buffer.from('first')] });\n` +
        'await new Promise((resolve) => setTimeout(resolve, 100));\n' +
        `await writer.write({ file: ${JSON.stringify(file)}, chunks: [Buffer.from('durable')] });\n` +
        `console.log('written');\n`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('written');
    expect(await readFile(file, 'utf8')).toBe('durable');
  });

  it('answers only after every file, its directory and a new directory\'s entry in its parent are fsynced (read with strace)', async () => {
    const root = await mkdtemp(path.join(dir, 'traced-'));
    const script = path.join(root, 'batch.mts');
    const names = ['s1/x1', 's1/x2', 's2/y1', 's3/z1'];
    await writeFile(
      script,
      `import { SmallFileWriter } from ${JSON.stringify(path.resolve(import.meta.dirname, 'small-file-writer.ts'))};\n` +
        'const writer = new SmallFileWriter(1);\n' +
        `await Promise.all(${JSON.stringify(names)}.map((n) => writer.write({ file: ${JSON.stringify(`${root}/store/`)} + n, chunks: [Buffer.from(n)] })));\n` +
        "process.stdout.write('ANSWERED\\n');\n" +
        'await writer.close();\n',
    );
    const log = path.join(root, 'strace.log');
    // -f: the writer thread and libuv's pool; -y: each descriptor shown with its path.
    execFileSync('strace', ['-f', '-y', '-e', 'trace=fsync,write', '-o', log, process.execPath, '--import', 'tsx', script], { encoding: 'utf8' });
    // Completed fsyncs (by path) in the order they returned, up to the line that printed ANSWERED.
    const synced: string[] = [];
    const pendingByThread = new Map<string, string>();
    let answered = false;
    for (const line of (await readFile(log, 'utf8')).split('\n')) {
      // strace pads the thread id to five columns ("%-5d "): a 4-digit id is followed by two spaces.
      const [, tid = '', rest = ''] = /^(\d+)\s+(.*)$/s.exec(line) ?? [];
      if (/write\(1<[^>]*>, "ANSWERED/.test(rest)) {
        answered = true;
        break;
      }
      const call = /^fsync\(\d+<([^>]+)>(\)\s+= 0| <unfinished)/.exec(rest);
      if (call?.[2]?.startsWith(')')) synced.push(call[1]!);
      else if (call) pendingByThread.set(tid, call[1]!);
      else if (/^<\.\.\. fsync resumed>\)\s+= 0/.test(rest) && pendingByThread.has(tid)) synced.push(pendingByThread.get(tid)!);
    }
    expect(answered).toBe(true);
    const store = path.join(root, 'store');
    // Each file; each shard directory (holding the files' entries); the store directory (holding
    // the new shard directories' entries); the root (holding the new store directory's entry).
    for (const n of names) expect(synced).toContain(path.join(store, n));
    for (const shard of ['s1', 's2', 's3']) expect(synced).toContain(path.join(store, shard));
    expect(synced).toContain(store);
    expect(synced).toContain(root);
  });

  it('starts its threads again after close()', async () => {
    await writer.close();
    await writer.write({ file: path.join(dir, 'after-close'), chunks: [Buffer.from('again')] });
    expect(await readFile(path.join(dir, 'after-close'), 'utf8')).toBe('again');
  });
});
