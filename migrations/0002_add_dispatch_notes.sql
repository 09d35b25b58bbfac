-- schemactl migration 0002_add_dispatch_notes
-- parent: cbc3a4bcc2ebe70bbe6193d150f3d75446fbf04b8637bc15caa31c5670a7202c
-- hazards: blocks_writes
--

-- step 1: create-table public.dispatch_notes
CREATE TABLE "public"."dispatch_notes" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "dispatch_id" bigint NOT NULL,
    "author" character varying(64) NOT NULL,
    "body" text NOT NULL,
    "is_internal" boolean NOT NULL DEFAULT true,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "dispatch_notes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dispatch_notes_body_check" CHECK (body <> '')
);

-- step 2: add-column public.labor_requests.cancellation_reason
ALTER TABLE "public"."labor_requests" ADD COLUMN "cancellation_reason" text;

-- step 3: create-index public.dispatch_notes.dispatch_notes_dispatch_id_created_at_idx
CREATE INDEX "dispatch_notes_dispatch_id_created_at_idx" ON "public"."dispatch_notes" USING "btree" ("dispatch_id", "created_at" DESC);

-- step 4: create-index public.labor_requests.labor_requests_employer_name_received_at_idx [hazards: blocks_writes]
CREATE INDEX "labor_requests_employer_name_received_at_idx" ON "public"."labor_requests" USING "btree" ("employer_name", "received_at" DESC) WHERE (status = 'CANCELLED');

-- step 5: add-foreign-key public.dispatch_notes.dispatch_notes_dispatch_id_fkey
ALTER TABLE "public"."dispatch_notes" ADD CONSTRAINT "dispatch_notes_dispatch_id_fkey" FOREIGN KEY ("dispatch_id") REFERENCES "public"."dispatches" ("id") ON DELETE CASCADE;

-- step 6: comment public.dispatch_notes
COMMENT ON TABLE "public"."dispatch_notes" IS 'Dispatcher and steward notes on a dispatch (employer calls, member complaints, grievances)';

-- step 7: comment public.dispatch_notes.author
COMMENT ON COLUMN "public"."dispatch_notes"."author" IS 'Dispatcher or steward login';

-- step 8: comment public.dispatch_notes.is_internal
COMMENT ON COLUMN "public"."dispatch_notes"."is_internal" IS 'Hidden from the member portal';

-- step 9: comment public.labor_requests.cancellation_reason
COMMENT ON COLUMN "public"."labor_requests"."cancellation_reason" IS 'Why the employer cancelled the call (added in 0002)';
