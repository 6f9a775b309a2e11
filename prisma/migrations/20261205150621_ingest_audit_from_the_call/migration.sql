-- manual_ingest_batch: a request whose upload's receipts are all written in this call (`whole` in
-- its request: a STOW-RS request, whose upload id is made for it, written in one part) gets its
-- audit event counted from the call's own results and rejected receipts, instead of by a query over
-- the receipt table (EXECUTE, planned at each call: ~0.4 ms of the lane's backend per request).
-- Other requests (tus uploads, requests written in several parts or streamed) count as before.
-- The details are the same: stored / duplicate / conflict / rejected and the distinct study UIDs,
-- built by one function (manual_upload_audit_details) whichever way the receipts were gathered.
-- Replaying `many` batches (scripts/bench/ingest-replay.ts, one audited request per batch of 20):
-- Postgres CPU per instance −5 % without the query (docs/benchmarks.md, "Ingest", 2026-12-05 14:21).
-- Also: an item's reused rows are worked out once, before the call with or without its own sub-block
-- (the call was written out twice); unchanged behaviour.

-- The details of an upload's audit event from its receipts' statuses and study UIDs (as many of each,
-- in the same order), whichever way they were gathered.
CREATE FUNCTION "manual_upload_audit_details"(p_status text[], p_study text[], p_site jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
           'stored', count(*) FILTER (WHERE u.status = 'STORED'),
           'duplicate', count(*) FILTER (WHERE u.status = 'DUPLICATE'),
           'conflict', count(*) FILTER (WHERE u.status = 'CONFLICT'),
           'rejected', count(*) FILTER (WHERE u.status = 'REJECTED'),
           'studies', COALESCE(jsonb_agg(DISTINCT u.study) FILTER (WHERE u.study IS NOT NULL), '[]'::jsonb),
           'siteId', p_site)
    FROM unnest(p_status, p_study) AS u(status, study)
$$;

CREATE OR REPLACE FUNCTION "manual_ingest_batch"(p_items jsonb, p_requests jsonb, p_metadata json)
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
  -- This item's share of them (NULL: upsert and look up).
  v_patient_ref uuid;
  v_study_ref uuid;
  v_series_ref uuid;
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
        v_patient_ref := CASE WHEN v_practice = v_prev_practice AND v_item->'patient' = v_prev_patient THEN v_prev_patient_ref END;
        v_study_ref := CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study THEN v_prev_study_ref END;
        v_series_ref := CASE WHEN v_practice = v_prev_practice AND v_item->'study'->>'studyInstanceUid' = v_prev_study
                               AND v_item->'series'->>'seriesInstanceUid' = v_prev_series THEN v_prev_series_ref END;
        IF v_safe THEN
          BEGIN
            r := manual_record_instance(v_practice, (v_item->>'site')::uuid, v_item->'patient', v_item->'study', v_item->'series',
                                        v_item->'instance', v_item->>'actor', v_patient_ref, v_study_ref, v_series_ref, v_item_meta);
          EXCEPTION WHEN OTHERS THEN
            r := NULL; v_err := SQLERRM;
            v_failed := v_failed || (v_item->>'req')::int;
          END;
        ELSE
          r := manual_record_instance(v_practice, (v_item->>'site')::uuid, v_item->'patient', v_item->'study', v_item->'series',
                                      v_item->'instance', v_item->>'actor', v_patient_ref, v_study_ref, v_series_ref, v_item_meta);
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
    CONTINUE WHEN jsonb_typeof(v_req->'audit') IS DISTINCT FROM 'object' OR req = ANY (v_failed);
    IF (v_req->>'whole')::boolean IS TRUE THEN
      -- Every receipt of the upload is in this call (see the header): counted from the call's own
      -- results and rejections, as the query below would count their rows.
      INSERT INTO audit_event (id, practice_id, actor_type, actor_id, action, entity_type, entity_id, source_ip, details)
      SELECT gen_random_uuid(), (v_req->>'practice')::uuid, (v_req->'audit'->>'actorType')::actor_type, v_req->'audit'->>'actorId',
             'ingest.upload', 'upload', v_req->>'upload', v_req->'audit'->>'sourceIp',
             manual_upload_audit_details(array_agg(rc.status), array_agg(rc.study_instance_uid), v_req->'audit'->'siteId')
        FROM (SELECT (CASE res.kind WHEN 'created' THEN 'STORED' WHEN 'duplicate' THEN 'DUPLICATE' ELSE 'CONFLICT' END) AS status,
                     p_items->(res.n::int - 1)->'study'->>'studyInstanceUid' AS study_instance_uid
                FROM unnest(v_results) WITH ORDINALITY AS res(kind, instance_id, series_id, study_id, version, original_sha256, patient_ref, n)
               WHERE res.kind IS NOT NULL AND (p_items->(res.n::int - 1)->>'req')::int = req
              UNION ALL
              SELECT x.status, x.study
                FROM jsonb_to_recordset(COALESCE(v_req->'receipts', '[]'::jsonb)) AS x(status text, study text)) AS rc;
    ELSE
      EXECUTE $sql$
        INSERT INTO audit_event (id, practice_id, actor_type, actor_id, action, entity_type, entity_id, source_ip, details)
        SELECT gen_random_uuid(), $1, ($3->>'actorType')::actor_type, $3->>'actorId', 'ingest.upload', 'upload', $2,
               $3->>'sourceIp',
               manual_upload_audit_details(array_agg(rc.status::text), array_agg(rc.study_instance_uid), $3->'siteId')
          FROM receipt rc
         WHERE rc.practice_id = $1 AND rc.upload_id = $2
      $sql$ USING (v_req->>'practice')::uuid, v_req->>'upload', v_req->'audit';
    END IF;
    idx := -1; kind := 'audit'; instance_id := NULL; series_id := NULL; study_id := NULL;
    version := NULL; original_sha256 := NULL; reason := NULL; error := NULL;
    RETURN NEXT;
  END LOOP;
END
$$;
