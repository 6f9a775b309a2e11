import type { Db } from '@vetpacs/db';
import { BULK_ROOT_PLACEHOLDER } from '../ingest/record';
import { notFound } from '../lib/errors';

/** What retrieval needs of one stored instance. */
export interface StoredInstance {
  id: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  objectKey: string;
  byteSize: number;
  sha256: string;
}

/** A frame's byte ranges in the stored object (ingest's FrameLocation). */
export interface FrameRanges {
  ranges: { offset: number; length: number }[];
  length: number;
}

/** Pixel data location of one instance, for /frames and its BulkDataURI. */
export interface PixelInstance extends StoredInstance {
  numberOfFrames: number;
  pixelDataOffset: number | null;
  pixelDataLength: number | null;
  frames: FrameRanges[] | null;
}

/** The series row fields metadata serving needs. */
export interface SeriesMeta {
  id: string;
  seriesInstanceUid: string;
  numberOfInstances: number;
  metadataVersion: number;
  metadataObjectKey: string | null;
  updatedAt: Date;
}

export interface Uids {
  study: string;
  series?: string;
  instance?: string;
}

/**
 * Database reads of WADO-RS. Every statement is filtered by practice on each table it touches, so
 * another practice's UIDs find nothing (→ 404) rather than an error that would reveal them.
 */
export class WadoRepo {
  constructor(private readonly db: Db) {}

  /** Instances of a study / series / one instance, in series then instance number order; 404 if none. */
  async instances(practiceId: string, uids: Uids): Promise<StoredInstance[]> {
    // Straight on the pg pool as a prepared statement: on every retrieve, and Prisma's raw-query
    // layer costs ~0.1 ms of CPU per call on top of the round trip (see pixelInstance).
    const { rows } = await this.db.pool.query<Omit<StoredInstance, 'byteSize'> & { byteSize: string }>({
      name: 'wado_instances',
      text: `SELECT i.id, i.sop_instance_uid AS "sopInstanceUid", se.series_instance_uid AS "seriesInstanceUid",
                    i.transfer_syntax_uid AS "transferSyntaxUid", i.object_key AS "objectKey", i.byte_size AS "byteSize", i.sha256
             FROM study st
             JOIN series se ON se.study_id = st.id AND se.practice_id = $1::uuid
             JOIN instance i ON i.series_id = se.id AND i.practice_id = $1::uuid
             WHERE st.practice_id = $1::uuid AND st.study_instance_uid = $2
               AND ($3::text IS NULL OR se.series_instance_uid = $3)
               AND ($4::text IS NULL OR i.sop_instance_uid = $4)
             ORDER BY se.series_number NULLS LAST, se.created_at, i.instance_number NULLS LAST, i.created_at`,
      values: [practiceId, uids.study, uids.series ?? null, uids.instance ?? null],
    });
    if (!rows.length) throw notFound(uids.instance ? 'instance' : uids.series ? 'series' : 'study');
    return rows.map((r) => ({ ...r, byteSize: Number(r.byteSize) }));
  }

  /** One instance with its pixel data location; 404 when absent (or another practice's). */
  async pixelInstance(practiceId: string, uids: Required<Uids>): Promise<PixelInstance> {
    // One per frame request (OHIF fetches frames one by one): a prepared statement on the pg pool,
    // 0.09 ms of client CPU against 0.19 ms through Prisma's raw query (measured, 2,000 calls).
    const { rows } = await this.db.pool.query<
      Omit<PixelInstance, 'byteSize' | 'pixelDataOffset' | 'pixelDataLength'> & { byteSize: string; pixelDataOffset: string | null; pixelDataLength: string | null }
    >({
      name: 'wado_pixel_instance',
      text: `SELECT i.id, i.sop_instance_uid AS "sopInstanceUid", se.series_instance_uid AS "seriesInstanceUid",
                    i.transfer_syntax_uid AS "transferSyntaxUid", i.object_key AS "objectKey", i.byte_size AS "byteSize", i.sha256,
                    i.number_of_frames AS "numberOfFrames", i.pixel_data_offset AS "pixelDataOffset",
                    i.pixel_data_length AS "pixelDataLength", i.frame_offsets AS frames
             FROM instance i
             JOIN series se ON se.id = i.series_id AND se.practice_id = $1::uuid
             JOIN study st ON st.id = se.study_id AND st.practice_id = $1::uuid
             WHERE i.practice_id = $1::uuid AND i.sop_instance_uid = $2
               AND se.series_instance_uid = $3 AND st.study_instance_uid = $4`,
      values: [practiceId, uids.instance, uids.series, uids.study],
    });
    const row = rows[0];
    if (!row) throw notFound('instance');
    return {
      ...row,
      byteSize: Number(row.byteSize),
      pixelDataOffset: row.pixelDataOffset === null ? null : Number(row.pixelDataOffset),
      pixelDataLength: row.pixelDataLength === null ? null : Number(row.pixelDataLength),
    };
  }

  /** Stored transcoded copies (DerivedObject TRANSCODED) of the given instances in one syntax. */
  async transcodedCopies(practiceId: string, instanceIds: string[], transferSyntaxUid: string) {
    const rows = await this.db.derivedObject.findMany({
      where: { practiceId, instanceId: { in: instanceIds }, kind: 'TRANSCODED', transferSyntaxUid },
      select: { instanceId: true, objectKey: true, byteSize: true, sha256: true },
    });
    return new Map(rows.map((r) => [r.instanceId!, { objectKey: r.objectKey, byteSize: r.byteSize === null ? undefined : Number(r.byteSize), sha256: r.sha256 }]));
  }

  /** Series of a study (or the one named), for metadata; 404 when none. */
  async series(practiceId: string, study: string, series?: string): Promise<SeriesMeta[]> {
    const rows = await this.db.$queryRaw<SeriesMeta[]>`
      SELECT se.id, se.series_instance_uid AS "seriesInstanceUid", se.number_of_instances AS "numberOfInstances",
             se.metadata_version AS "metadataVersion", se.metadata_object_key AS "metadataObjectKey", se.updated_at AS "updatedAt"
      FROM study st JOIN series se ON se.study_id = st.id AND se.practice_id = ${practiceId}::uuid
      WHERE st.practice_id = ${practiceId}::uuid AND st.study_instance_uid = ${study}
        AND (${series ?? null}::text IS NULL OR se.series_instance_uid = ${series ?? null})
      ORDER BY se.series_number NULLS LAST, se.created_at`;
    if (!rows.length) throw notFound(series ? 'series' : 'study');
    return rows;
  }

  /**
   * A series' metadata as one JSON array text, aggregated by Postgres in one statement (the
   * fallback while the precomputed blob is missing or stale). BulkDataURIs get `root`.
   */
  async aggregatedMetadata(practiceId: string, seriesId: string, root: string): Promise<string> {
    const [row] = await this.db.$queryRaw<{ json: string }[]>`
      SELECT '[' || coalesce(replace(string_agg(metadata::text, ',' ORDER BY instance_number NULLS LAST, created_at), ${BULK_ROOT_PLACEHOLDER}, ${root}), '') || ']' AS json
      FROM instance WHERE series_id = ${seriesId}::uuid AND practice_id = ${practiceId}::uuid`;
    return row?.json ?? '[]';
  }

  /** One instance's metadata (JSON text, root resolved) and the fields its ETag depends on. */
  async instanceMetadata(practiceId: string, uids: Required<Uids>, root: string) {
    const [row] = await this.db.$queryRaw<{ json: string; sha256: string; updatedAt: Date }[]>`
      SELECT replace(i.metadata::text, ${BULK_ROOT_PLACEHOLDER}, ${root}) AS json, i.sha256, i.updated_at AS "updatedAt"
      FROM instance i
      JOIN series se ON se.id = i.series_id AND se.practice_id = ${practiceId}::uuid
      JOIN study st ON st.id = se.study_id AND st.practice_id = ${practiceId}::uuid
      WHERE i.practice_id = ${practiceId}::uuid AND i.sop_instance_uid = ${uids.instance}
        AND se.series_instance_uid = ${uids.series} AND st.study_instance_uid = ${uids.study}`;
    if (!row) throw notFound('instance');
    return row;
  }
}
