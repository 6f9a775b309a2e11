-- QIDO-RS at 1,000,000 instances: a PatientName prefix search (`Smi*`) matched 1,400 patients
-- through the trigram index and then rechecked each, and reached their studies through the plain
-- patient_ref_id index with one heap visit per study. Hand-written (expression index; Prisma's
-- schema cannot state it), hence the manual_ names the drift check skips.

-- PN matching compares accent-folded lower-case names (apps/server/src/dicomweb/qido-match.ts,
-- `fold`): a b-tree on exactly that expression answers prefix patterns as a range scan.
-- text_pattern_ops: LIKE 'abc%' uses the index whatever the database collation. The expression
-- must stay byte-identical to the one the server generates (qido-match.test.ts checks it).
CREATE INDEX "manual_patient_name_fold" ON "patient" (
  "practice_id",
  translate(lower("raw_patient_name"), 'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőùúûüūůűųýÿžźżšśşřťţ', 'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooouuuuuuuuyyzzzsssrtt') text_pattern_ops
);

-- A patient's studies in study-list order with everything the page step reads (practice, sort
-- key, id): index-only scans instead of a heap visit per study when a patient key filters.
CREATE INDEX "manual_study_patient_sort" ON "study" ("patient_ref_id", "practice_id", "study_date_value" DESC, "study_time" DESC, "id" DESC);
