-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "patient_name_style" AS ENUM ('OWNER_PET', 'PET', 'PET_OWNER', 'OWNER_COMMA_PET');

-- CreateEnum
CREATE TYPE "role" AS ENUM ('OWNER_ADMIN', 'VET', 'NURSE', 'READ_ONLY');

-- CreateEnum
CREATE TYPE "neutered" AS ENUM ('ALTERED', 'UNALTERED', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "derived_kind" AS ENUM ('THUMBNAIL', 'TRANSCODED', 'SERIES_METADATA', 'RENDERED');

-- CreateEnum
CREATE TYPE "receipt_status" AS ENUM ('STORED', 'DUPLICATE', 'CONFLICT', 'REJECTED');

-- CreateEnum
CREATE TYPE "actor_type" AS ENUM ('USER', 'API_TOKEN', 'GATEWAY', 'SYSTEM', 'CLI');

-- CreateTable
CREATE TABLE "practice" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settings" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "practice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "site" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "patient_name_style" "patient_name_style" NOT NULL DEFAULT 'OWNER_PET',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "site_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_name_style" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "site_id" UUID,
    "calling_ae_title" TEXT NOT NULL,
    "style" "patient_name_style" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_name_style_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app_user" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "password_hash" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "membership" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "role" "role" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session" (
    "id" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_token" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "role" "role" NOT NULL,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gateway" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "site_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "heartbeat" JSONB,
    "version" TEXT,

    CONSTRAINT "gateway_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patient" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL DEFAULT '',
    "raw_patient_name" TEXT,
    "pet_name" TEXT,
    "owner_name" TEXT,
    "owner_family_name" TEXT,
    "species_description" TEXT,
    "species_code" TEXT,
    "breed_description" TEXT,
    "breed_code" TEXT,
    "breed_registration" JSONB,
    "sex" TEXT,
    "neutered" "neutered" NOT NULL DEFAULT 'UNKNOWN',
    "birth_date" TEXT,
    "microchip" TEXT,
    "responsible_person_role" TEXT,
    "responsible_organization" TEXT,
    "search_text" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "study" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "patient_ref_id" UUID NOT NULL,
    "site_id" UUID,
    "study_instance_uid" TEXT NOT NULL,
    "study_date" TEXT,
    "study_date_value" DATE,
    "study_time" TEXT,
    "accession_number" TEXT,
    "study_description" TEXT,
    "referring_physician" TEXT,
    "study_id" TEXT,
    "modalities_in_study" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "number_of_series" INTEGER NOT NULL DEFAULT 0,
    "number_of_instances" INTEGER NOT NULL DEFAULT 0,
    "institution_name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_instance_at" TIMESTAMPTZ(3),

    CONSTRAINT "study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "series" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "study_id" UUID NOT NULL,
    "series_instance_uid" TEXT NOT NULL,
    "modality" TEXT,
    "series_number" INTEGER,
    "series_description" TEXT,
    "body_part_examined" TEXT,
    "number_of_instances" INTEGER NOT NULL DEFAULT 0,
    "metadata_version" INTEGER NOT NULL DEFAULT 0,
    "metadata_object_key" TEXT,
    "thumbnail_object_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "series_id" UUID NOT NULL,
    "sop_instance_uid" TEXT NOT NULL,
    "sop_class_uid" TEXT NOT NULL,
    "instance_number" INTEGER,
    "transfer_syntax_uid" TEXT NOT NULL,
    "byte_size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "object_key" TEXT NOT NULL,
    "number_of_frames" INTEGER NOT NULL DEFAULT 1,
    "rows" INTEGER,
    "columns" INTEGER,
    "bits_allocated" INTEGER,
    "pixel_data_offset" BIGINT,
    "pixel_data_length" BIGINT,
    "frame_offsets" JSONB,
    "version" INTEGER NOT NULL DEFAULT 1,
    "has_conflict" BOOLEAN NOT NULL DEFAULT false,
    "metadata" JSONB NOT NULL,
    "thumbnail_object_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_version" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "instance_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "byte_size" BIGINT NOT NULL,
    "object_key" TEXT NOT NULL,
    "transfer_syntax_uid" TEXT NOT NULL,
    "received_from" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "derived_object" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "instance_id" UUID,
    "series_id" UUID,
    "kind" "derived_kind" NOT NULL,
    "transfer_syntax_uid" TEXT,
    "object_key" TEXT NOT NULL,
    "sha256" TEXT,
    "byte_size" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "derived_object_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "receipt" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "upload_id" TEXT NOT NULL,
    "sop_instance_uid" TEXT,
    "study_instance_uid" TEXT,
    "series_instance_uid" TEXT,
    "status" "receipt_status" NOT NULL,
    "reason" TEXT,
    "sha256" TEXT,
    "byte_size" BIGINT,
    "gateway_id" UUID,
    "user_id" UUID,
    "api_token_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "receipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" UUID NOT NULL,
    "practice_id" UUID,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_type" "actor_type" NOT NULL,
    "actor_id" TEXT,
    "action" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "source_ip" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "share_link" (
    "id" UUID NOT NULL,
    "practice_id" UUID NOT NULL,
    "study_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_by_id" UUID,
    "label" TEXT,
    "allow_download" BOOLEAN NOT NULL DEFAULT false,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "share_link_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "practice_slug_key" ON "practice"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "site_practice_id_code_key" ON "site"("practice_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "device_name_style_practice_id_calling_ae_title_key" ON "device_name_style"("practice_id", "calling_ae_title");

-- CreateIndex
CREATE UNIQUE INDEX "app_user_email_key" ON "app_user"("email");

-- CreateIndex
CREATE INDEX "membership_practice_id_idx" ON "membership"("practice_id");

-- CreateIndex
CREATE UNIQUE INDEX "membership_user_id_practice_id_key" ON "membership"("user_id", "practice_id");

-- CreateIndex
CREATE INDEX "session_user_id_idx" ON "session"("user_id");

-- CreateIndex
CREATE INDEX "session_expires_at_idx" ON "session"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "api_token_practice_id_idx" ON "api_token"("practice_id");

-- CreateIndex
CREATE UNIQUE INDEX "gateway_key_id_key" ON "gateway"("key_id");

-- CreateIndex
CREATE INDEX "gateway_practice_id_site_id_idx" ON "gateway"("practice_id", "site_id");

-- CreateIndex
CREATE INDEX "patient_practice_id_owner_family_name_idx" ON "patient"("practice_id", "owner_family_name");

-- CreateIndex
CREATE INDEX "patient_practice_id_pet_name_idx" ON "patient"("practice_id", "pet_name");

-- CreateIndex
CREATE INDEX "patient_practice_id_species_description_idx" ON "patient"("practice_id", "species_description");

-- CreateIndex
CREATE INDEX "patient_practice_id_microchip_idx" ON "patient"("practice_id", "microchip");

-- CreateIndex
CREATE UNIQUE INDEX "patient_practice_id_patient_id_issuer_key" ON "patient"("practice_id", "patient_id", "issuer");

-- CreateIndex
CREATE INDEX "study_practice_id_study_date_value_idx" ON "study"("practice_id", "study_date_value" DESC);

-- CreateIndex
CREATE INDEX "study_practice_id_site_id_idx" ON "study"("practice_id", "site_id");

-- CreateIndex
CREATE INDEX "study_practice_id_accession_number_idx" ON "study"("practice_id", "accession_number");

-- CreateIndex
CREATE INDEX "study_patient_ref_id_idx" ON "study"("patient_ref_id");

-- CreateIndex
CREATE INDEX "study_modalities_in_study_idx" ON "study" USING GIN ("modalities_in_study" array_ops);

-- CreateIndex
CREATE UNIQUE INDEX "study_practice_id_study_instance_uid_key" ON "study"("practice_id", "study_instance_uid");

-- CreateIndex
CREATE INDEX "series_study_id_idx" ON "series"("study_id");

-- CreateIndex
CREATE UNIQUE INDEX "series_practice_id_series_instance_uid_key" ON "series"("practice_id", "series_instance_uid");

-- CreateIndex
CREATE INDEX "instance_series_id_idx" ON "instance"("series_id");

-- CreateIndex
CREATE UNIQUE INDEX "instance_practice_id_sop_instance_uid_key" ON "instance"("practice_id", "sop_instance_uid");

-- CreateIndex
CREATE UNIQUE INDEX "instance_version_instance_id_version_key" ON "instance_version"("instance_id", "version");

-- CreateIndex
CREATE INDEX "derived_object_series_id_kind_idx" ON "derived_object"("series_id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "derived_object_instance_id_kind_transfer_syntax_uid_key" ON "derived_object"("instance_id", "kind", "transfer_syntax_uid");

-- CreateIndex
CREATE INDEX "receipt_practice_id_upload_id_idx" ON "receipt"("practice_id", "upload_id");

-- CreateIndex
CREATE INDEX "receipt_practice_id_sop_instance_uid_idx" ON "receipt"("practice_id", "sop_instance_uid");

-- CreateIndex
CREATE INDEX "audit_event_practice_id_at_idx" ON "audit_event"("practice_id", "at" DESC);

-- CreateIndex
CREATE INDEX "audit_event_entity_type_entity_id_idx" ON "audit_event"("entity_type", "entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "share_link_token_hash_key" ON "share_link"("token_hash");

-- CreateIndex
CREATE INDEX "share_link_practice_id_study_id_idx" ON "share_link"("practice_id", "study_id");

-- AddForeignKey
ALTER TABLE "site" ADD CONSTRAINT "site_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_name_style" ADD CONSTRAINT "device_name_style_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_name_style" ADD CONSTRAINT "device_name_style_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "site"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership" ADD CONSTRAINT "membership_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership" ADD CONSTRAINT "membership_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gateway" ADD CONSTRAINT "gateway_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gateway" ADD CONSTRAINT "gateway_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "site"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient" ADD CONSTRAINT "patient_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "study" ADD CONSTRAINT "study_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "study" ADD CONSTRAINT "study_patient_ref_id_fkey" FOREIGN KEY ("patient_ref_id") REFERENCES "patient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "study" ADD CONSTRAINT "study_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "site"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "series" ADD CONSTRAINT "series_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "series" ADD CONSTRAINT "series_study_id_fkey" FOREIGN KEY ("study_id") REFERENCES "study"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_version" ADD CONSTRAINT "instance_version_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_version" ADD CONSTRAINT "instance_version_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "derived_object" ADD CONSTRAINT "derived_object_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "derived_object" ADD CONSTRAINT "derived_object_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "derived_object" ADD CONSTRAINT "derived_object_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "receipt" ADD CONSTRAINT "receipt_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "receipt" ADD CONSTRAINT "receipt_gateway_id_fkey" FOREIGN KEY ("gateway_id") REFERENCES "gateway"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "share_link" ADD CONSTRAINT "share_link_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "share_link" ADD CONSTRAINT "share_link_study_id_fkey" FOREIGN KEY ("study_id") REFERENCES "study"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "share_link" ADD CONSTRAINT "share_link_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Hand-written SQL (not generated from schema.prisma). Objects are named manual_* so the drift
-- check (scripts/check-migrations.ts) knows to ignore them.
-- ---------------------------------------------------------------------------------------------

-- Trigram search over patient names, owner names, ids and microchips (search_text is lower-cased
-- and accent-stripped by the app). pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "manual_patient_search_text_trgm" ON "patient" USING GIN ("search_text" gin_trgm_ops);

-- Emails are compared case-insensitively by storing them lower-cased; the app lower-cases, this
-- guarantees it.
ALTER TABLE "app_user" ADD CONSTRAINT "manual_app_user_email_lowercase" CHECK ("email" = lower("email"));

-- Postgres treats NULLs as distinct in unique keys, so the Prisma key (instance_id, kind,
-- transfer_syntax_uid) would allow two thumbnails of one instance. These partial indexes close
-- the gap for NULL transfer syntaxes and for series-level objects (instance_id NULL).
CREATE UNIQUE INDEX "manual_derived_object_instance_kind_ts_key"
  ON "derived_object" ("instance_id", "kind", COALESCE("transfer_syntax_uid", ''))
  WHERE "instance_id" IS NOT NULL;
CREATE UNIQUE INDEX "manual_derived_object_series_kind_ts_key"
  ON "derived_object" ("series_id", "kind", COALESCE("transfer_syntax_uid", ''))
  WHERE "instance_id" IS NULL AND "series_id" IS NOT NULL;

-- The audit log is append-only, enforced here so that no code path (or ad-hoc SQL through the
-- application role) can rewrite history.
CREATE FUNCTION "manual_audit_event_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (% rejected)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "manual_audit_event_no_update_delete"
  BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION "manual_audit_event_append_only"();
CREATE TRIGGER "manual_audit_event_no_truncate"
  BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "manual_audit_event_append_only"();
