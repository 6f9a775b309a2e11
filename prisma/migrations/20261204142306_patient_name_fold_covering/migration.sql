-- Hand-written: the folded patient-name b-tree of 20261128012500_qido_name_indexes now also carries
-- the raw name and the row id, so a PatientName prefix search (`Smi*`) is an index-only scan that
-- hands the matching animals' ids to the study index without visiting the patient heap. Measured on
-- 1,000,000 instances (1,450 animals match): that step 8.0 → 0.4 ms warm, and on a cold cache the
-- ~555 patient heap pages it used to read are no longer read at all. raw_patient_name is included
-- because Postgres only plans an index-only scan on an expression index when the expression's
-- columns are in the index too (documented limitation). The expression must stay byte-identical to
-- `fold` in apps/server/src/dicomweb/qido-match.ts (qido-match.test.ts checks this file).
-- Rebuilt in this migration's transaction: writes to patient wait for the build (seconds at 1M
-- instances; a patient row per animal, not per image).
DROP INDEX "manual_patient_name_fold";
CREATE INDEX "manual_patient_name_fold" ON "patient" (
  "practice_id",
  translate(lower("raw_patient_name"), 'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőùúûüūůűųýÿžźżšśşřťţ', 'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooouuuuuuuuyyzzzsssrtt') text_pattern_ops
) INCLUDE ("raw_patient_name", "id");
