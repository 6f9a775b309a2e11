/**
 * QIDO-RS latency at scale, against the synthetic practice written by seed-index.ts: the query
 * types of qido-queries.ts, sequential (concurrency 1), keep-alive, `--reps` requests per type.
 * The measured time includes reading and parsing the JSON body, as a client would. Prints JSON
 * (p50/p95/mean ms, results).
 *
 *   node --import tsx apps/server/bench/qido-scale.ts --base http://127.0.0.1:18090/dicomweb --token vp_… --studies 85000
 */
import { parseArgs } from 'node:util';
import { pct, qidoQueryTypes } from './qido-queries';

const { values } = parseArgs({
  options: { base: { type: 'string' }, token: { type: 'string' }, studies: { type: 'string', default: '85000' }, reps: { type: 'string', default: '40' } },
});
const base = values.base!;
const headers = { authorization: `Bearer ${values.token}`, accept: 'application/dicom+json' };
const reps = Number(values.reps);

const out: Record<string, unknown> = {};
for (const [name, make] of Object.entries(qidoQueryTypes(Number(values.studies)))) {
  const times: number[] = [];
  let results = 0;
  let errors = 0;
  for (let i = 0; i < reps + 2; i++) {
    const t = performance.now();
    const res = await fetch(`${base}${make()}`, { headers });
    const body = (await res.json()) as unknown[];
    const ms = performance.now() - t;
    if (!res.ok) errors++;
    if (i < 2) continue; // warm-up
    times.push(ms);
    results += Array.isArray(body) ? body.length : 0;
  }
  times.sort((a, b) => a - b);
  out[name] = { p50: +pct(times, 50).toFixed(1), p95: +pct(times, 95).toFixed(1), mean: +(times.reduce((s, x) => s + x, 0) / times.length).toFixed(1), mean_results: +(results / reps).toFixed(1), errors };
  process.stderr.write(`${name.padEnd(32)} p50 ${pct(times, 50).toFixed(1)} ms  p95 ${pct(times, 95).toFixed(1)} ms  results ${(results / reps).toFixed(1)}\n`);
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
