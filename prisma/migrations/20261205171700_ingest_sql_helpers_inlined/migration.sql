-- Two helpers of manual_ingest_batch stop being planned at every call (same results):
-- - manual_receipt_reason was declared IMMUTABLE around format(), which is only STABLE, so
--   Postgres never inlined it: each call of the batch parsed, analysed and planned its SQL body
--   again (for the receipts' INSERT and for the rows returned). Built with || of immutable casts it
--   is inlined and folded into the calling statement.
-- - manual_upload_audit_details (FROM unnest: a SQL function Postgres cannot inline) becomes
--   PL/pgSQL, whose plan is cached per backend.
-- Replaying `many` (scripts/bench/ingest-replay.ts, 5,000 instances, batches of 20, interleaved):
-- Postgres CPU per instance 366 / 380 / 368 / 378 → 362 / 352 / 368 / 354 µs; `perf` of the
-- backend: fmgr_sql (planning the SQL functions) 3.7 % of its samples → 0.
CREATE OR REPLACE FUNCTION "manual_receipt_reason"(p_kind text, p_version int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_kind
    WHEN 'duplicate' THEN 'already stored (version ' || coalesce(p_version::text, '') || ', same SHA-256)'
    WHEN 'conflict' THEN 'SOP Instance UID already stored with different bytes; kept as version ' || coalesce(p_version::text, '') || ', the original is unchanged'
  END
$$;
CREATE OR REPLACE FUNCTION "manual_upload_audit_details"(p_status text[], p_study text[], p_site jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (SELECT jsonb_build_object(
           'stored', count(*) FILTER (WHERE u.status = 'STORED'),
           'duplicate', count(*) FILTER (WHERE u.status = 'DUPLICATE'),
           'conflict', count(*) FILTER (WHERE u.status = 'CONFLICT'),
           'rejected', count(*) FILTER (WHERE u.status = 'REJECTED'),
           'studies', COALESCE(jsonb_agg(DISTINCT u.study) FILTER (WHERE u.study IS NOT NULL), '[]'::jsonb),
           'siteId', p_site)
    FROM unnest(p_status, p_study) AS u(status, study));
END
$$;
