-- Two changes to the ingest write of a batch of instances (manual_ingest_batch), with the same
-- results, receipts, audit events and per-item errors as before.
--
-- 1. A batch runs in one subtransaction instead of one per item, its receipts are written by one
--    INSERT instead of one per item, and each item is recorded by a function call evaluated as an
--    expression (its composite result) instead of a query over a set-returning function:
--    - the items run without a sub-block of their own; if any of them fails, the whole batch's
--      subtransaction rolls back and the batch runs again with one sub-block per item as before,
--      so a failed item (an instance whose series belongs to another study, a deadlock with
--      another process) is still reported alone and the others are recorded;
--    - the per-item reuse of the last new item's patient, study and series rows is unchanged.
--    Replaying the 500 batches a server wrote for a `many` run (5,000 tiny studies, batches of 10)
--    into fresh databases, interleaved with the previous functions (scripts/bench/ingest-replay.ts,
--    REPLAY_FILE, VARIANTS): Postgres wall time per instance 734 / 721 → 690 / 671 µs, CPU 578 /
--    600 → 576 / 558 µs. At concurrency 1 a request's database write is most of its time.
--
-- 2. Instance metadata (the DICOM JSON served by WADO-RS, ~2.6 KB for a tiny instance, far more
--    for a CT slice) is stored as `json` (its text) instead of `jsonb`, and comes in its own
--    parameter, a JSON array of the batch's metadata in the items' order:
--    - it was parsed into a jsonb tree as part of the items, then copied out into the column; now
--      Postgres only validates its text once. It is never queried by key in bulk: it is served
--      whole (`metadata::text`, now a plain read instead of a jsonb-to-text conversion) and picked
--      from for QIDO includefield attributes (json_each).
--    - Interleaved replays against (1) alone: CPU per instance 549 against 575 µs (−4.5 %), wall
--      682 against 708 µs (means of five pairs). The metadata's whole share is larger: the same
--      batches with empty metadata cost 432–442 µs against 512–530 (docs/benchmarks.md, "Ingest").
--    Rows keep their content (jsonb text to json); compression stays lz4 where available.

ALTER TABLE "instance" ALTER COLUMN "metadata" SET DATA TYPE JSON USING "metadata"::json;
DO $$
BEGIN
  ALTER TABLE "instance" ALTER COLUMN "metadata" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 compression not available in this PostgreSQL build; instance metadata stays pglz';
END
$$;

DROP FUNCTION "manual_ingest_batch"(jsonb, jsonb);
DROP FUNCTION "manual_record_instance"(uuid, uuid, jsonb, jsonb, jsonb, jsonb, text, uuid, uuid, uuid);
CREATE FUNCTION "manual_receipt_reason"(p_kind text, p_version int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_kind
    WHEN 'duplicate' THEN format('already stored (version %s, same SHA-256)', p_version)
    WHEN 'conflict' THEN format('SOP Instance UID already stored with different bytes; kept as version %s, the original is unchanged', p_version)
  END
$$;

CREATE TYPE "manual_record_result" AS (kind text, instance_id uuid, series_id uuid, study_id uuid, version int, original_sha256 text, patient_ref uuid);


CREATE FUNCTION "manual_record_instance"(
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
      EXECUTE 'SELECT p.id FROM patient p WHERE p.practice_id = $1 AND p.patient_id = $2 AND p.issuer = $3'
        INTO v_patient USING p_practice, p_patient->>'patientId', p_patient->>'issuer';
    END IF;
    EXIT WHEN v_patient IS NOT NULL;
  END LOOP;

  -- Study: created once (with the site it came from), never rewritten by later instances.
  v_study := p_study_ref;
  FOR attempt IN 1..3 LOOP
    EXIT WHEN v_study IS NOT NULL;
    INSERT INTO study (id, practice_id, patient_ref_id, site_id, study_instance_uid, study_date, study_date_value, study_time,
        accession_number, study_description, referring_physician, study_id, institution_name,
        number_of_instances, number_of_series, modalities_in_study, last_instance_at, created_at, updated_at)
    VALUES (gen_random_uuid(), p_practice, v_patient, p_site, p_study->>'studyInstanceUid', p_study->>'studyDate',
        (p_study->>'studyDateValue')::date, p_study->>'studyTime', p_study->>'accessionNumber', p_study->>'studyDescription',
        p_study->>'referringPhysician', p_study->>'studyId', p_study->>'institutionName',
        1, 1, CASE WHEN p_series->>'modality' IS NULL THEN '{}'::text[] ELSE ARRAY[p_series->>'modality'] END, now(), now(), now())
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

CREATE FUNCTION "manual_ingest_batch"(p_items jsonb, p_requests jsonb, p_metadata json)
RETURNS TABLE (req int, idx int, kind text, instance_id uuid, series_id uuid, study_id uuid, version int,
               original_sha256 text, reason text, error text)
LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_req jsonb;
  v_failed int[];
  r manual_record_result;
  v_results manual_record_result[];
  v_errors text[];
  v_safe boolean := false;
  v_practice uuid;
  -- The rows of the last item recorded as new: the next item of the same patient, study or series
  -- (items come sorted, so a CT batch is one patient, study and series) reuses them instead of
  -- upserting and looking them up again. Rows an item wrote live on after its sub-block ends.
  v_prev_practice uuid;
  v_prev_patient jsonb;
  v_prev_patient_ref uuid;
  v_prev_study text;
  v_prev_study_ref uuid;
  v_prev_series text;
  v_prev_series_ref uuid;
  v_err text;
  i int;
  v_n bigint;
  v_meta json[];
  v_item_meta json;
BEGIN
  -- Each item's metadata, in the items' order.
  SELECT array_agg(x.e ORDER BY x.n) INTO v_meta FROM json_array_elements(p_metadata) WITH ORDINALITY AS x(e, n);
  -- At most two passes: all items in the batch's one subtransaction; if any fails, all again with
  -- a sub-block each (v_safe), so that only the failed ones are lost.
  LOOP
    BEGIN
      v_results := '{}'; v_errors := '{}'; v_failed := '{}';
      v_prev_practice := NULL;
      FOR v_item, v_n IN SELECT e.value, e.n FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
        v_practice := (v_item->>'practice')::uuid;
        v_item_meta := v_meta[v_n];
        v_err := NULL;
        IF v_safe THEN
          BEGIN
            r := manual_record_instance(
              v_practice, (v_item->>'site')::uuid, v_item->'patient', v_item->'study', v_item->'series', v_item->'instance', v_item->>'actor',
              CASE WHEN v_practice = v_prev_practice AND v_item->'patient' = v_prev_patient THEN v_prev_patient_ref END,
              CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study THEN v_prev_study_ref END,
              CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study
                    AND v_item->'series'->>'seriesInstanceUid' = v_prev_series THEN v_prev_series_ref END,
              v_item_meta);
          EXCEPTION WHEN OTHERS THEN
            r := NULL; v_err := SQLERRM;
            v_failed := v_failed || (v_item->>'req')::int;
          END;
        ELSE
          r := manual_record_instance(
            v_practice, (v_item->>'site')::uuid, v_item->'patient', v_item->'study', v_item->'series', v_item->'instance', v_item->>'actor',
            CASE WHEN v_practice = v_prev_practice AND v_item->'patient' = v_prev_patient THEN v_prev_patient_ref END,
            CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study THEN v_prev_study_ref END,
            CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study
                  AND v_item->'series'->>'seriesInstanceUid' = v_prev_series THEN v_prev_series_ref END,
            v_item_meta);
        END IF;
        v_results := v_results || r;
        v_errors := v_errors || v_err;
        IF r.kind = 'created' THEN
          v_prev_practice := v_practice;
          v_prev_patient := v_item->'patient';
          v_prev_patient_ref := r.patient_ref;
          v_prev_study := v_item->'study'->>'studyInstanceUid';
          v_prev_study_ref := r.study_id;
          v_prev_series := v_item->'series'->>'seriesInstanceUid';
          v_prev_series_ref := r.series_id;
        END IF;
      END LOOP;

      -- Every recorded item's receipt (a failed item has none: its request is told by the caller).
      INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, study_instance_uid, series_instance_uid,
                           status, reason, sha256, byte_size, gateway_id, user_id, api_token_id)
      SELECT gen_random_uuid(), (q.v->>'practice')::uuid, q.v->>'upload', it.v->'instance'->>'sopInstanceUid',
             it.v->'study'->>'studyInstanceUid', it.v->'series'->>'seriesInstanceUid',
             (CASE res.kind WHEN 'created' THEN 'STORED' WHEN 'duplicate' THEN 'DUPLICATE' ELSE 'CONFLICT' END)::receipt_status,
             manual_receipt_reason(res.kind, res.version), it.v->'instance'->>'sha256', (it.v->'instance'->>'byteSize')::bigint,
             (q.v->>'gateway')::uuid, (q.v->>'user')::uuid, (q.v->>'token')::uuid
        FROM unnest(v_results) WITH ORDINALITY AS res(kind, instance_id, series_id, study_id, version, original_sha256, patient_ref, n)
        CROSS JOIN LATERAL (SELECT p_items->(res.n::int - 1) AS v) it
        CROSS JOIN LATERAL (SELECT p_requests->((it.v->>'req')::int) AS v) q
       WHERE res.kind IS NOT NULL;
      EXIT;
    EXCEPTION WHEN OTHERS THEN
      IF v_safe THEN RAISE; END IF;
      v_safe := true;
    END;
  END LOOP;

  FOR i IN 1..coalesce(array_length(v_results, 1), 0) LOOP
    v_item := p_items->(i - 1);
    req := (v_item->>'req')::int;
    idx := i - 1;
    r := v_results[i];
    IF r.kind IS NULL THEN
      kind := 'error'; instance_id := NULL; series_id := NULL; study_id := NULL; version := NULL;
      original_sha256 := NULL; reason := NULL; error := v_errors[i];
    ELSE
      kind := r.kind; instance_id := r.instance_id; series_id := r.series_id; study_id := r.study_id;
      version := r.version; original_sha256 := r.original_sha256; reason := manual_receipt_reason(r.kind, r.version);
      error := NULL;
    END IF;
    RETURN NEXT;
  END LOOP;

  FOR v_req, req IN SELECT e.value, (e.n - 1)::int FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, n) LOOP
    INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, study_instance_uid, series_instance_uid,
                         status, reason, sha256, byte_size, gateway_id, user_id, api_token_id)
    SELECT gen_random_uuid(), (v_req->>'practice')::uuid, v_req->>'upload', x.sop, x.study, x.series,
           x.status::receipt_status, x.reason, x.sha256, x.size,
           (v_req->>'gateway')::uuid, (v_req->>'user')::uuid, (v_req->>'token')::uuid
      FROM jsonb_to_recordset(COALESCE(v_req->'receipts', '[]'::jsonb))
        AS x(sop text, study text, series text, status text, reason text, sha256 text, size bigint);
    IF jsonb_typeof(v_req->'audit') = 'object' AND NOT (req = ANY (v_failed)) THEN
      EXECUTE $sql$
        INSERT INTO audit_event (id, practice_id, actor_type, actor_id, action, entity_type, entity_id, source_ip, details)
        SELECT gen_random_uuid(), $1, ($3->>'actorType')::actor_type, $3->>'actorId', 'ingest.upload', 'upload', $2,
               $3->>'sourceIp',
               jsonb_build_object(
                 'stored', count(*) FILTER (WHERE rc.status = 'STORED'),
                 'duplicate', count(*) FILTER (WHERE rc.status = 'DUPLICATE'),
                 'conflict', count(*) FILTER (WHERE rc.status = 'CONFLICT'),
                 'rejected', count(*) FILTER (WHERE rc.status = 'REJECTED'),
                 'studies', COALESCE(jsonb_agg(DISTINCT rc.study_instance_uid) FILTER (WHERE rc.study_instance_uid IS NOT NULL), '[]'::jsonb),
                 'siteId', $3->'siteId')
          FROM receipt rc
         WHERE rc.practice_id = $1 AND rc.upload_id = $2
      $sql$ USING (v_req->>'practice')::uuid, v_req->>'upload', v_req->'audit';
      idx := -1; kind := 'audit'; instance_id := NULL; series_id := NULL; study_id := NULL;
      version := NULL; original_sha256 := NULL; reason := NULL; error := NULL;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$$;
