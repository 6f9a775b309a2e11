-- DropIndex
DROP INDEX "study_practice_id_study_date_value_idx";

-- CreateIndex
CREATE INDEX "study_practice_id_study_date_value_study_time_id_idx" ON "study"("practice_id", "study_date_value" DESC, "study_time" DESC, "id" DESC);

