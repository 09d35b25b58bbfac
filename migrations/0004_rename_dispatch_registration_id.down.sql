-- schemactl down migration 0004_rename_dispatch_registration_id
-- parent: 5dd22e3c47908d06153e9aa429203cce8a6db05d2fcb02c64ca62b9de1b9b1c6
-- hazards: breaks_clients
--

-- step 1: rename-column public.dispatches.registration_id [hazards: breaks_clients]
ALTER TABLE "public"."dispatches" RENAME COLUMN "book_registration_id" TO "registration_id";

-- step 2: rename-constraint public.dispatches.dispatches_registration_id_fkey
ALTER TABLE "public"."dispatches" RENAME CONSTRAINT "dispatches_book_registration_id_fkey" TO "dispatches_registration_id_fkey";

-- step 3: rename-index public.dispatches.dispatches_registration_id_idx
ALTER INDEX "public"."dispatches_book_registration_id_idx" RENAME TO "dispatches_registration_id_idx";
