-- One transaction per upload request instead of one per instance batch plus two at the end.
-- An upload's instances are recorded together with their receipts, and its last batch also writes
-- the request's audit event, counted from the receipts this upload holds (so the counts are those
-- of the rows, whichever batch wrote them). Before this, a STOW request of ten tiny instances at
-- concurrency 1 cost about nine WAL flushes (instance batches as their puts finished, receipts,
-- audit); now it costs one (docs/benchmarks.md, "Ingest").
--
-- p_items:    [{req, practice, site, actor, patient, study, series, instance}], in lock order;
--             each is recorded by manual_record_instance in its own sub-block, and its receipt is
--             written in the same sub-block, so a failed item leaves neither row behind.
-- p_requests: [{practice, upload, gateway, user, token, receipts, audit}]: receipts of the
--             request's instances that never reached the index (rejected), and, for a request's
--             last batch, audit = {actorType, actorId, sourceIp, siteId}. The audit event is written
--             only if none of the request's items failed here: the caller then knows every receipt
--             of the upload is stored and nothing is left to count; otherwise it writes the event
--             later, after handling the failures.
-- Returns one row per item (idx = position in p_items) and one row (idx -1, kind 'audit') per
-- audit event written.
CREATE FUNCTION "manual_ingest_batch"(p_items jsonb, p_requests jsonb)
RETURNS TABLE (req int, idx int, kind text, instance_id uuid, series_id uuid, study_id uuid, version int,
               original_sha256 text, reason text, error text)
LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_req jsonb;
  v_idx int := 0;
  v_failed int[] := '{}';
  r record;
BEGIN
  FOR v_item IN SELECT e.value FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    idx := v_idx;
    req := (v_item->>'req')::int;
    v_req := p_requests->req;
    BEGIN
      SELECT * INTO r FROM manual_record_instance(
        (v_item->>'practice')::uuid, (v_item->>'site')::uuid, v_item->'patient', v_item->'study',
        v_item->'series', v_item->'instance', v_item->>'actor');
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
      INSERT INTO audit_event (id, practice_id, actor_type, actor_id, action, entity_type, entity_id, source_ip, details)
      SELECT gen_random_uuid(), (v_req->>'practice')::uuid, (v_req->'audit'->>'actorType')::actor_type,
             v_req->'audit'->>'actorId', 'ingest.upload', 'upload', v_req->>'upload', v_req->'audit'->>'sourceIp',
             jsonb_build_object(
               'stored', count(*) FILTER (WHERE rc.status = 'STORED'),
               'duplicate', count(*) FILTER (WHERE rc.status = 'DUPLICATE'),
               'conflict', count(*) FILTER (WHERE rc.status = 'CONFLICT'),
               'rejected', count(*) FILTER (WHERE rc.status = 'REJECTED'),
               'studies', COALESCE(jsonb_agg(DISTINCT rc.study_instance_uid) FILTER (WHERE rc.study_instance_uid IS NOT NULL), '[]'::jsonb),
               'siteId', v_req->'audit'->'siteId')
        FROM receipt rc
       WHERE rc.practice_id = (v_req->>'practice')::uuid AND rc.upload_id = v_req->>'upload';
      idx := -1; kind := 'audit'; instance_id := NULL; series_id := NULL; study_id := NULL;
      version := NULL; original_sha256 := NULL; reason := NULL; error := NULL;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$$;

-- Replaced by manual_ingest_batch (the server no longer calls it).
DROP FUNCTION "manual_record_instances"(jsonb);
