/**
 * `node --import tsx scripts/bench/ingest-ratios.ts RESULTS_DIR`: the ingest targets as
 * ratios, ours ÷ Orthanc's best (SQLite or PostgreSQL index) of the same round, per round and as the
 * median over rounds, from the JSON reports ingest.sh leaves (labels `vetpacs-fs-c4-r2`,
 * `orthanc-sqlite-c4-r2`; no `-rN` for a single round). dx in MB/s, ct and many in instances/s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Report {
  meta: { label: string };
  stow: Record<string, { MB_per_s: number; instances_per_s: number; unaccounted: number }>;
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: ingest-ratios.ts RESULTS_DIR\n');
  process.exit(2);
}

const LABEL = /^(vetpacs-(?<backend>fs|s3)|orthanc-(?:sqlite|postgres))-c(?<conc>\d+)(-r(?<round>\d+))?$/;
const METRIC = { dx: 'MB_per_s', ct: 'instances_per_s', many: 'instances_per_s' } as const;
type Workload = keyof typeof METRIC;

/** value[`${round} ${conc} ${workload}`][server] */
const values = new Map<string, Map<string, number>>();
const rounds = new Set<number>();
const concs = new Set<number>();
const backends = new Set<string>();
let unaccounted = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Report;
  const m = LABEL.exec(report.meta?.label ?? '');
  if (!m?.groups || !report.stow) continue;
  const { backend, conc, round } = m.groups;
  const server = backend ? `ours-${backend}` : 'orthanc';
  if (backend) backends.add(backend);
  const r = Number(round ?? 1);
  rounds.add(r);
  concs.add(Number(conc));
  for (const workload of Object.keys(METRIC) as Workload[]) {
    const stow = report.stow[workload];
    if (!stow) continue;
    unaccounted += stow.unaccounted ?? 0;
    const key = `${r} ${conc} ${workload}`;
    const row = values.get(key) ?? new Map<string, number>();
    // Orthanc's best of its two indexes in this round.
    row.set(server, Math.max(row.get(server) ?? 0, stow[METRIC[workload]]));
    values.set(key, row);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const roundList = [...rounds].sort((a, b) => a - b);
const lines = [
  '| workload, concurrency, our store | ' + roundList.map((r) => `round ${r}`).join(' | ') + ' | median |',
  '|---|' + roundList.map(() => '---|').join('') + '---|',
];
for (const workload of Object.keys(METRIC) as Workload[]) {
  for (const conc of [...concs].sort((a, b) => a - b)) {
    for (const backend of [...backends].sort()) {
      const ratios: number[] = [];
      const cells = roundList.map((r) => {
        const row = values.get(`${r} ${conc} ${workload}`);
        const ours = row?.get(`ours-${backend}`);
        const orthanc = row?.get('orthanc');
        if (!ours || !orthanc) return '–';
        ratios.push(ours / orthanc);
        return `${ours.toFixed(1)} / ${orthanc.toFixed(1)} = **${(ours / orthanc).toFixed(2)}×**`;
      });
      if (!ratios.length) continue;
      lines.push(`| ${workload} c${conc} ${backend} | ${cells.join(' | ')} | ${median(ratios).toFixed(2)}× |`);
    }
  }
}
lines.push('', `Ours ÷ Orthanc's best of the same round (dx MB/s, ct and many instances/s). Unaccounted instances, all servers and rounds: ${unaccounted}.`);
process.stdout.write(`${lines.join('\n')}\n`);
