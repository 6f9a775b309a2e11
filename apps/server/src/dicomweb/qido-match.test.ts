import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Prisma } from '@vetpacs/db';
import { describe, expect, it } from 'vitest';
import { BY_KEYWORD } from './qido-attributes';
import { fold, matchSql, toLike } from './qido-match';

const migration = path.resolve(import.meta.dirname, '../../../../prisma/migrations/20261205171417_ingest_patient_lookup_cached/migration.sql');

describe('QIDO matching SQL', () => {
  it('folds names with the very expression the patient name index is built on', () => {
    // Postgres only uses an expression index for a byte-identical expression: a changed fold table
    // would silently turn prefix searches back into scans.
    expect(readFileSync(migration, 'utf8')).toContain(fold(Prisma.raw('"raw_patient_name"')).sql);
  });

  it('turns DICOM wildcards into LIKE patterns with LIKE metacharacters escaped', () => {
    expect(toLike('Smi*')).toBe('Smi%');
    expect(toLike('M?ller_50%')).toBe('M_ller\\_50\\%');
  });

  it('answers a PatientName pattern with a literal start from the folded-name range alone', () => {
    // The covering b-tree makes `Smi*` index-only; a trigram condition on patient.search_text
    // would force a heap visit per candidate. A leading wildcard or fuzzy matching keeps it.
    const attr = BY_KEYWORD.get('patientname')!;
    const sql = (value: string, fuzzy = false) => matchSql({ attr, value }, fuzzy).map((s) => s.sql).join(' AND ');
    expect(sql('Smi*')).not.toContain('search_text');
    expect(sql('Smith^Rex')).not.toContain('search_text');
    expect(sql('*smi*')).toContain('search_text');
    expect(sql('Smi*', true)).toContain('search_text');
  });
});
