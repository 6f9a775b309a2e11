import type { Db, DerivedKind } from '@vetpacs/db';

/** What a derived object is and where its bytes went. */
export interface DerivedRow {
  practiceId: string;
  kind: DerivedKind;
  objectKey: string;
  sha256: string;
  byteSize: number;
  transferSyntaxUid?: string | null;
}

/**
 * Records (or re-points) the derived object of an instance. Upsert on the partial unique index
 * (instance_id, kind, COALESCE(transfer_syntax_uid, '')) from the init migration: Postgres treats
 * NULLs as distinct, so Prisma's compound unique cannot express it. Running twice is harmless.
 */
export async function upsertInstanceDerived(db: Db, instanceId: string, seriesId: string, r: DerivedRow): Promise<void> {
  await db.$executeRaw`
    INSERT INTO derived_object (id, practice_id, instance_id, series_id, kind, transfer_syntax_uid, object_key, sha256, byte_size, created_at)
    VALUES (gen_random_uuid(), ${r.practiceId}::uuid, ${instanceId}::uuid, ${seriesId}::uuid, ${r.kind}::derived_kind,
            ${r.transferSyntaxUid ?? null}, ${r.objectKey}, ${r.sha256}, ${r.byteSize}, now())
    ON CONFLICT (instance_id, kind, COALESCE(transfer_syntax_uid, '')) WHERE instance_id IS NOT NULL
    DO UPDATE SET object_key = EXCLUDED.object_key, sha256 = EXCLUDED.sha256, byte_size = EXCLUDED.byte_size, created_at = now()`;
}

/** Series-level twin of {@link upsertInstanceDerived} (the partial index for instance_id IS NULL). */
export async function upsertSeriesDerived(db: Db, seriesId: string, r: DerivedRow): Promise<void> {
  await db.$executeRaw`
    INSERT INTO derived_object (id, practice_id, instance_id, series_id, kind, transfer_syntax_uid, object_key, sha256, byte_size, created_at)
    VALUES (gen_random_uuid(), ${r.practiceId}::uuid, NULL, ${seriesId}::uuid, ${r.kind}::derived_kind,
            ${r.transferSyntaxUid ?? null}, ${r.objectKey}, ${r.sha256}, ${r.byteSize}, now())
    ON CONFLICT (series_id, kind, COALESCE(transfer_syntax_uid, '')) WHERE instance_id IS NULL AND series_id IS NOT NULL
    DO UPDATE SET object_key = EXCLUDED.object_key, sha256 = EXCLUDED.sha256, byte_size = EXCLUDED.byte_size, created_at = now()`;
}
