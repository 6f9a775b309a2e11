-- QIDO-RS `ModalitiesInStudy=DX&StudyDate=<90 days>` at 1M instances: the study list index found the
-- 3,500 studies of the range, then the heap was visited for each (1,700 pages) to test the
-- modalities — 40 ms, the slowest QIDO type left. Carrying modalities_in_study in the leaf lets the
-- same walk filter by modality from the index alone (index-only scan, under 1 ms). Also serves
-- `ModalitiesInStudy=…&limit=50` (walk newest first until 50 match). Hand-written (Prisma's schema
-- cannot declare INCLUDE columns), hence the manual_ name the drift check skips; the schema's
-- key-only index stays the one plain paging uses (smaller).
CREATE INDEX "manual_study_list_modalities" ON "study" ("practice_id", "study_date_value" DESC, "study_time" DESC, "id" DESC) INCLUDE ("modalities_in_study");
