-- schemactl down migration 0002_add_dispatch_notes
-- parent: cbc3a4bcc2ebe70bbe6193d150f3d75446fbf04b8637bc15caa31c5670a7202c
-- hazards: breaks_clients, deletes_data
--

-- step 1: drop-foreign-key public.dispatch_notes.dispatch_notes_dispatch_id_fkey
ALTER TABLE "public"."dispatch_notes" DROP CONSTRAINT "dispatch_notes_dispatch_id_fkey";

-- step 2: drop-index public.labor_requests.labor_requests_employer_name_received_at_idx
DROP INDEX "public"."labor_requests_employer_name_received_at_idx";

-- step 3: drop-column public.labor_requests.cancellation_reason [hazards: deletes_data, breaks_clients]
ALTER TABLE "public"."labor_requests" DROP COLUMN "cancellation_reason";

-- step 4: drop-table public.dispatch_notes [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."dispatch_notes";
