-- Fewer index writes per ingested instance: four indexes no query needed, each written for every
-- new study or patient (a `many` instance is a new study; a third of them a new patient).
-- - study (practice_id, study_date_value DESC, study_time DESC, id DESC): the same key as
--   manual_study_list_modalities, which also INCLUDEs modalities_in_study; plain paging now walks
--   that one (same order, a slightly wider leaf).
-- - study (patient_ref_id): the leading column of manual_study_patient_sort, which serves the
--   foreign key's checks and every lookup by patient.
-- - patient (practice_id, pet_name) and (practice_id, owner_family_name): names are searched with
--   lower()/folded expressions and the search_text trigram index (studies list, QIDO-RS PetName /
--   OwnerName), which a plain b-tree on the column cannot serve.
-- Replaying `many` (scripts/bench/ingest-replay.ts, 5,000 instances, batches of 20, interleaved):
-- Postgres CPU per instance 634 / 464 / 594 → 604 / 434 / 594 µs (docs/benchmarks.md, "Ingest").

-- DropIndex
DROP INDEX "patient_practice_id_owner_family_name_idx";

-- DropIndex
DROP INDEX "patient_practice_id_pet_name_idx";

-- DropIndex
DROP INDEX "study_practice_id_study_date_value_study_time_id_idx";

-- DropIndex
DROP INDEX "study_patient_ref_id_idx";

