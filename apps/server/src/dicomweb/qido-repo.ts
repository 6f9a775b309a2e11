import { type Db, Prisma } from '@vetpacs/db';
import { BULK_ROOT_PLACEHOLDER } from '../ingest/record';
import { DEFAULT_TAGS } from './qido-attributes';
import { resultJsonSql } from './qido-json';
import { matchSql } from './qido-match';
import type { QidoQuery } from './qido-query';

/** One page of QIDO-RS results. */
export interface QidoPage {
  /** Matches found, at most `limit + 1` (one more than asked tells that more results exist). */
  count: number;
  /** The first `limit` results as DICOM JSON objects, comma separated (the array without brackets). */
  body: string;
}

/**
 * Study searches that return exactly the default attributes (most study lists: PatientName, dates,
 * modalities, IDs) are answered from `study.qido_json`, the text each study keeps (written by ingest
 * with a new study, ingest/study-qido-text.ts, and rewritten by triggers on every later change;
 * migrations *_study_qido_json, *_ingest_study_qido_text_given): no per-request JSON writing, no
 * join to the patient.
 */
function usesStoredStudyJson(q: QidoQuery): boolean {
  const defaults = DEFAULT_TAGS.study;
  return q.level === 'study' && !q.extraTags.length && q.returnTags.size === defaults.length && defaults.every((t) => q.returnTags.has(t));
}

/**
 * Runs a QIDO-RS query as one parameterised SQL statement that returns the finished page. Every
 * table is filtered by the caller's practice; matching keys become conditions that the indexes
 * answer (study sort-key b-tree, modalities GIN, patient trigram and folded-name b-tree, UID unique
 * keys).
 *
 * The statement is built by qidoSql: a page of study ids joined back at study level, one limited
 * join at series and instance level.
 */
export async function runQido(db: Db, practiceId: string, q: QidoQuery, root: string): Promise<QidoPage> {
  const [row] = await db.$queryRaw<{ count: number; body: string | null }[]>(qidoSql(practiceId, q, root));
  return { count: row?.count ?? 0, body: row?.body ?? '' };
}

/** The statement of {@link runQido}: one row, `count` and `body`. */
function qidoSql(practiceId: string, q: QidoQuery, root: string): Prisma.Sql {
  const where: Prisma.Sql[] = [Prisma.sql`st.practice_id = ${practiceId}::uuid`];
  const matched = q.filters.map((f) => ({ f, sql: matchSql(f, q.fuzzy), onPatient: usesPatient(f.attr.matchColumn ?? f.attr.column) }));
  let conditions = matched.flatMap((m) => m.sql);
  let needsPatient = matched.some((m) => m.onPatient && m.sql.length);
  if (matched.some((m) => m.onPatient && m.f.attr.trigram && m.sql.length)) {
    // A name search selects few animals: find them first (name indexes), then their studies
    // through the (patient, sort key) index. Left to a join, the planner rechecked every candidate
    // patient and probed the study heap per study; this is half the time for `PatientName=Smi*` at
    // 1M instances. Other patient keys (sex, species) can match most animals and stay a join.
    const onPatient = matched.filter((m) => m.onPatient).flatMap((m) => m.sql);
    conditions = [
      ...matched.filter((m) => !m.onPatient).flatMap((m) => m.sql),
      Prisma.sql`st.patient_ref_id = ANY(ARRAY(SELECT p.id FROM patient p WHERE p.practice_id = ${practiceId}::uuid AND ${Prisma.join(onPatient, ' AND ')}))`,
    ];
    needsPatient = false;
  }
  // The study index (practice_id, study_date_value DESC, study_time DESC, id DESC) is the sort key.
  const studyOrder = Prisma.sql`st.study_date_value DESC, st.study_time DESC, st.id DESC`;
  // `x.extra`: stored instance JSON for includefield tags the index does not hold (resultJsonSql).
  const extra = q.extraTags.length ? Prisma.sql` CROSS JOIN LATERAL (SELECT ${extraJson(q)} AS extra) x` : Prisma.empty;
  if (q.level !== 'study') {
    // Series and instance pages come straight from one join: an id-page-then-join-back form
    // doubles the joins to plan (2 ms of planning for a 3 ms query), and these levels are not
    // paged deep. Postgres evaluates the costly JSON expression after Sort/Limit (it postpones
    // expensive target-list expressions past a LIMIT), so only returned rows are written; the
    // outer levels number the rows in the subquery's order and aggregate them.
    let from = Prisma.sql`study st JOIN patient p ON p.id = st.patient_ref_id JOIN series se ON se.study_id = st.id`;
    let order = Prisma.sql`${studyOrder}, se.series_number NULLS LAST, se.created_at, se.id`;
    where.push(Prisma.sql`se.practice_id = ${practiceId}::uuid`);
    if (q.level === 'instance') {
      from = Prisma.sql`${from} JOIN instance i ON i.series_id = se.id`;
      order = Prisma.sql`${order}, i.instance_number NULLS LAST, i.created_at, i.id`;
      where.push(Prisma.sql`i.practice_id = ${practiceId}::uuid`);
    }
    return Prisma.sql`
      SELECT count(*)::int AS count, string_agg(doc, ',' ORDER BY n) FILTER (WHERE n <= ${q.limit}) AS body
      FROM (SELECT page.doc, row_number() OVER () AS n FROM (
        SELECT ${resultJsonSql(q, root)} AS doc
        FROM ${from}${extra}
        WHERE ${Prisma.join([...where, ...conditions], ' AND ')}
        ORDER BY ${order}
        LIMIT ${q.limit + 1} OFFSET ${q.offset}) page) numbered`;
  }
  // Study level: the page of study ids first (an index walk when nothing else filters: OFFSET
  // skips index entries, not joined rows), numbered in its index order right away; then only those
  // rows are joined back and their texts aggregated by that number. Sorting the joined rows again
  // (as wide as their JSON) took ~8 of a 1000-row answer's ~17 ms at 1M instances.
  const pageFrom = needsPatient ? Prisma.sql`study st JOIN patient p ON p.id = st.patient_ref_id` : Prisma.sql`study st`;
  let rowFrom = Prisma.sql`page JOIN study st ON st.id = page.st_id JOIN patient p ON p.id = st.patient_ref_id`;
  let doc = resultJsonSql(q, root);
  if (usesStoredStudyJson(q)) {
    // The stored text; written on the spot (same function as the trigger) only if a row has none.
    // The root goes in here rather than in the server: Postgres's replace() is a C loop per row,
    // the server's replaceAll over the 700 KB page cost ~2.6 ms per request.
    rowFrom = Prisma.sql`page JOIN study st ON st.id = page.st_id`;
    doc = Prisma.sql`replace(COALESCE(st.qido_json, manual_qido_study_json(st, (SELECT p FROM patient p WHERE p.id = st.patient_ref_id))), ${BULK_ROOT_PLACEHOLDER}, ${root})`;
  }
  return Prisma.sql`
    WITH page AS MATERIALIZED (
      SELECT ordered.st_id, row_number() OVER () AS n FROM (
        SELECT st.id AS st_id FROM ${pageFrom}
        WHERE ${Prisma.join([...where, ...conditions], ' AND ')}
        ORDER BY ${studyOrder}
        LIMIT ${q.limit + 1} OFFSET ${q.offset}) ordered)
    SELECT count(*)::int AS count, string_agg(${doc}, ',' ORDER BY page.n) FILTER (WHERE page.n <= ${q.limit}) AS body
    FROM ${rowFrom}${extra}`;
}

/** True when a matching column lives on the patient table (alias `p`). */
function usesPatient(col: Prisma.Sql | undefined): boolean {
  return !!col && /\bp\./.test(col.sql);
}

/**
 * Non-indexed attributes come from the stored DICOM JSON of a representative instance: the row's
 * own instance, else the first instance (by number) of the series, else of the study's first
 * series. Patient and study modules are identical across a study's instances (PS3.3 §C.7.1-2).
 */
function extraJson(q: QidoQuery): Prisma.Sql {
  const pick = (meta: Prisma.Sql) =>
    Prisma.sql`(SELECT json_object_agg(e.key, e.value) FROM json_each(${meta}) e WHERE e.key = ANY(${q.extraTags}::text[]))`;
  if (q.level === 'instance') return pick(Prisma.sql`i.metadata`);
  const firstOfSeries = (seriesId: Prisma.Sql) =>
    Prisma.sql`(SELECT i2.metadata FROM instance i2 WHERE i2.series_id = ${seriesId} ORDER BY i2.instance_number NULLS LAST, i2.created_at LIMIT 1)`;
  if (q.level === 'series') return pick(firstOfSeries(Prisma.sql`se.id`));
  const firstSeries = Prisma.sql`(SELECT se2.id FROM series se2 WHERE se2.study_id = st.id ORDER BY se2.series_number NULLS LAST, se2.created_at LIMIT 1)`;
  return pick(firstOfSeries(firstSeries));
}
