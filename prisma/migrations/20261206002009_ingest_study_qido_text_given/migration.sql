-- A new study's stored QIDO-RS text (study.qido_json) can come with its insert: ingest writes it
-- (apps/server/src/ingest/study-qido-text.ts, the same bytes as manual_qido_study_json for the new
-- row; apps/server/test/ingest-qido-text.int.test.ts compares them) and the insert trigger then
-- does not. Measured (docs/benchmarks.md, 2026-12-06): Postgres CPU per `many` instance replayed as
-- a concurrency-1 request writes it −5.5 % (363 / 360 → 343 / 340 µs); in one server run with every
-- other request's text left to the trigger, request latency −2.0 to −3.2 % (medians; ±1.4 % between
-- identical halves); the text costs ingest 1.9 µs of JavaScript per new study. A study
-- inserted without it gets it from the trigger as before, and every update of a study row
-- (counters, modalities, corrections, a patient's new name) still rewrites it in SQL.
-- manual_record_instance is unchanged but for the column.

DROP TRIGGER "manual_study_qido_json" ON "study";
CREATE TRIGGER "manual_study_qido_json_insert" BEFORE INSERT ON "study"
  FOR EACH ROW WHEN (NEW.qido_json IS NULL) EXECUTE FUNCTION manual_study_qido_json_refresh();
CREATE TRIGGER "manual_study_qido_json" BEFORE UPDATE ON "study"
  FOR EACH ROW EXECUTE FUNCTION manual_study_qido_json_refresh();

CREATE OR REPLACE FUNCTION "manual_record_instance"(
  p_practice uuid, p_site uuid, p_patient jsonb, p_study jsonb, p_series jsonb, p_instance jsonb, p_received_from text,
  p_patient_ref uuid, p_study_ref uuid, p_series_ref uuid, p_metadata json
) RETURNS manual_record_result
LANGUAGE plpgsql AS $$
DECLARE
  v_patient uuid;
  v_study uuid;
  v_series uuid;
  v_series_study uuid;
  v_series_new boolean := false;
  v_study_new boolean := false;
  v_instance uuid;
  v_existing record;
  v_same int;
  v_version int;
BEGIN
  -- Patient: update demographics only when something changed (500 slices must not rewrite it 500 times).
  v_patient := p_patient_ref;
  FOR attempt IN 1..3 LOOP
    EXIT WHEN v_patient IS NOT NULL;
    INSERT INTO patient AS p (id, practice_id, patient_id, issuer, raw_patient_name, pet_name, owner_name, owner_family_name,
        species_description, species_code, breed_description, breed_code, breed_registration, sex, neutered, birth_date,
        microchip, responsible_person_role, responsible_organization, search_text, created_at, updated_at)
    VALUES (gen_random_uuid(), p_practice, p_patient->>'patientId', p_patient->>'issuer', p_patient->>'rawPatientName',
        p_patient->>'petName', p_patient->>'ownerName', p_patient->>'ownerFamilyName', p_patient->>'speciesDescription',
        p_patient->>'speciesCode', p_patient->>'breedDescription', p_patient->>'breedCode',
        COALESCE(p_patient->'breedRegistration', '[]'::jsonb), p_patient->>'sex', (p_patient->>'neutered')::neutered,
        p_patient->>'birthDate', p_patient->>'microchip', p_patient->>'responsiblePersonRole',
        p_patient->>'responsibleOrganization', p_patient->>'searchText', now(), now())
    ON CONFLICT (practice_id, patient_id, issuer) DO UPDATE SET
        raw_patient_name = EXCLUDED.raw_patient_name, pet_name = EXCLUDED.pet_name, owner_name = EXCLUDED.owner_name,
        owner_family_name = EXCLUDED.owner_family_name, species_description = EXCLUDED.species_description,
        species_code = EXCLUDED.species_code, breed_description = EXCLUDED.breed_description, breed_code = EXCLUDED.breed_code,
        breed_registration = EXCLUDED.breed_registration, sex = EXCLUDED.sex, neutered = EXCLUDED.neutered,
        birth_date = EXCLUDED.birth_date, microchip = EXCLUDED.microchip, responsible_person_role = EXCLUDED.responsible_person_role,
        responsible_organization = EXCLUDED.responsible_organization, search_text = EXCLUDED.search_text, updated_at = now()
      WHERE (p.raw_patient_name, p.pet_name, p.owner_name, p.owner_family_name, p.species_description, p.species_code,
             p.breed_description, p.breed_code, p.breed_registration, p.sex, p.neutered, p.birth_date, p.microchip,
             p.responsible_person_role, p.responsible_organization, p.search_text)
        IS DISTINCT FROM
            (EXCLUDED.raw_patient_name, EXCLUDED.pet_name, EXCLUDED.owner_name, EXCLUDED.owner_family_name,
             EXCLUDED.species_description, EXCLUDED.species_code, EXCLUDED.breed_description, EXCLUDED.breed_code,
             EXCLUDED.breed_registration, EXCLUDED.sex, EXCLUDED.neutered, EXCLUDED.birth_date, EXCLUDED.microchip,
             EXCLUDED.responsible_person_role, EXCLUDED.responsible_organization, EXCLUDED.search_text)
    RETURNING p.id INTO v_patient;
    IF v_patient IS NULL THEN
      -- Static SQL, its plan cached: the unique key is the only index this lookup can use (above).
      SELECT p.id FROM patient p
       WHERE p.practice_id = p_practice AND p.patient_id = p_patient->>'patientId' AND p.issuer = p_patient->>'issuer'
        INTO v_patient;
    END IF;
    EXIT WHEN v_patient IS NOT NULL;
  END LOOP;

  -- Study: created once (with the site it came from), never rewritten by later instances.
  v_study := p_study_ref;
  FOR attempt IN 1..3 LOOP
    EXIT WHEN v_study IS NOT NULL;
    INSERT INTO study (id, practice_id, patient_ref_id, site_id, study_instance_uid, study_date, study_date_value, study_time,
        accession_number, study_description, referring_physician, study_id, institution_name,
        number_of_instances, number_of_series, modalities_in_study, last_instance_at, created_at, updated_at, qido_json)
    VALUES (gen_random_uuid(), p_practice, v_patient, p_site, p_study->>'studyInstanceUid', p_study->>'studyDate',
        (p_study->>'studyDateValue')::date, p_study->>'studyTime', p_study->>'accessionNumber', p_study->>'studyDescription',
        p_study->>'referringPhysician', p_study->>'studyId', p_study->>'institutionName',
        1, 1, CASE WHEN p_series->>'modality' IS NULL THEN '{}'::text[] ELSE ARRAY[p_series->>'modality'] END, now(), now(), now(),
        p_study->>'qidoJson')
    ON CONFLICT (practice_id, study_instance_uid) DO NOTHING
    RETURNING id INTO v_study;
    IF v_study IS NOT NULL THEN
      v_study_new := true;
    ELSE
      EXECUTE 'SELECT s.id FROM study s WHERE s.practice_id = $1 AND s.study_instance_uid = $2'
        INTO v_study USING p_practice, p_study->>'studyInstanceUid';
    END IF;
    EXIT WHEN v_study IS NOT NULL;
  END LOOP;

  v_series := p_series_ref;
  v_series_study := CASE WHEN p_series_ref IS NOT NULL THEN v_study END;
  FOR attempt IN 1..3 LOOP
    EXIT WHEN v_series IS NOT NULL;
    INSERT INTO series (id, practice_id, study_id, series_instance_uid, modality, series_number, series_description,
        body_part_examined, number_of_instances, created_at, updated_at)
    VALUES (gen_random_uuid(), p_practice, v_study, p_series->>'seriesInstanceUid', p_series->>'modality',
        (p_series->>'seriesNumber')::int, p_series->>'seriesDescription', p_series->>'bodyPartExamined', 1, now(), now())
    ON CONFLICT (practice_id, series_instance_uid) DO NOTHING
    RETURNING id INTO v_series;
    IF v_series IS NOT NULL THEN
      v_series_new := true;
      v_series_study := v_study;
    ELSE
      EXECUTE 'SELECT s.id, s.study_id FROM series s WHERE s.practice_id = $1 AND s.series_instance_uid = $2'
        INTO v_series, v_series_study USING p_practice, p_series->>'seriesInstanceUid';
    END IF;
    EXIT WHEN v_series IS NOT NULL;
  END LOOP;
  IF v_series_study IS DISTINCT FROM v_study THEN
    RAISE EXCEPTION 'SERIES_IN_OTHER_STUDY' USING ERRCODE = 'P0001',
      DETAIL = format('SeriesInstanceUID %s already belongs to another study', p_series->>'seriesInstanceUid');
  END IF;

  INSERT INTO instance (id, practice_id, series_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
      byte_size, sha256, object_key, number_of_frames, rows, columns, bits_allocated, pixel_data_offset, pixel_data_length,
      frame_offsets, version, has_conflict, metadata, created_at, updated_at)
  VALUES (gen_random_uuid(), p_practice, v_series, p_instance->>'sopInstanceUid', p_instance->>'sopClassUid',
      (p_instance->>'instanceNumber')::int, p_instance->>'transferSyntaxUid', (p_instance->>'byteSize')::bigint,
      p_instance->>'sha256', p_instance->>'objectKey', (p_instance->>'numberOfFrames')::int, (p_instance->>'rows')::int,
      (p_instance->>'columns')::int, (p_instance->>'bitsAllocated')::int, (p_instance->>'pixelDataOffset')::bigint,
      (p_instance->>'pixelDataLength')::bigint, p_instance->'frameOffsets', 1, false, p_metadata, now(), now())
  ON CONFLICT (practice_id, sop_instance_uid) DO NOTHING
  RETURNING id INTO v_instance;

  IF v_instance IS NOT NULL THEN
    INSERT INTO instance_version (id, practice_id, instance_id, version, sha256, byte_size, object_key, transfer_syntax_uid, received_from, created_at)
    VALUES (gen_random_uuid(), p_practice, v_instance, 1, p_instance->>'sha256', (p_instance->>'byteSize')::bigint,
        p_instance->>'objectKey', p_instance->>'transferSyntaxUid', p_received_from, now());
    -- A study or series created above already counts this instance: no second write of its row.
    IF NOT v_series_new THEN
      UPDATE series s SET number_of_instances = s.number_of_instances + 1, updated_at = now() WHERE s.id = v_series;
    END IF;
    IF NOT v_study_new THEN
    UPDATE study s SET number_of_instances = s.number_of_instances + 1,
        number_of_series = s.number_of_series + (CASE WHEN v_series_new THEN 1 ELSE 0 END),
        modalities_in_study = CASE WHEN p_series->>'modality' IS NULL OR (p_series->>'modality') = ANY(s.modalities_in_study)
                                   THEN s.modalities_in_study ELSE array_append(s.modalities_in_study, p_series->>'modality') END,
        last_instance_at = now(), updated_at = now()
     WHERE s.id = v_study;
    END IF;
    RETURN ROW('created', v_instance, v_series, v_study, 1, NULL, v_patient)::manual_record_result;
  END IF;

  -- The UID already exists (so in another series): a study or series created above counted an
  -- instance it does not hold. As before, counters only count recorded instances.
  IF v_series_new THEN
    UPDATE series s SET number_of_instances = 0 WHERE s.id = v_series;
  END IF;
  IF v_study_new THEN
    UPDATE study s SET number_of_instances = 0, number_of_series = 0, modalities_in_study = '{}' WHERE s.id = v_study;
  END IF;

  -- The UID exists: lock it, then compare the bytes with every version we hold.
  EXECUTE 'SELECT i.id, i.series_id, i.sha256 FROM instance i WHERE i.practice_id = $1 AND i.sop_instance_uid = $2 FOR UPDATE'
    INTO v_existing USING p_practice, p_instance->>'sopInstanceUid';
  EXECUTE 'SELECT iv.version FROM instance_version iv WHERE iv.instance_id = $1 AND iv.sha256 = $2 ORDER BY iv.version LIMIT 1'
    INTO v_same USING v_existing.id, p_instance->>'sha256';
  IF v_same IS NOT NULL THEN
    RETURN ROW('duplicate', v_existing.id, v_existing.series_id, v_study, v_same, NULL, v_patient)::manual_record_result;
  END IF;
  EXECUTE 'SELECT COALESCE(max(iv.version), 1) + 1 FROM instance_version iv WHERE iv.instance_id = $1'
    INTO v_version USING v_existing.id;
  INSERT INTO instance_version (id, practice_id, instance_id, version, sha256, byte_size, object_key, transfer_syntax_uid, received_from, created_at)
  VALUES (gen_random_uuid(), p_practice, v_existing.id, v_version, p_instance->>'sha256', (p_instance->>'byteSize')::bigint,
      p_instance->>'objectKey', p_instance->>'transferSyntaxUid', p_received_from, now());
  -- The first-received bytes stay the served version; the conflict is flagged for a human.
  UPDATE instance i SET has_conflict = true, updated_at = now() WHERE i.id = v_existing.id;
  RETURN ROW('conflict', v_existing.id, v_existing.series_id, v_study, v_version, v_existing.sha256, v_patient)::manual_record_result;
END;
$$;
