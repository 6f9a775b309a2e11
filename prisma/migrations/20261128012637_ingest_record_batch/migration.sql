-- Group commit for ingest: records many instances (from any requests in flight) in ONE round trip
-- and ONE transaction instead of one each. Each item runs manual_record_instance inside its own
-- sub-block, so one item's failure (a series that belongs to another study, a constraint) is
-- reported for that item only and rolls back only that item's rows; the others commit together.
-- Items: [{practice, site, actor, patient, study, series, instance}], answered in input order.
CREATE FUNCTION "manual_record_instances"(p_items jsonb)
RETURNS TABLE (idx int, kind text, instance_id uuid, series_id uuid, study_id uuid, version int, original_sha256 text, error text)
LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_idx int := 0;
  r record;
BEGIN
  FOR v_item IN SELECT e.value FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    idx := v_idx;
    BEGIN
      SELECT * INTO r FROM manual_record_instance(
        (v_item->>'practice')::uuid, (v_item->>'site')::uuid, v_item->'patient', v_item->'study',
        v_item->'series', v_item->'instance', v_item->>'actor');
      kind := r.kind; instance_id := r.instance_id; series_id := r.series_id; study_id := r.study_id;
      version := r.version; original_sha256 := r.original_sha256; error := NULL;
    EXCEPTION WHEN OTHERS THEN
      kind := 'error'; instance_id := NULL; series_id := NULL; study_id := NULL;
      version := NULL; original_sha256 := NULL; error := SQLERRM;
    END;
    RETURN NEXT;
    v_idx := v_idx + 1;
  END LOOP;
END
$$;
