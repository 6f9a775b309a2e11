/**
 * Memory benchmark: streams a 2 GB study into a running server with STOW-RS — one request with many
 * 8 MB radiograph-sized instances, then one 2 GB multi-frame instance — generated on the fly (never
 * held in memory here either), then retrieves both back with WADO-RS (series of 8 MB instances; the
 * whole 4 GB study), and reports the server's peak RSS and throughput for each phase.
 *   BASE=http://127.0.0.1:18080/dicomweb TOKEN=… PID=… node --import tsx scripts/bench/ingest-memory.ts
 * (scripts/bench/serve-for-bench.ts prints BASE, TOKEN and PID.)
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { makeDicom } from '@vetpacs/dicom/testing';

const base = process.env.BASE!;
const token = process.env.TOKEN!;
const pid = process.env.PID!;
const TOTAL = Number(process.env.TOTAL_BYTES ?? 2e9);

const status = () => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
};

/** A Part-10 header for `frames` frames of rows×cols 16-bit, with the pixel value length patched. */
function headerFor(uid: string, rows: number, cols: number, frames: number): Buffer {
  const small = makeDicom({ seed: 42, studyInstanceUid: '2.25.4242', seriesInstanceUid: `2.25.4242.${rows}`, sopInstanceUid: uid, rows: 2, columns: 2, frames: frames > 1 ? 1000 : 1, modality: frames > 1 ? 'XA' : 'DX' });
  const pix = small.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  const head = Buffer.from(small.subarray(0, pix + 12));
  const patchUS = (group: number, element: number, value: number) => {
    const tag = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, 0x55, 0x53]);
    const at = head.indexOf(tag);
    head.writeUInt16LE(value, at + 8);
  };
  patchUS(0x0028, 0x0010, rows);
  patchUS(0x0028, 0x0011, cols);
  if (frames > 1) {
    // NumberOfFrames (0028,0008) IS, value "1000" (4 bytes) in the template.
    const nf = head.indexOf(Buffer.from([0x28, 0x00, 0x08, 0x00, 0x49, 0x53, 0x04, 0x00]));
    head.write(String(frames).padEnd(4, ' '), nf + 8, 'latin1');
  }
  head.writeUInt32LE(rows * cols * 2 * frames, pix + 8);
  return head;
}

async function* pixels(bytes: number) {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += 2) block.writeUInt16LE((i * 7) & 0x0fff, i);
  for (let sent = 0; sent < bytes; sent += block.length) yield sent + block.length <= bytes ? block : block.subarray(0, bytes - sent);
}

async function stow(label: string, instances: { uid: string; rows: number; cols: number; frames: number }[]) {
  const boundary = 'mem-bench-boundary';
  async function* body() {
    for (const i of instances) {
      yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
      yield headerFor(i.uid, i.rows, i.cols, i.frames);
      yield* pixels(i.rows * i.cols * 2 * i.frames);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  const bytes = instances.reduce((s, i) => s + i.rows * i.cols * 2 * i.frames, 0);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, status().rssMB);
  }, 100);
  const t0 = performance.now();
  const res = await fetch(`${base}/studies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body: Readable.toWeb(Readable.from(body())) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const json = (await res.json()) as Record<string, { Value?: unknown[] }>;
  if (res.headers.get('warning')) console.log(`  warning: ${res.headers.get('warning')}`);
  const s = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  console.log(
    `${label}: HTTP ${res.status}, ${json['00081199']?.Value?.length ?? 0} stored, ${json['00081198']?.Value?.length ?? 0} failed, ` +
      `${(bytes / 1e6).toFixed(0)} MB in ${s.toFixed(1)} s = ${(bytes / 1e6 / s).toFixed(1)} MB/s; server RSS peak during request ${peak.toFixed(0)} MB, process VmHWM ${status().peakMB.toFixed(0)} MB`,
  );
}

console.log(`server RSS before: ${status().rssMB.toFixed(0)} MB`);
const perInstance = 2048 * 2048 * 2;
await stow('2 GB study of 8 MB instances (one STOW request)', Array.from({ length: Math.round(TOTAL / perInstance) }, (_, n) => ({ uid: `2.25.4242.1.${n + 1}`, rows: 2048, cols: 2048, frames: 1 })));
await stow('one 2 GB multi-frame instance', [{ uid: '2.25.4242.2.1', rows: 1024, cols: 1024, frames: Math.round(TOTAL / (1024 * 1024 * 2)) }]);

/** WADO-RS retrieve of `path` as stored (`transfer-syntax=*`), read and discarded as it arrives. */
async function retrieve(label: string, path: string) {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, status().rssMB);
  }, 100);
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const s = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  console.log(
    `${label}: HTTP ${res.status}, ${(bytes / 1e6).toFixed(0)} MB in ${s.toFixed(1)} s = ${(bytes / 1e6 / s).toFixed(1)} MB/s; server RSS peak during response ${peak.toFixed(0)} MB`,
  );
}

await retrieve('retrieve the 2 GB series of 8 MB instances (WADO-RS)', `/studies/2.25.4242/series/2.25.4242.2048`);
await retrieve('retrieve the whole 4 GB study (WADO-RS)', '/studies/2.25.4242');
