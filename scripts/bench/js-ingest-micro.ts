/**
 * The JavaScript work of ingest per tiny instance, alone: parse (HeaderCollector), the rows and
 * metadata text (toInstanceRecord). A report, not a test.
 *
 *   node --import tsx scripts/bench/js-ingest-micro.ts                 # µs per instance, 3 rounds
 *   ALLOC=1 node --import tsx scripts/bench/js-ingest-micro.ts         # + bytes allocated per instance, by function
 *
 * DATA: a folder of Part-10 files (default: gen_dataset.py's `many` in /tmp/benchdata-many/many/001).
 * N: instances per timed round (default 20,000).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { HeaderCollector } from '@vetpacs/dicom';
import { toInstanceRecord } from '../../apps/server/src/ingest/record';
const dir = process.env.DATA ?? '/tmp/benchdata-many/many/001';
const files = readdirSync(dir).slice(0, 200).map((f) => readFileSync(`${dir}/${f}`));
function once(buf: Buffer) {
  const c = new HeaderCollector({});
  c.push(buf);
  const p = c.finish();
  const rec = toInstanceRecord(p, { key: 'k', size: buf.length, sha256: 'x'.repeat(64) });
  return rec.instance.metadata.length + JSON.stringify(rec.patient).length;
}
const N = Number(process.env.N ?? 20000);
for (let i = 0; i < 3000; i++) once(files[i % files.length]!);
for (let round = 0; round < 3; round++) {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < N; i++) x += once(files[i % files.length]!);
  console.log(`${(((performance.now() - t) * 1000) / N).toFixed(1)} µs/instance (${x})`);
}
if (process.env.ALLOC) {
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('HeapProfiler.enable');
  await s.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < 5000; i++) once(files[i % files.length]!);
  const { profile } = await s.post('HeapProfiler.stopSampling');
  const self = new Map<string, number>();
  let total = 0;
  const walk = (n: typeof profile.head) => {
    const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-1)}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    total += n.selfSize;
    n.children.forEach(walk);
  };
  walk(profile.head);
  console.log(`allocated ~${(total / 5000 / 1024).toFixed(1)} KB/instance`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(((v / 5000 / 1024).toFixed(2)).padStart(7), 'KB', k);
}
