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

  it('starts its threads again after close()', async () => {
    await writer.close();
    await writer.write({ file: path.join(dir, 'after-close'), chunks: [Buffer.from('again')] });
    expect(await readFile(path.join(dir, 'after-close'), 'utf8')).toBe('again');
  });
});
