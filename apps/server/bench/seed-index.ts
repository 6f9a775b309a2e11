/**
 * Fills the index with a synthetic practice for QIDO scale benchmarks: patients, studies, series
 * and instances inserted directly by SQL (no objects are stored — QIDO reads only the index).
 * Deterministic: the same arguments give the same rows (UIDs and values derive from row numbers).
 *
 *   node --import tsx apps/server/bench/seed-index.ts --database-url postgres://… [--studies 85000]
 *
 * Prints `PRACTICE=<id> TOKEN=<api token>` and the row counts. The study mix (per 100 studies):
 * 40 DX (1 series × 3), 15 CR (1 × 2), 20 US (1 × 6), 15 CT (2 × 20), 10 MR (3 × 10) — about
 * 11.7 instances per study, so 85,000 studies ≈ 1,000,000 instances.
 */
import { parseArgs } from 'node:util';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    studies: { type: 'string', default: '85000' },
    slug: { type: 'string', default: 'synthetic-index' },
  },
});
const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('--database-url (or DATABASE_URL) is required');
const studies = Number(values.studies);
const patients = Math.max(1, Math.round(studies / 3));

const db = createDb(databaseUrl, { maxConnections: 1 });
const actor = { type: 'CLI' as const, id: 'bench-seed' };
const practice = await createPractice(db, { name: 'Synthetic Index', slug: values.slug! }, actor);
const { token } = await createApiToken(db, practice.id, { name: 'bench', role: 'VET' }, actor);
const pid = practice.id;
const t0 = Date.now();
const step = async (label: string, sql: string, ...args: unknown[]) => {
  const t = Date.now();
  const n = await db.$executeRawUnsafe(sql, ...args);
  process.stderr.write(`${label}: ${n} rows in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
};

const OWNERS = ['Smith', 'Jones', 'Miller', 'Müller', 'Brown', 'Garcia', 'Martin', 'Dubois', 'Rossi', 'Novak', 'Kowalski', 'Jensen', 'Murphy', 'Silva', 'Schmidt', 'Lefèvre', 'Walker', 'Young', 'King', 'Wright'];
const PETS = ['Rex', 'Bella', 'Max', 'Luna', 'Charlie', 'Milo', 'Daisy', 'Bärli', 'Coco', 'Rocky', 'Nala', 'Simba', 'Oscar', 'Lola', 'Toby'];
const SPECIES = ['Canine', 'Feline', 'Equine', 'Lapine', 'Avian'];
const arr = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(',')}]`;

await step(
  'patients',
  `INSERT INTO patient (id, practice_id, patient_id, issuer, raw_patient_name, pet_name, owner_name, owner_family_name,
     species_description, breed_description, sex, neutered, search_text, created_at, updated_at)
   SELECT gen_random_uuid(), $1::uuid, 'SYN' || g, '', o || '^' || p, p, o, o, s, s || ' mix', CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END,
          'UNKNOWN', lower(translate(o || ' ' || p, 'üèä', 'uea')) || ' syn' || g, now(), now()
   FROM generate_series(1, $2::int) g
   CROSS JOIN LATERAL (SELECT (${arr(OWNERS)})[1 + abs(hashint4(g)) % ${OWNERS.length}] AS o,
                              (${arr(PETS)})[1 + abs(hashint4(g * 31)) % ${PETS.length}] AS p,
                              (${arr(SPECIES)})[1 + abs(hashint4(g * 17)) % ${SPECIES.length}] AS s) x`,
  pid,
  patients,
);

await step(
  'studies',
  `INSERT INTO study (id, practice_id, patient_ref_id, study_instance_uid, study_date, study_date_value, study_time, accession_number,
     study_description, modalities_in_study, number_of_series, number_of_instances, created_at, updated_at)
   SELECT gen_random_uuid(), $1::uuid, p.id, '2.25.7700' || g, to_char(d, 'YYYYMMDD'), d, lpad((abs(hashint4(g * 3)) % 86400 / 3600)::text, 2, '0') || '3000',
          'SYNACC' || g, m || ' study', ARRAY[m], ns, ns * ni, now(), now()
   FROM generate_series(1, $2::int) g
   CROSS JOIN LATERAL (SELECT date '2019-01-01' + abs(hashint4(g)) % 2190 AS d, abs(hashint4(g * 7)) % 100 AS r) a
   CROSS JOIN LATERAL (SELECT CASE WHEN r < 40 THEN 'DX' WHEN r < 55 THEN 'CR' WHEN r < 75 THEN 'US' WHEN r < 90 THEN 'CT' ELSE 'MR' END AS m,
                              CASE WHEN r < 75 THEN 1 WHEN r < 90 THEN 2 ELSE 3 END AS ns,
                              CASE WHEN r < 40 THEN 3 WHEN r < 55 THEN 2 WHEN r < 75 THEN 6 WHEN r < 90 THEN 20 ELSE 10 END AS ni) b
   JOIN patient p ON p.practice_id = $1::uuid AND p.issuer = '' AND p.patient_id = 'SYN' || (1 + g % $3::int)`,
  pid,
  studies,
  patients,
);

await step(
  'series',
  `INSERT INTO series (id, practice_id, study_id, series_instance_uid, modality, series_number, series_description, number_of_instances,
     created_at, updated_at)
   SELECT gen_random_uuid(), $1::uuid, st.id, st.study_instance_uid || '.' || s, st.modalities_in_study[1], s, 'Series ' || s,
          st.number_of_instances / st.number_of_series, now(), now()
   FROM study st CROSS JOIN LATERAL generate_series(1, st.number_of_series) s
   WHERE st.practice_id = $1::uuid`,
  pid,
);

await step(
  'instances',
  `INSERT INTO instance (id, practice_id, series_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid, byte_size,
     sha256, object_key, number_of_frames, rows, columns, bits_allocated, version, has_conflict, metadata, created_at, updated_at)
   SELECT gen_random_uuid(), $1::uuid, se.id, se.series_instance_uid || '.' || k, '1.2.840.10008.5.1.4.1.1.7', k, '1.2.840.10008.1.2.1', 0,
          repeat('0', 64), 'synthetic/none', 1, 64, 64, 16, 1, false,
          jsonb_build_object('00080018', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array(se.series_instance_uid || '.' || k))),
          now(), now()
   FROM series se CROSS JOIN LATERAL generate_series(1, se.number_of_instances) k
   WHERE se.practice_id = $1::uuid`,
  pid,
);
// Steady state of a live database (autovacuum): statistics and visibility map for index-only scans.
await db.$executeRawUnsafe('VACUUM (ANALYZE) patient, study, series, instance');

const [counts] = await db.$queryRawUnsafe<{ studies: bigint; series: bigint; instances: bigint; total_instances: bigint }[]>(
  `SELECT (SELECT count(*) FROM study WHERE practice_id = $1::uuid) AS studies,
          (SELECT count(*) FROM series WHERE practice_id = $1::uuid) AS series,
          (SELECT count(*) FROM instance WHERE practice_id = $1::uuid) AS instances,
          (SELECT count(*) FROM instance) AS total_instances`,
  pid,
);
process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(counts, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
process.stdout.write(`PRACTICE=${pid} TOKEN=${token} STUDIES=${counts!.studies} INSTANCES=${counts!.instances}\n`);
await db.close();
