/**
 * Portal benchmark (a report, not a test): click-to-first-image in the embedded OHIF viewer, split
 * into app boot (click → first QIDO request) and our part (first QIDO → first image on the canvas),
 * for a 4-image radiograph study and a 300-slice CT; and worklist search latency at 5,000 studies.
 *
 *   pnpm exec tsx e2e/bench/portal-bench.ts            (prints a Markdown report)
 *
 * Everything runs on loopback against a fresh stack (support/stack.ts): real server, worker,
 * Postgres, Redis, s3rver, Debian Chromium through playwright-core.
 */
import { randomBytes } from 'node:crypto';
import { createDb, createPractice, createSite, createUser, type Db } from '@vetpacs/db';
import { makeDicom } from '@vetpacs/dicom/testing';
import { openBrowser, signIn } from '../support/browser';
import { startStack } from '../support/stack';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const out: string[] = [];
const say = (l: string) => {
  out.push(l);
  process.stderr.write(`${l}\n`);
};

async function stowBatches(baseUrl: string, auth: string, files: () => Generator<Uint8Array>, batch = 25) {
  let parts: Uint8Array[] = [];
  const send = async () => {
    const boundary = `b-${randomBytes(8).toString('hex')}`;
    const chunks: Buffer[] = [];
    for (const f of parts) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f), Buffer.from('\r\n'));
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await fetch(`${baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
      body: Buffer.concat(chunks),
    });
    if (res.status !== 200) throw new Error(`STOW ${res.status}: ${await res.text()}`);
    parts = [];
  };
  for (const f of files()) {
    parts.push(f);
    if (parts.length >= batch) await send();
  }
  if (parts.length) await send();
}

const ROOT = '1.2.826.0.1.3680043.10.1000.77';
function* radiographs() {
  for (let i = 1; i <= 4; i++) {
    yield makeDicom({ seed: 7701, studyInstanceUid: `${ROOT}.1`, seriesInstanceUid: `${ROOT}.1.${i}`, sopInstanceUid: `${ROOT}.1.${i}.1`, seriesNumber: i, instanceNumber: 1, patientName: 'Bench^Radio', patientId: 'BENCH-DX', modality: 'DX', rows: 2048, columns: 2048, bitsAllocated: 16, bitsStored: 12 });
  }
}
function* ct() {
  for (let i = 1; i <= 300; i++) {
    yield makeDicom({ seed: 7702, studyInstanceUid: `${ROOT}.2`, seriesInstanceUid: `${ROOT}.2.1`, sopInstanceUid: `${ROOT}.2.1.${i}`, instanceNumber: i, patientName: 'Bench^Ct', patientId: 'BENCH-CT', modality: 'CT', rows: 512, columns: 512, bitsAllocated: 16, bitsStored: 12 });
  }
}

/** 5,000 studies of 2,000 animals, inserted directly (the index is what search touches). */
async function bulkStudies(db: Db, practiceId: string, siteId: string) {
  await db.$executeRawUnsafe(
    `WITH names AS (SELECT ARRAY['Smith','Jones','Taylor','Brown','Williams','Wilson','Johnson','Davies','Robinson','Wright','Thompson','Evans','Walker','White','Roberts','Green','Hall','Wood','Jackson','Clarke','Müller','García','O''Brien','Nguyen','Kowalski'] AS owners,
                          ARRAY['Rex','Bella','Max','Luna','Charlie','Daisy','Milo','Coco','Teddy','Poppy','Bailey','Rosie','Buster','Molly','Oscar','Ruby','Archie','Lola','Alfie','Willow'] AS pets,
                          ARRAY['Canine','Feline','Equine','Lagomorph'] AS species)
     INSERT INTO patient (id, practice_id, patient_id, issuer, pet_name, owner_name, owner_family_name, species_description, microchip, search_text, created_at, updated_at)
     SELECT gen_random_uuid(), $1::uuid, 'B-' || g, '', pets[1 + g % 20], owners[1 + (g * 7) % 25] || ' ' || 'Jane', owners[1 + (g * 7) % 25], species[1 + g % 4],
            '98511' || lpad(g::text, 10, '0'),
            -- Ingest stores search_text lower-cased and accent-stripped (normaliseForSearch); so does this.
            translate(lower(pets[1 + g % 20] || ' ' || owners[1 + (g * 7) % 25] || ' jane b-' || g || ' 98511' || lpad(g::text, 10, '0') || ' ' || species[1 + g % 4]), 'áéíóúüñ''', 'aeiouun '),
            now(), now()
       FROM generate_series(1, 2000) g, names`,
    practiceId,
  );
  await db.$executeRawUnsafe(
    `INSERT INTO study (id, practice_id, patient_ref_id, site_id, study_instance_uid, study_date, study_date_value, accession_number, study_description, modalities_in_study, number_of_series, number_of_instances, created_at, updated_at)
     SELECT gen_random_uuid(), $1::uuid, p.id, $2::uuid, '${ROOT}.9.' || g, to_char(d, 'YYYYMMDD'), d, 'ACC' || g, 'Bench study ' || g,
            ARRAY[(ARRAY['DX','CR','US','CT','MR'])[1 + g % 5]], 1, 1, now(), now()
       FROM generate_series(1, 5000) g
       JOIN LATERAL (SELECT id FROM patient WHERE practice_id = $1::uuid AND patient_id = 'B-' || (1 + g % 2000)) p ON true
       CROSS JOIN LATERAL (SELECT (date '2021-01-01' + (g % 1800))::date AS d) dd`,
    practiceId, siteId,
  );
  await db.$executeRawUnsafe('ANALYZE patient; ANALYZE study');
}

async function main() {
  const stack = await startStack({ seedDemo: false });
  try {
    const db = createDb(stack.databaseUrl, { maxConnections: 2 });
    const actor = { type: 'SYSTEM' as const, id: 'bench' };
    const practice = await createPractice(db, { name: 'Bench Vets', slug: `bench-${stack.runId.replace(/_/g, '-')}` }, actor);
    const site = await createSite(db, practice.id, { name: 'Main', code: 'MAIN' }, actor);
    const user = { email: `bench-${stack.runId.replace(/_/g, '-')}@example.test`, password: 'bench-password-1' };
    await createUser(db, practice.id, { ...user, name: 'Bench Vet', role: 'VET' }, actor);
    const { createGateway } = await import('@vetpacs/db');
    const gw = await createGateway(db, practice.id, { siteId: site.id, name: 'bench' }, actor);
    const auth = `Basic ${Buffer.from(`${gw.keyId}:${gw.secret}`).toString('base64')}`;

    say('seeding: 4 × 2048² DX radiographs, 300 × 512² CT slices (STOW), 5,000 index rows');
    await stowBatches(stack.baseUrl, auth, radiographs, 4);
    await stowBatches(stack.baseUrl, auth, ct, 25);
    await bulkStudies(db, practice.id, site.id);

    // Worklist search latency (HTTP on loopback, session cookie, 25 rows per page).
    const login = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'vetpacs' },
      body: JSON.stringify(user),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const queries: [string, string][] = [
      ['newest first, no filter', ''],
      ['owner surname, fuzzy ("smyth")', 'owner=smyth'],
      ['pet name ("bel")', 'pet=bel'],
      ['microchip digits', 'microchip=0000001234'],
      ['species + modality', 'species=Feline&modality=DX'],
      ['date range (1 year)', 'from=2023-01-01&to=2023-12-31'],
      ['free text ("garcia")', 'q=garcia'],
      ['page 40', 'page=40'],
    ];
    const total = await db.study.count({ where: { practiceId: practice.id } });
    say('');
    say(`### Worklist search at ${total.toLocaleString('en')} studies (25 per page, 30 runs after 3 warm-ups)`);
    say('');
    say('| query | matches | median ms | p95 ms |');
    say('|---|---:|---:|---:|');
    for (const [label, q] of queries) {
      const times: number[] = [];
      let matches = 0;
      for (let i = 0; i < 33; i++) {
        const t = performance.now();
        const res = await fetch(`${stack.baseUrl}/api/studies?pageSize=25&${q}`, { headers: { cookie } });
        const body = (await res.json()) as { total: number };
        if (i >= 3) times.push(performance.now() - t);
        matches = body.total;
      }
      say(`| ${label} | ${matches} | ${median(times).toFixed(1)} | ${p95(times).toFixed(1)} |`);
    }
    await db.close();

    // Click → first image in OHIF.
    say('');
    say('### Click to first image in the viewer (Chromium headless, SwiftShader WebGL, loopback)');
    say('');
    say('| study | run | app boot: click → first QIDO (ms) | our part: first QIDO → first image (ms) | total (ms) | frame requests by first image |');
    say('|---|---|---:|---:|---:|---:|');
    for (const [label, patientId, uid] of [
      ['4-image DX radiograph study (2048², 16-bit)', 'BENCH-DX', `${ROOT}.1`],
      ['300-slice CT (512², 16-bit)', 'BENCH-CT', `${ROOT}.2`],
    ] as const) {
      const s = await openBrowser(stack.baseUrl);
      try {
        await signIn(s.page, user);
        for (const run of ['cold', 'warm 1', 'warm 2']) {
          await s.page.goto(`/?patientId=${patientId}`);
          const link = s.page.locator(`tr[data-study-uid="${uid}"] a:has-text("View")`);
          await link.waitFor();
          let firstQido = 0;
          let frames = 0;
          let firstImage = 0;
          const onReq = (r: { url(): string }) => {
            const u = r.url();
            if (!firstQido && /\/dicomweb\/studies\?/.test(u)) firstQido = Date.now();
            if (/\/frames\//.test(u) && !firstImage) frames++;
          };
          s.page.on('request', onReq);
          const t0 = Date.now();
          await link.click();
          await s.page.waitForFunction(
            () => {
              for (const c of document.querySelectorAll<HTMLCanvasElement>('canvas.cornerstone-canvas')) {
                const ctx = c.getContext('2d');
                if (!ctx || !c.width) continue;
                const d = ctx.getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4 * 97) if (d[i]! + d[i + 1]! + d[i + 2]! > 30) n++;
                if (n > 20) return true;
              }
              return false;
            },
            undefined,
            { polling: 'raf', timeout: 120_000 },
          );
          firstImage = Date.now();
          s.page.off('request', onReq);
          say(`| ${label} | ${run} | ${firstQido - t0} | ${firstImage - firstQido} | ${firstImage - t0} | ${frames} |`);
        }
      } finally {
        await s.close();
      }
    }
  } finally {
    await stack.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
