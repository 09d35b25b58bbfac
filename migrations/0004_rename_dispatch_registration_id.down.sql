-- schemactl down migration 0004_rename_dispatch_registration_id
-- parent: d63c46b12a7e342e46a8545d7c3fb9bf238d372927b18333727b87083073ff68
-- hazards: breaks_clients
--

-- step 1: rename-column public.dispatches.registration_id [hazards: breaks_clients]
ALTER TABLE "public"."dispatches" RENAME COLUMN "book_registration_id" TO "registration_id";

-- step 2: rename-constraint public.dispatches.dispatches_registration_id_fkey
ALTER TABLE "public"."dispatches" RENAME CONSTRAINT "dispatches_book_registration_id_fkey" TO "dispatches_registration_id_fkey";

-- step 3: rename-index public.dispatches.dispatches_registration_id_idx
ALTER INDEX "public"."dispatches_book_registration_id_idx" RENAME TO "dispatches_registration_id_idx";
