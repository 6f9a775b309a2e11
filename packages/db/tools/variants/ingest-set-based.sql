-- A variant for packages/db/tools/ingest-replay.ts (EXTRA_SQL), measured on 2026-12-05 and NOT
-- adopted (docs/benchmarks.md, "Ingest", runs of 2026-12-05 08:12): a batch of new instances
-- written with one statement per table instead of one manual_record_instance call per instance.
-- Postgres CPU per tiny instance was the same within the noise (the rows' own work — index
-- inserts, foreign-key checks, the study's QIDO trigger, TOAST — dominates, not statement
-- overhead). Kept so that the measurement can be repeated:
--   EXTRA_SQL=packages/db/tools/variants/ingest-set-based.sql node --import tsx packages/db/tools/ingest-replay.ts
CREATE FUNCTION "manual_ingest_new_batch"(p_items jsonb, p_requests jsonb)
RETURNS TABLE (idx int, instance_id uuid, series_id uuid, study_id uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_n int;
  v_distinct int;
  v_stored int;
  v_new_studies uuid[];
  v_new_series uuid[];
  -- Per item, in order: its study, its series and that series' study, its new instance.
  v_study uuid[];
  v_series uuid[];
  v_series_study uuid[];
  v_instance uuid[];
  v_patient uuid[];
BEGIN
  -- Rows are found by key with EXECUTE, planned at each call with the tables' current sizes (see
  -- *_ingest_lookups_planned_per_call), each through a scalar subquery: an index lookup on the
  -- unique key. (Joins of the items with a table were planned as hash joins over the whole table,
  -- the planner not knowing how few items there are.) The other statements keep cached plans: a
  -- function-wide plan_cache_mode would re-plan every foreign-key check and trigger query too.
  -- Only instances none of which is stored yet, each once.
  EXECUTE $sql$
    SELECT count(*)::int, count(DISTINCT (x.practice, x.sop))::int, count(*) FILTER (WHERE x.stored)::int
      FROM (SELECT (e->>'practice')::uuid AS practice, e->'instance'->>'sopInstanceUid' AS sop,
                   EXISTS (SELECT 1 FROM instance i WHERE i.practice_id = (e->>'practice')::uuid
                                                      AND i.sop_instance_uid = e->'instance'->>'sopInstanceUid') AS stored
              FROM jsonb_array_elements($1) e) x
  $sql$ INTO v_n, v_distinct, v_stored USING p_items;
  IF v_n = 0 OR v_distinct < v_n OR v_stored > 0 THEN
    RETURN;
  END IF;

  -- Patients: each once, with the attributes of its last item (as item-by-item upserts leave it),
  -- in the lock order of IngestRepo (practice, issuer, patient ID).
  INSERT INTO patient AS p (id, practice_id, patient_id, issuer, raw_patient_name, pet_name, owner_name, owner_family_name,
      species_description, species_code, breed_description, breed_code, breed_registration, sex, neutered, birth_date,
      microchip, responsible_person_role, responsible_organization, search_text, created_at, updated_at)
  SELECT gen_random_uuid(), t.practice, t.pa->>'patientId', t.pa->>'issuer', t.pa->>'rawPatientName',
      t.pa->>'petName', t.pa->>'ownerName', t.pa->>'ownerFamilyName', t.pa->>'speciesDescription',
      t.pa->>'speciesCode', t.pa->>'breedDescription', t.pa->>'breedCode',
      COALESCE(t.pa->'breedRegistration', '[]'::jsonb), t.pa->>'sex', (t.pa->>'neutered')::neutered,
      t.pa->>'birthDate', t.pa->>'microchip', t.pa->>'responsiblePersonRole',
      t.pa->>'responsibleOrganization', t.pa->>'searchText', now(), now()
    FROM (SELECT DISTINCT ON ((e->>'practice')::uuid, e->'patient'->>'issuer' COLLATE "C", e->'patient'->>'patientId' COLLATE "C")
                 (e->>'practice')::uuid AS practice, e->'patient' AS pa
            FROM jsonb_array_elements(p_items) WITH ORDINALITY AS a(e, n)
           ORDER BY (e->>'practice')::uuid, e->'patient'->>'issuer' COLLATE "C", e->'patient'->>'patientId' COLLATE "C", n DESC) t
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
           EXCLUDED.responsible_person_role, EXCLUDED.responsible_organization, EXCLUDED.search_text);

  EXECUTE $sql$
    SELECT array_agg((SELECT p.id FROM patient p WHERE p.practice_id = (a.e->>'practice')::uuid
                         AND p.patient_id = a.e->'patient'->>'patientId' AND p.issuer = a.e->'patient'->>'issuer') ORDER BY a.n)
      FROM jsonb_array_elements($1) WITH ORDINALITY AS a(e, n)
  $sql$ INTO v_patient USING p_items;

  -- Studies: created with their first item's attributes, site and patient, counting the batch's
  -- instances, series and modalities (in order of first appearance); existing ones are left for below.
  WITH it AS (
    SELECT n, (e->>'practice')::uuid AS practice, e->>'site' AS site, e->'patient' AS pa, e->'study' AS st,
           e->'study'->>'studyInstanceUid' AS study_uid, e->'series'->>'seriesInstanceUid' AS series_uid,
           e->'series'->>'modality' AS modality
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS a(e, n)
  ), counts AS (
    SELECT practice, study_uid, count(*)::int AS instances, count(DISTINCT series_uid)::int AS series
      FROM it GROUP BY practice, study_uid
  ), mods AS (
    SELECT practice, study_uid, array_agg(modality ORDER BY first) AS modalities
      FROM (SELECT practice, study_uid, modality, min(n) AS first FROM it WHERE modality IS NOT NULL
             GROUP BY practice, study_uid, modality) m
     GROUP BY practice, study_uid
  ), ins AS (
    INSERT INTO study (id, practice_id, patient_ref_id, site_id, study_instance_uid, study_date, study_date_value, study_time,
        accession_number, study_description, referring_physician, study_id, institution_name,
        number_of_instances, number_of_series, modalities_in_study, last_instance_at, created_at, updated_at)
    SELECT gen_random_uuid(), f.practice, v_patient[f.n], f.site::uuid, f.study_uid, f.st->>'studyDate',
        (f.st->>'studyDateValue')::date, f.st->>'studyTime', f.st->>'accessionNumber', f.st->>'studyDescription',
        f.st->>'referringPhysician', f.st->>'studyId', f.st->>'institutionName',
        c.instances, c.series, COALESCE(m.modalities, '{}'::text[]), now(), now(), now()
      FROM (SELECT DISTINCT ON (practice, study_uid) * FROM it ORDER BY practice, study_uid, n) f
      JOIN counts c ON c.practice = f.practice AND c.study_uid = f.study_uid
      LEFT JOIN mods m ON m.practice = f.practice AND m.study_uid = f.study_uid
     ORDER BY f.practice, f.study_uid COLLATE "C"
    ON CONFLICT (practice_id, study_instance_uid) DO NOTHING
    RETURNING id
  )
  SELECT COALESCE(array_agg(id), '{}') INTO v_new_studies FROM ins;

  EXECUTE $sql$
    SELECT array_agg((SELECT s.id FROM study s WHERE s.practice_id = (a.e->>'practice')::uuid
                         AND s.study_instance_uid = a.e->'study'->>'studyInstanceUid') ORDER BY a.n)
      FROM jsonb_array_elements($1) WITH ORDINALITY AS a(e, n)
  $sql$ INTO v_study USING p_items;

  -- Series: created with their first item's attributes under their study, counting the batch's instances.
  WITH it AS (
    SELECT n, (e->>'practice')::uuid AS practice, e->'series' AS se, e->'series'->>'seriesInstanceUid' AS series_uid
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS a(e, n)
  ), ins AS (
    INSERT INTO series (id, practice_id, study_id, series_instance_uid, modality, series_number, series_description,
        body_part_examined, number_of_instances, created_at, updated_at)
    SELECT gen_random_uuid(), f.practice, v_study[f.n], f.series_uid, f.se->>'modality', (f.se->>'seriesNumber')::int,
        f.se->>'seriesDescription', f.se->>'bodyPartExamined',
        (SELECT count(*)::int FROM it c WHERE c.practice = f.practice AND c.series_uid = f.series_uid), now(), now()
      FROM (SELECT DISTINCT ON (practice, series_uid) * FROM it ORDER BY practice, series_uid, n) f
     ORDER BY f.practice, f.series_uid COLLATE "C"
    ON CONFLICT (practice_id, series_instance_uid) DO NOTHING
    RETURNING id
  )
  SELECT COALESCE(array_agg(id), '{}') INTO v_new_series FROM ins;

  EXECUTE $sql$
    SELECT array_agg((x.se).id ORDER BY x.n), array_agg((x.se).study_id ORDER BY x.n)
      FROM (SELECT a.n, (SELECT s FROM series s WHERE s.practice_id = (a.e->>'practice')::uuid
                            AND s.series_instance_uid = a.e->'series'->>'seriesInstanceUid') AS se
              FROM jsonb_array_elements($1) WITH ORDINALITY AS a(e, n)) x
  $sql$ INTO v_series, v_series_study USING p_items;
  -- Every item's series must belong to the item's study (otherwise item by item, which rejects it).
  IF v_series_study IS DISTINCT FROM v_study THEN
    RAISE EXCEPTION 'INGEST_BATCH_DECLINED' USING DETAIL = 'a series of another study';
  END IF;

  -- Series and studies that existed before this batch count its instances (and new series and
  -- modalities). Planned at each call as well (EXECUTE): a generic plan made while the tables were
  -- small could keep scanning them whole.
  IF EXISTS (SELECT 1 FROM unnest(v_series) u WHERE NOT (u = ANY (v_new_series))) THEN
    EXECUTE $sql$
      UPDATE series se SET number_of_instances = se.number_of_instances + (SELECT count(*)::int FROM unnest($1) u WHERE u = se.id),
          updated_at = now()
       WHERE se.id = ANY (ARRAY(SELECT DISTINCT u FROM unnest($1) u WHERE NOT (u = ANY ($2)) ORDER BY u))
    $sql$ USING v_series, v_new_series;
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(v_study) u WHERE NOT (u = ANY (v_new_studies))) THEN
    EXECUTE $sql$
      WITH it AS (
        SELECT n, $2[n] AS study, $3[n] AS series, e->'series'->>'modality' AS modality
          FROM jsonb_array_elements($1) WITH ORDINALITY AS a(e, n)
      ), counts AS (
        SELECT study, count(*)::int AS instances, count(DISTINCT series) FILTER (WHERE series = ANY ($4))::int AS new_series,
               (SELECT array_agg(m.modality ORDER BY m.first)
                  FROM (SELECT i2.modality, min(i2.n) AS first FROM it i2 WHERE i2.study = it.study AND i2.modality IS NOT NULL
                         GROUP BY i2.modality) m) AS modalities
          FROM it WHERE NOT (study = ANY ($5)) GROUP BY study
      )
      UPDATE study s SET number_of_instances = s.number_of_instances + c.instances,
          number_of_series = s.number_of_series + c.new_series,
          modalities_in_study = s.modalities_in_study || ARRAY(
            SELECT u.m FROM unnest(COALESCE(c.modalities, '{}'::text[])) WITH ORDINALITY AS u(m, o)
             WHERE NOT (u.m = ANY (s.modalities_in_study)) ORDER BY u.o),
          last_instance_at = now(), updated_at = now()
        FROM counts c
       WHERE s.id = c.study AND s.id = ANY (ARRAY(SELECT DISTINCT u FROM unnest($2) u WHERE NOT (u = ANY ($5)) ORDER BY u))
    $sql$ USING p_items, v_study, v_series, v_new_series, v_new_studies;
  END IF;

  -- Instances (version 1), their version rows and receipts. A concurrent writer that stored one of
  -- them meanwhile leaves fewer rows inserted: item by item then.
  WITH it AS (
    SELECT n, e, (e->>'practice')::uuid AS practice, e->'instance' AS i
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS a(e, n)
  ), ins AS (
    INSERT INTO instance (id, practice_id, series_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
        byte_size, sha256, object_key, number_of_frames, rows, columns, bits_allocated, pixel_data_offset, pixel_data_length,
        frame_offsets, version, has_conflict, metadata, created_at, updated_at)
    SELECT gen_random_uuid(), it.practice, v_series[it.n], it.i->>'sopInstanceUid', it.i->>'sopClassUid',
        (it.i->>'instanceNumber')::int, it.i->>'transferSyntaxUid', (it.i->>'byteSize')::bigint,
        it.i->>'sha256', it.i->>'objectKey', (it.i->>'numberOfFrames')::int, (it.i->>'rows')::int,
        (it.i->>'columns')::int, (it.i->>'bitsAllocated')::int, (it.i->>'pixelDataOffset')::bigint,
        (it.i->>'pixelDataLength')::bigint, it.i->'frameOffsets', 1, false, it.i->'metadata', now(), now()
      FROM it ORDER BY it.n
    ON CONFLICT (practice_id, sop_instance_uid) DO NOTHING
    RETURNING id, practice_id, sop_instance_uid
  ), done AS (
    SELECT it.n, it.e, it.i, ins.id, ins.practice_id FROM ins JOIN it ON it.practice = ins.practice_id AND it.i->>'sopInstanceUid' = ins.sop_instance_uid
  ), ver AS (
    INSERT INTO instance_version (id, practice_id, instance_id, version, sha256, byte_size, object_key, transfer_syntax_uid, received_from, created_at)
    SELECT gen_random_uuid(), d.practice_id, d.id, 1, d.i->>'sha256', (d.i->>'byteSize')::bigint,
        d.i->>'objectKey', d.i->>'transferSyntaxUid', d.e->>'actor', now()
      FROM done d ORDER BY d.n
  ), rc AS (
    INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, study_instance_uid, series_instance_uid,
                         status, reason, sha256, byte_size, gateway_id, user_id, api_token_id)
    SELECT gen_random_uuid(), (r->>'practice')::uuid, r->>'upload', d.i->>'sopInstanceUid',
           d.e->'study'->>'studyInstanceUid', d.e->'series'->>'seriesInstanceUid', 'STORED', NULL,
           d.i->>'sha256', (d.i->>'byteSize')::bigint, (r->>'gateway')::uuid, (r->>'user')::uuid, (r->>'token')::uuid
      FROM done d CROSS JOIN LATERAL (SELECT p_requests->((d.e->>'req')::int) AS r) q ORDER BY d.n
  )
  SELECT array_agg(d.id ORDER BY d.n) INTO v_instance FROM done d;
  IF cardinality(v_instance) IS DISTINCT FROM v_n THEN
    RAISE EXCEPTION 'INGEST_BATCH_DECLINED' USING DETAIL = 'an instance stored concurrently';
  END IF;

  RETURN QUERY SELECT k - 1, v_instance[k], v_series[k], v_study[k] FROM generate_series(1, v_n) AS k;
END
$$;

-- The batch: the fast path first; item by item (each in its own sub-block, with its own outcome)
-- when it declines. Unchanged otherwise (migration *_ingest_lookups_planned_per_call).
CREATE OR REPLACE FUNCTION "manual_ingest_batch"(p_items jsonb, p_requests jsonb)
RETURNS TABLE (req int, idx int, kind text, instance_id uuid, series_id uuid, study_id uuid, version int,
               original_sha256 text, reason text, error text)
LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_req jsonb;
  v_idx int := 0;
  v_failed int[] := '{}';
  r record;
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
  -- The fast path's rows (manual_ingest_new_batch), by item; NULL when it declined the batch.
  v_fast_instance uuid[];
  v_fast_series uuid[];
  v_fast_study uuid[];
BEGIN
  BEGIN
    SELECT array_agg(f.instance_id ORDER BY f.idx), array_agg(f.series_id ORDER BY f.idx), array_agg(f.study_id ORDER BY f.idx)
      INTO v_fast_instance, v_fast_series, v_fast_study
      FROM manual_ingest_new_batch(p_items, p_requests) f;
  EXCEPTION WHEN OTHERS THEN
    -- Declined midway (or failed): none of its rows remain; item by item below.
    v_fast_instance := NULL;
  END;
  IF v_fast_instance IS NOT NULL THEN
    RETURN QUERY
      SELECT (p_items->k->>'req')::int, k, 'created'::text, v_fast_instance[k + 1], v_fast_series[k + 1], v_fast_study[k + 1],
             1, NULL::text, NULL::text, NULL::text
        FROM generate_series(0, jsonb_array_length(p_items) - 1) AS k;
  END IF;

  FOR v_item IN SELECT e.value FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n)
                 WHERE v_fast_instance IS NULL ORDER BY e.n LOOP
    idx := v_idx;
    req := (v_item->>'req')::int;
    v_req := p_requests->req;
    BEGIN
      v_practice := (v_item->>'practice')::uuid;
      SELECT * INTO r FROM manual_record_instance(
        v_practice, (v_item->>'site')::uuid, v_item->'patient', v_item->'study',
        v_item->'series', v_item->'instance', v_item->>'actor',
        CASE WHEN v_practice = v_prev_practice AND v_item->'patient' = v_prev_patient THEN v_prev_patient_ref END,
        CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study THEN v_prev_study_ref END,
        CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study
              AND v_item->'series'->>'seriesInstanceUid' = v_prev_series THEN v_prev_series_ref END);
      kind := r.kind; instance_id := r.instance_id; series_id := r.series_id; study_id := r.study_id;
      version := r.version; original_sha256 := r.original_sha256; error := NULL;
      reason := CASE r.kind
        WHEN 'duplicate' THEN format('already stored (version %s, same SHA-256)', r.version)
        WHEN 'conflict' THEN format('SOP Instance UID already stored with different bytes; kept as version %s, the original is unchanged', r.version)
      END;
      INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, study_instance_uid, series_instance_uid,
                           status, reason, sha256, byte_size, gateway_id, user_id, api_token_id)
      VALUES (gen_random_uuid(), (v_req->>'practice')::uuid, v_req->>'upload', v_item->'instance'->>'sopInstanceUid',
              v_item->'study'->>'studyInstanceUid', v_item->'series'->>'seriesInstanceUid',
              (CASE r.kind WHEN 'created' THEN 'STORED' WHEN 'duplicate' THEN 'DUPLICATE' ELSE 'CONFLICT' END)::receipt_status,
              reason, v_item->'instance'->>'sha256', (v_item->'instance'->>'byteSize')::bigint,
              (v_req->>'gateway')::uuid, (v_req->>'user')::uuid, (v_req->>'token')::uuid);
      IF r.kind = 'created' THEN
        v_prev_practice := v_practice;
        v_prev_patient := v_item->'patient';
        v_prev_patient_ref := r.patient_ref;
        v_prev_study := v_item->'study'->>'studyInstanceUid';
        v_prev_study_ref := r.study_id;
        v_prev_series := v_item->'series'->>'seriesInstanceUid';
        v_prev_series_ref := r.series_id;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      kind := 'error'; instance_id := NULL; series_id := NULL; study_id := NULL;
      version := NULL; original_sha256 := NULL; reason := NULL; error := SQLERRM;
      v_failed := v_failed || req;
    END;
    RETURN NEXT;
    v_idx := v_idx + 1;
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
