/**
 * A/B inside one server run: writes a copy of a server bundle in which every second STOW-RS request
 * is variant B (`globalThis.__variant === 1`) and each request's time in the STOW handler is kept per
 * variant; every 100 requests the bundle prints `AB <n> A(0) med … mean … B(1) med … mean …` (ms) on
 * stderr. A report, not a test.
 *
 *   node --import tsx scripts/bundle.ts apps/server/src/main.ts /tmp/a.mjs
 *   node --import tsx scripts/bench/ab-within-run.ts /tmp/a.mjs /tmp/ab.mjs /tmp/variant.json
 *   RESULTS=/tmp/ab bash scripts/bench/ingest-ab.sh /tmp/benchdata-many 1 ab /tmp/ab.mjs; grep '^AB' /tmp/ab/ab.err | tail -1
 *
 * variant.json: `[[old, new], …]` — each `old` text must occur once in the bundle; `new` decides
 * with `globalThis.__variant` (e.g. `x = globalThis.__variant === 1 ? b : a`). Without it the copy
 * is an A/A run (the method's own noise). Why: separate runs of the same build differ by 8–15 % on
 * these shared machines, halves of one run by ~1.5 % (medians; docs/benchmarks.md, 2026-12-06).
 * Only for concurrency 1 (a request's work must not mix with another's) and for what can be chosen
 * per request: anything that resets Postgres's plan cache (SET session_replication_role, DDL)
 * makes the next request of the other variant pay for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, replacements] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: ab-within-run.ts IN.mjs OUT.mjs [replacements.json]');
let code = readFileSync(input, 'utf8');

function replaceOnce(old: string, by: string): void {
  const at = code.indexOf(old);
  if (at < 0 || code.indexOf(old, at + 1) >= 0) throw new Error(`must occur exactly once in the bundle: ${old.slice(0, 120)}`);
  code = code.slice(0, at) + by + code.slice(at + old.length);
}

// The STOW-RS handler's first and last statements (apps/server/src/dicomweb/stow.ts, as bundled).
const start = 'const auth = requireAuth(req, UPLOAD_ROLES);';
replaceOnce(
  start,
  `const __t0 = performance.now();
    const __g = globalThis.__abs ??= { n: 0, lat: [[], []] };
    const __v = globalThis.__variant = (++__g.n) % 2;
    ${start}`,
);
const reply = 'return reply.status(status).type("application/dicom+json").send(body);';
replaceOnce(
  reply,
  `__g.lat[__v].push(performance.now() - __t0);
    if (__g.n % 100 === 0) {
      const med = (a) => { const b = [...a].sort((x, y) => x - y); return b.length ? b[Math.floor(b.length / 2)].toFixed(3) : '-'; };
      const mean = (a) => (a.length ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(3) : '-');
      console.error('AB', __g.n, 'A(0) med', med(__g.lat[0]), 'mean', mean(__g.lat[0]), 'B(1) med', med(__g.lat[1]), 'mean', mean(__g.lat[1]));
    }
    ${reply}`,
);
if (replacements) for (const [old, by] of JSON.parse(readFileSync(replacements, 'utf8')) as [string, string][]) replaceOnce(old, by);
writeFileSync(output, code);
console.log(`wrote ${output}`);
