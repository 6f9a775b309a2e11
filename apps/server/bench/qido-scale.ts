/**
 * QIDO-RS latency at scale, against the synthetic practice written by seed-index.ts: the query
 * types of ../shared/bench/bench_dicomweb.py plus OHIF's study-list request, sequential
 * (concurrency 1), keep-alive, `--reps` requests per type. Prints JSON (p50/p95/mean ms, results).
 *
 *   node --import tsx apps/server/bench/qido-scale.ts --base http://127.0.0.1:18090/dicomweb --token vp_… --studies 85000
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { base: { type: 'string' }, token: { type: 'string' }, studies: { type: 'string', default: '85000' }, reps: { type: 'string', default: '40' } },
});
const base = values.base!;
const headers = { authorization: `Bearer ${values.token}`, accept: 'application/dicom+json' };
const studies = Number(values.studies);
const reps = Number(values.reps);
let seed = 42;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
const day = (offset: number) => {
  const d = new Date(Date.UTC(2019, 0, 1) + offset * 86400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
};
const OWNER_PREFIXES = ['Smi', 'Jon', 'Mil', 'Mül', 'Bro', 'Gar', 'Mar', 'Dub', 'Ros', 'Nov'];
const OHIF_FIELDS = '00081030%2C00080060%2C00080061%2C00100010%2C00100020%2C00100030%2C00200010%2C00080050%2C00080020';

const types: Record<string, () => string> = {
  patient_name_wildcard: () => `/studies?PatientName=${encodeURIComponent(`${OWNER_PREFIXES[rnd(OWNER_PREFIXES.length)]}*`)}`,
  patient_name_wildcard_limit101: () => `/studies?limit=101&offset=0&fuzzymatching=false&includefield=${OHIF_FIELDS}&PatientName=${encodeURIComponent(`*${OWNER_PREFIXES[rnd(OWNER_PREFIXES.length)]!.toLowerCase()}*`)}`,
  patient_id: () => `/studies?00100020=SYN${1 + rnd(Math.round(studies / 3))}`,
  study_date_range_30d: () => {
    const d = rnd(2190 - 30);
    return `/studies?StudyDate=${day(d)}-${day(d + 30)}`;
  },
  modality_limit50: () => `/studies?ModalitiesInStudy=${['DX', 'CR', 'US', 'CT', 'MR'][rnd(5)]}&limit=50`,
  modality_and_date_90d: () => {
    const d = rnd(2190 - 90);
    return `/studies?ModalitiesInStudy=${['DX', 'US', 'CT'][rnd(3)]}&StudyDate=${day(d)}-${day(d + 90)}`;
  },
  paging_limit50_offset: () => `/studies?limit=50&offset=${rnd(studies)}`,
  ohif_study_list: () => `/studies?limit=101&offset=0&fuzzymatching=false&includefield=${OHIF_FIELDS}`,
  series_in_study: () => `/studies/2.25.7700${1 + rnd(studies)}/series`,
  instances_in_series: () => {
    const g = 1 + rnd(studies);
    return `/studies/2.25.7700${g}/series/2.25.7700${g}.1/instances`;
  },
};

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const out: Record<string, unknown> = {};
for (const [name, make] of Object.entries(types)) {
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
