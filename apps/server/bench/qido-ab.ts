/**
 * A/B of two servers on the same query stream, requests interleaved (A, B, A, B, …) so that machine
 * noise hits both alike: the way to compare a change on a shared, busy machine. Each side gets the
 * identical URL sequence of qido-queries.ts. Prints a table of p50/p95 per query type and side.
 *
 *   node --import tsx apps/server/bench/qido-ab.ts --a http://127.0.0.1:18191/dicomweb --a-token vp_… \
 *     --b http://127.0.0.1:18192/dicomweb --b-token vp_… [--studies 85000] [--reps 40]
 */
import { parseArgs } from 'node:util';
import { pct, qidoQueryTypes } from './qido-queries';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    'a-token': { type: 'string' },
    b: { type: 'string' },
    'b-token': { type: 'string' },
    studies: { type: 'string', default: '85000' },
    reps: { type: 'string', default: '40' },
  },
});
const sides = [
  { name: 'A', base: values.a!, token: values['a-token']! },
  { name: 'B', base: values.b!, token: values['b-token']! },
];
const reps = Number(values.reps);
const time = async (base: string, token: string, path: string) => {
  const t = performance.now();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom+json' } });
  const body = (await res.json()) as unknown[];
  if (!res.ok) throw new Error(`${res.status} ${path}`);
  return { ms: performance.now() - t, n: body.length };
};

process.stdout.write('| query | A p50 | A p95 | B p50 | B p95 | results |\n|---|---|---|---|---|---|\n');
for (const [name, make] of Object.entries(qidoQueryTypes(Number(values.studies)))) {
  const times: number[][] = [[], []];
  let results = 0;
  for (let i = 0; i < reps + 2; i++) {
    const path = make();
    // Alternate which side goes first, so neither always runs on a warmer cache.
    const order = i % 2 ? [1, 0] : [0, 1];
    for (const s of order) {
      const { ms, n } = await time(sides[s]!.base, sides[s]!.token, path);
      if (i >= 2) times[s]!.push(ms);
      if (s === 0 && i >= 2) results += n;
    }
  }
  const [a, b] = times.map((t) => t.sort((x, y) => x - y)) as [number[], number[]];
  const f = (x: number) => x.toFixed(1);
  process.stdout.write(`| ${name} | ${f(pct(a, 50))} | ${f(pct(a, 95))} | ${f(pct(b, 50))} | ${f(pct(b, 95))} | ${(results / reps).toFixed(1)} |\n`);
}
