import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Prisma } from '@vetpacs/db';
import { describe, expect, it } from 'vitest';
import { fold, toLike } from './qido-match';

const migration = path.resolve(import.meta.dirname, '../../../../prisma/migrations/20261128012500_qido_name_indexes/migration.sql');

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
});
