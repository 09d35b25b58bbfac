-- schemactl migration 0001_init
-- parent: 4f65d15ee84734932c39e56f6e76a47602292c844a6c2382b4aa8596989cdc8f
-- hazards: none
--

-- step 1: create-enum public.bookclassification
CREATE TYPE "public"."bookclassification" AS ENUM ('WIRE', 'TECHNICIAN', 'SOUND_COMM', 'STOCKMAN', 'LT_FXT_MAINT', 'MARINE', 'RESIDENTIAL', 'TRADESHOW', 'UTILITY_WORKER', 'TERO_APPR_WIRE');

-- step 2: create-enum public.bookregion
CREATE TYPE "public"."bookregion" AS ENUM ('SEATTLE', 'BREMERTON', 'PT_ANGELES', 'JURISDICTION_WIDE');

-- step 3: create-enum public.booktier
CREATE TYPE "public"."booktier" AS ENUM ('BOOK_1', 'BOOK_2', 'BOOK_3', 'BOOK_4');

-- step 4: create-enum public.dispatchoutcome
CREATE TYPE "public"."dispatchoutcome" AS ENUM ('COMPLETED', 'QUIT', 'LAID_OFF', 'TERMINATED', 'INJURY');

-- step 5: create-enum public.dispatchstatus
CREATE TYPE "public"."dispatchstatus" AS ENUM ('PENDING', 'ACCEPTED', 'REJECTED', 'COMPLETED', 'TERMINATED');

-- step 6: create-enum public.laborrequeststatus
CREATE TYPE "public"."laborrequeststatus" AS ENUM ('OPEN', 'FILLED', 'CANCELLED', 'EXPIRED');

-- step 7: create-enum public.laborrequesttype
CREATE TYPE "public"."laborrequesttype" AS ENUM ('STANDARD', 'SHORT_CALL', 'EMERGENCY', 'BY_NAME');

-- step 8: create-enum public.registrationstatus
CREATE TYPE "public"."registrationstatus" AS ENUM ('ACTIVE', 'DISPATCHED', 'RESIGNED', 'DROPPED', 'EXPIRED');

-- step 9: create-table public.book_registrations
CREATE TABLE "public"."book_registrations" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "member_id" bigint NOT NULL,
    "referral_book_id" integer NOT NULL,
    "applicant_priority_number" numeric(10,2) NOT NULL,
    "status" "public"."registrationstatus" NOT NULL DEFAULT 'ACTIVE',
    "registered_at" timestamp with time zone NOT NULL DEFAULT now(),
    "last_signed_at" timestamp with time zone NOT NULL DEFAULT now(),
    "short_calls_taken" integer NOT NULL DEFAULT 0,
    "referrals_refused" integer NOT NULL DEFAULT 0,
    "last_dispatch_id" bigint,
    "ended_at" timestamp with time zone,
    "notes" text,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "book_registrations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "book_registrations_book_apn_key" UNIQUE ("referral_book_id", "applicant_priority_number"),
    CONSTRAINT "book_registrations_apn_positive" CHECK (applicant_priority_number > 0),
    CONSTRAINT "book_registrations_ended_after_registered" CHECK (ended_at IS NULL OR ended_at >= registered_at),
    CONSTRAINT "book_registrations_referrals_refused_check" CHECK (referrals_refused >= 0),
    CONSTRAINT "book_registrations_short_calls_taken_check" CHECK (short_calls_taken >= 0)
);

-- step 10: create-table public.dispatches
CREATE TABLE "public"."dispatches" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "referral_number" character varying(16) NOT NULL,
    "labor_request_id" bigint NOT NULL,
    "member_id" bigint NOT NULL,
    "registration_id" bigint NOT NULL,
    "bid_id" bigint,
    "status" "public"."dispatchstatus" NOT NULL DEFAULT 'PENDING',
    "outcome" "public"."dispatchoutcome",
    "dispatched_at" timestamp with time zone NOT NULL DEFAULT now(),
    "report_date" date NOT NULL,
    "dispatched_by" character varying(64) NOT NULL,
    "is_short_call" boolean NOT NULL DEFAULT false,
    "accepted_at" timestamp with time zone,
    "ended_at" timestamp with time zone,
    "outcome_notes" text,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "dispatches_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dispatches_bid_id_key" UNIQUE ("bid_id"),
    CONSTRAINT "dispatches_referral_number_key" UNIQUE ("referral_number"),
    CONSTRAINT "dispatches_accepted_after_dispatched" CHECK (accepted_at IS NULL OR accepted_at >= dispatched_at),
    CONSTRAINT "dispatches_ended_after_dispatched" CHECK (ended_at IS NULL OR ended_at >= dispatched_at),
    CONSTRAINT "dispatches_outcome_only_when_closed" CHECK (outcome IS NULL OR status IN ('COMPLETED', 'TERMINATED'))
);

-- step 11: create-table public.job_bids
CREATE TABLE "public"."job_bids" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "labor_request_id" bigint NOT NULL,
    "member_id" bigint NOT NULL,
    "bid_source" character varying(16) NOT NULL DEFAULT 'ONLINE',
    "bid_at" timestamp with time zone NOT NULL DEFAULT now(),
    "withdrawn_at" timestamp with time zone,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "job_bids_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "job_bids_labor_request_id_member_id_key" UNIQUE ("labor_request_id", "member_id"),
    CONSTRAINT "job_bids_bid_source_check" CHECK (bid_source IN ('ONLINE', 'PHONE', 'IN_PERSON')),
    CONSTRAINT "job_bids_withdrawn_after_bid" CHECK (withdrawn_at IS NULL OR withdrawn_at >= bid_at)
);

-- step 12: create-table public.labor_requests
CREATE TABLE "public"."labor_requests" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "request_number" character varying(16) NOT NULL,
    "employer_name" text NOT NULL,
    "contractor_license_number" character varying(20),
    "contact_name" text,
    "contact_phone" character varying(20),
    "classification" "public"."bookclassification" NOT NULL,
    "region" "public"."bookregion" NOT NULL,
    "request_type" "public"."laborrequesttype" NOT NULL DEFAULT 'STANDARD',
    "status" "public"."laborrequeststatus" NOT NULL DEFAULT 'OPEN',
    "workers_requested" integer NOT NULL,
    "requested_member_id" bigint,
    "start_date" date NOT NULL,
    "estimated_end_date" date,
    "report_to_location" text NOT NULL,
    "report_time" time without time zone NOT NULL,
    "wage_rate" numeric(10,2),
    "required_certifications" text[] NOT NULL DEFAULT '{}',
    "bid_deadline" timestamp with time zone,
    "received_at" timestamp with time zone NOT NULL DEFAULT now(),
    "closed_at" timestamp with time zone,
    "notes" text,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "labor_requests_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "labor_requests_request_number_key" UNIQUE ("request_number"),
    CONSTRAINT "labor_requests_by_name_has_member" CHECK (request_type <> 'BY_NAME' OR requested_member_id IS NOT NULL),
    CONSTRAINT "labor_requests_end_after_start" CHECK (estimated_end_date IS NULL OR estimated_end_date >= start_date),
    CONSTRAINT "labor_requests_workers_requested_check" CHECK (workers_requested > 0)
);

-- step 13: create-table public.members
CREATE TABLE "public"."members" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "card_number" character varying(10) NOT NULL,
    "first_name" text NOT NULL,
    "middle_name" text,
    "last_name" text NOT NULL,
    "email" text,
    "phone" character varying(20),
    "sms_opt_in" boolean NOT NULL DEFAULT false,
    "classification" "public"."bookclassification" NOT NULL,
    "home_local" integer NOT NULL DEFAULT 46,
    "dues_paid_through" date,
    "journeyman_since" date,
    "wa_cert_number" character varying(20),
    "wa_cert_expires_on" date,
    "certifications" text[] NOT NULL DEFAULT '{}',
    "is_active" boolean NOT NULL DEFAULT true,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "members_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "members_card_number_key" UNIQUE ("card_number"),
    CONSTRAINT "members_cert_expiry_needs_number" CHECK (wa_cert_expires_on IS NULL OR wa_cert_number IS NOT NULL),
    CONSTRAINT "members_home_local_check" CHECK (home_local > 0)
);

-- step 14: create-table public.referral_books
CREATE TABLE "public"."referral_books" (
    "id" integer NOT NULL GENERATED BY DEFAULT AS IDENTITY,
    "classification" "public"."bookclassification" NOT NULL,
    "region" "public"."bookregion" NOT NULL,
    "tier" "public"."booktier" NOT NULL,
    "name" text NOT NULL,
    "contract_code" character varying(20),
    "resign_interval_days" integer NOT NULL DEFAULT 30,
    "is_open" boolean NOT NULL DEFAULT true,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "referral_books_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "referral_books_classification_region_tier_key" UNIQUE ("classification", "region", "tier"),
    CONSTRAINT "referral_books_name_key" UNIQUE ("name"),
    CONSTRAINT "referral_books_resign_interval_days_check" CHECK (resign_interval_days > 0)
);

-- step 15: create-table public.registration_activities
CREATE TABLE "public"."registration_activities" (
    "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    "registration_id" bigint NOT NULL,
    "from_status" "public"."registrationstatus",
    "to_status" "public"."registrationstatus" NOT NULL,
    "dispatch_id" bigint,
    "reason" text,
    "performed_by" character varying(64) NOT NULL DEFAULT 'system',
    "activity_at" timestamp with time zone NOT NULL DEFAULT now(),
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT "registration_activities_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "registration_activities_check" CHECK (from_status IS DISTINCT FROM to_status)
);

-- step 16: create-index public.book_registrations.book_registrations_active_member_book_key
CREATE UNIQUE INDEX "book_registrations_active_member_book_key" ON "public"."book_registrations" USING "btree" ("member_id", "referral_book_id") WHERE (status = 'ACTIVE');

-- step 17: create-index public.book_registrations.book_registrations_dispatch_order_idx
CREATE INDEX "book_registrations_dispatch_order_idx" ON "public"."book_registrations" USING "btree" ("referral_book_id", "applicant_priority_number") INCLUDE ("member_id") WHERE (status = 'ACTIVE');

-- step 18: create-index public.book_registrations.book_registrations_last_dispatch_id_idx
CREATE INDEX "book_registrations_last_dispatch_id_idx" ON "public"."book_registrations" USING "btree" ("last_dispatch_id");

-- step 19: create-index public.dispatches.dispatches_labor_request_id_status_idx
CREATE INDEX "dispatches_labor_request_id_status_idx" ON "public"."dispatches" USING "btree" ("labor_request_id") INCLUDE ("status");

-- step 20: create-index public.dispatches.dispatches_member_id_dispatched_at_idx
CREATE INDEX "dispatches_member_id_dispatched_at_idx" ON "public"."dispatches" USING "btree" ("member_id", "dispatched_at" DESC);

-- step 21: create-index public.dispatches.dispatches_registration_id_idx
CREATE INDEX "dispatches_registration_id_idx" ON "public"."dispatches" USING "btree" ("registration_id");

-- step 22: create-index public.job_bids.job_bids_member_id_bid_at_idx
CREATE INDEX "job_bids_member_id_bid_at_idx" ON "public"."job_bids" USING "btree" ("member_id", "bid_at" DESC);

-- step 23: create-index public.labor_requests.labor_requests_open_board_idx
CREATE INDEX "labor_requests_open_board_idx" ON "public"."labor_requests" USING "btree" ("classification", "region", "start_date") WHERE (status = 'OPEN');

-- step 24: create-index public.labor_requests.labor_requests_requested_member_id_idx
CREATE INDEX "labor_requests_requested_member_id_idx" ON "public"."labor_requests" USING "btree" ("requested_member_id") WHERE (requested_member_id IS NOT NULL);

-- step 25: create-index public.members.members_certifications_idx
CREATE INDEX "members_certifications_idx" ON "public"."members" USING "gin" ("certifications");

-- step 26: create-index public.members.members_last_name_first_name_idx
CREATE INDEX "members_last_name_first_name_idx" ON "public"."members" USING "btree" ("last_name", "first_name");

-- step 27: create-index public.members.members_lower_email_key
CREATE UNIQUE INDEX "members_lower_email_key" ON "public"."members" USING "btree" ((lower(email)));

-- step 28: create-index public.registration_activities.registration_activities_activity_at_idx
CREATE INDEX "registration_activities_activity_at_idx" ON "public"."registration_activities" USING "brin" ("activity_at");

-- step 29: create-index public.registration_activities.registration_activities_registration_id_activity_at_idx
CREATE INDEX "registration_activities_registration_id_activity_at_idx" ON "public"."registration_activities" USING "btree" ("registration_id", "activity_at" DESC);

-- step 30: add-foreign-key public.book_registrations.book_registrations_last_dispatch_id_fkey
ALTER TABLE "public"."book_registrations" ADD CONSTRAINT "book_registrations_last_dispatch_id_fkey" FOREIGN KEY ("last_dispatch_id") REFERENCES "public"."dispatches" ("id") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

-- step 31: add-foreign-key public.book_registrations.book_registrations_member_id_fkey
ALTER TABLE "public"."book_registrations" ADD CONSTRAINT "book_registrations_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "public"."members" ("id") ON DELETE RESTRICT;

-- step 32: add-foreign-key public.book_registrations.book_registrations_referral_book_id_fkey
ALTER TABLE "public"."book_registrations" ADD CONSTRAINT "book_registrations_referral_book_id_fkey" FOREIGN KEY ("referral_book_id") REFERENCES "public"."referral_books" ("id") ON DELETE RESTRICT;

-- step 33: add-foreign-key public.dispatches.dispatches_bid_id_fkey
ALTER TABLE "public"."dispatches" ADD CONSTRAINT "dispatches_bid_id_fkey" FOREIGN KEY ("bid_id") REFERENCES "public"."job_bids" ("id") ON DELETE SET NULL;

-- step 34: add-foreign-key public.dispatches.dispatches_labor_request_id_fkey
ALTER TABLE "public"."dispatches" ADD CONSTRAINT "dispatches_labor_request_id_fkey" FOREIGN KEY ("labor_request_id") REFERENCES "public"."labor_requests" ("id") ON UPDATE RESTRICT ON DELETE RESTRICT;

-- step 35: add-foreign-key public.dispatches.dispatches_member_id_fkey
ALTER TABLE "public"."dispatches" ADD CONSTRAINT "dispatches_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "public"."members" ("id") ON DELETE RESTRICT;

-- step 36: add-foreign-key public.dispatches.dispatches_registration_id_fkey
ALTER TABLE "public"."dispatches" ADD CONSTRAINT "dispatches_registration_id_fkey" FOREIGN KEY ("registration_id") REFERENCES "public"."book_registrations" ("id") ON DELETE RESTRICT;

-- step 37: add-foreign-key public.job_bids.job_bids_labor_request_id_fkey
ALTER TABLE "public"."job_bids" ADD CONSTRAINT "job_bids_labor_request_id_fkey" FOREIGN KEY ("labor_request_id") REFERENCES "public"."labor_requests" ("id") ON DELETE CASCADE;

-- step 38: add-foreign-key public.job_bids.job_bids_member_id_fkey
ALTER TABLE "public"."job_bids" ADD CONSTRAINT "job_bids_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "public"."members" ("id") ON DELETE RESTRICT;

-- step 39: add-foreign-key public.labor_requests.labor_requests_requested_member_id_fkey
ALTER TABLE "public"."labor_requests" ADD CONSTRAINT "labor_requests_requested_member_id_fkey" FOREIGN KEY ("requested_member_id") REFERENCES "public"."members" ("id") ON DELETE SET NULL;

-- step 40: add-foreign-key public.registration_activities.registration_activities_dispatch_id_fkey
ALTER TABLE "public"."registration_activities" ADD CONSTRAINT "registration_activities_dispatch_id_fkey" FOREIGN KEY ("dispatch_id") REFERENCES "public"."dispatches" ("id") ON DELETE SET NULL;

-- step 41: add-foreign-key public.registration_activities.registration_activities_registration_id_fkey
ALTER TABLE "public"."registration_activities" ADD CONSTRAINT "registration_activities_registration_id_fkey" FOREIGN KEY ("registration_id") REFERENCES "public"."book_registrations" ("id") ON DELETE CASCADE;

-- step 42: comment public.bookclassification
COMMENT ON TYPE "public"."bookclassification" IS 'Craft classification of a referral book and of a labor request (inside wireman, limited energy technician, sound & communication, …)';

-- step 43: comment public.bookregion
COMMENT ON TYPE "public"."bookregion" IS 'Dispatch area a referral book serves within the local''s jurisdiction';

-- step 44: comment public.booktier
COMMENT ON TYPE "public"."booktier" IS 'Priority group under the referral procedure; Book 1 is exhausted before Book 2 is called, and so on';

-- step 45: comment public.dispatchoutcome
COMMENT ON TYPE "public"."dispatchoutcome" IS 'Why a dispatch ended, as reported by the employer or member; decides whether the member may re-sign the book';

-- step 46: comment public.dispatchstatus
COMMENT ON TYPE "public"."dispatchstatus" IS 'Lifecycle of a single referral of a member to a job';

-- step 47: comment public.laborrequeststatus
COMMENT ON TYPE "public"."laborrequeststatus" IS 'Lifecycle of an employer labor request';

-- step 48: comment public.laborrequesttype
COMMENT ON TYPE "public"."laborrequesttype" IS 'How an employer''s call is filled: in book order, short call (member keeps book position), emergency (same-day), or request by name';

-- step 49: comment public.registrationstatus
COMMENT ON TYPE "public"."registrationstatus" IS 'Lifecycle of a book registration; only ACTIVE registrations are eligible for referral';

-- step 50: comment public.book_registrations
COMMENT ON TABLE "public"."book_registrations" IS 'A member''s place on an out-of-work book; a new row for every (re-)registration';

-- step 51: comment public.book_registrations.applicant_priority_number
COMMENT ON COLUMN "public"."book_registrations"."applicant_priority_number" IS 'Excel serial date + tie-break decimal';

-- step 52: comment public.book_registrations.last_signed_at
COMMENT ON COLUMN "public"."book_registrations"."last_signed_at" IS 'Last re-sign; the member is dropped when resign_interval_days pass without one';

-- step 53: comment public.book_registrations.short_calls_taken
COMMENT ON COLUMN "public"."book_registrations"."short_calls_taken" IS 'Short calls worked while keeping this book position';

-- step 54: comment public.book_registrations.referrals_refused
COMMENT ON COLUMN "public"."book_registrations"."referrals_refused" IS 'Referrals turned down; the referral rules drop the registration after the limit';

-- step 55: comment public.book_registrations.last_dispatch_id
COMMENT ON COLUMN "public"."book_registrations"."last_dispatch_id" IS 'Most recent dispatch made from this registration (FK below closes the registration/dispatch cycle)';

-- step 56: comment public.book_registrations.ended_at
COMMENT ON COLUMN "public"."book_registrations"."ended_at" IS 'When the registration left ACTIVE for the last time';

-- step 57: comment public.dispatches
COMMENT ON TABLE "public"."dispatches" IS 'A referral of one member, from one book registration, to one labor request';

-- step 58: comment public.dispatches.referral_number
COMMENT ON COLUMN "public"."dispatches"."referral_number" IS 'Number printed on the referral slip the member hands the employer';

-- step 59: comment public.dispatches.registration_id
COMMENT ON COLUMN "public"."dispatches"."registration_id" IS 'Book position the member was referred from (the other half of the FK cycle)';

-- step 60: comment public.dispatches.bid_id
COMMENT ON COLUMN "public"."dispatches"."bid_id" IS 'Winning bid; NULL for calls filled in book order or by name without a bid';

-- step 61: comment public.dispatches.outcome
COMMENT ON COLUMN "public"."dispatches"."outcome" IS 'Set when the job ends (COMPLETED or TERMINATED dispatches only)';

-- step 62: comment public.dispatches.report_date
COMMENT ON COLUMN "public"."dispatches"."report_date" IS 'Day the member must report to the job';

-- step 63: comment public.dispatches.dispatched_by
COMMENT ON COLUMN "public"."dispatches"."dispatched_by" IS 'Dispatcher login';

-- step 64: comment public.dispatches.is_short_call
COMMENT ON COLUMN "public"."dispatches"."is_short_call" IS 'Short-call referral: the member keeps the book position';

-- step 65: comment public.dispatches.ended_at
COMMENT ON COLUMN "public"."dispatches"."ended_at" IS 'Layoff, quit or termination time reported by the employer';

-- step 66: comment public.job_bids
COMMENT ON TABLE "public"."job_bids" IS 'A member''s bid on a labor request posted on the job board; bids are ranked by book position';

-- step 67: comment public.job_bids.bid_source
COMMENT ON COLUMN "public"."job_bids"."bid_source" IS 'ONLINE, PHONE or IN_PERSON';

-- step 68: comment public.labor_requests
COMMENT ON TABLE "public"."labor_requests" IS 'A signatory employer''s call for workers, filled from the matching referral books';

-- step 69: comment public.labor_requests.request_number
COMMENT ON COLUMN "public"."labor_requests"."request_number" IS 'Hall-assigned number quoted on the job board and referral slips';

-- step 70: comment public.labor_requests.employer_name
COMMENT ON COLUMN "public"."labor_requests"."employer_name" IS 'Signatory contractor placing the call';

-- step 71: comment public.labor_requests.contractor_license_number
COMMENT ON COLUMN "public"."labor_requests"."contractor_license_number" IS 'Washington L&I contractor registration number';

-- step 72: comment public.labor_requests.classification
COMMENT ON COLUMN "public"."labor_requests"."classification" IS 'Books this request is filled from';

-- step 73: comment public.labor_requests.requested_member_id
COMMENT ON COLUMN "public"."labor_requests"."requested_member_id" IS 'Member asked for by name (BY_NAME requests only)';

-- step 74: comment public.labor_requests.report_to_location
COMMENT ON COLUMN "public"."labor_requests"."report_to_location" IS 'Job site address or gate where referred members report';

-- step 75: comment public.labor_requests.report_time
COMMENT ON COLUMN "public"."labor_requests"."report_time" IS 'Local time members report on start_date';

-- step 76: comment public.labor_requests.wage_rate
COMMENT ON COLUMN "public"."labor_requests"."wage_rate" IS 'Hourly journeyman rate under the applicable agreement, USD';

-- step 77: comment public.labor_requests.required_certifications
COMMENT ON COLUMN "public"."labor_requests"."required_certifications" IS 'Certifications the employer requires (e.g. TWIC for port work)';

-- step 78: comment public.labor_requests.bid_deadline
COMMENT ON COLUMN "public"."labor_requests"."bid_deadline" IS 'Close of bidding for calls posted on the job board';

-- step 79: comment public.members
COMMENT ON TABLE "public"."members" IS 'Members and applicants of the local (including travelers from other locals) eligible for referral';

-- step 80: comment public.members.card_number
COMMENT ON COLUMN "public"."members"."card_number" IS 'IBEW card (membership) number; printed on referral slips';

-- step 81: comment public.members.email
COMMENT ON COLUMN "public"."members"."email" IS 'Unique case-insensitively (see members_lower_email_key)';

-- step 82: comment public.members.phone
COMMENT ON COLUMN "public"."members"."phone" IS 'Primary contact number for dispatch calls, E.164 where possible';

-- step 83: comment public.members.sms_opt_in
COMMENT ON COLUMN "public"."members"."sms_opt_in" IS 'Member agreed to receive job-call text messages';

-- step 84: comment public.members.classification
COMMENT ON COLUMN "public"."members"."classification" IS 'Member''s primary craft classification';

-- step 85: comment public.members.home_local
COMMENT ON COLUMN "public"."members"."home_local" IS 'Number of the IBEW local that holds the member''s card; travelers carry another local''s number';

-- step 86: comment public.members.dues_paid_through
COMMENT ON COLUMN "public"."members"."dues_paid_through" IS 'Last day covered by paid dues; NULL for applicants who are not members';

-- step 87: comment public.members.journeyman_since
COMMENT ON COLUMN "public"."members"."journeyman_since" IS 'Date of journey-level turnout or certification';

-- step 88: comment public.members.wa_cert_number
COMMENT ON COLUMN "public"."members"."wa_cert_number" IS 'Washington L&I electrical certificate number';

-- step 89: comment public.members.certifications
COMMENT ON COLUMN "public"."members"."certifications" IS 'Safety and craft certifications held (e.g. OSHA-30, NFPA-70E, CPR-FA, TWIC)';

-- step 90: comment public.members.is_active
COMMENT ON COLUMN "public"."members"."is_active" IS 'False once the member retires, transfers out or is expelled';

-- step 91: comment public.referral_books
COMMENT ON TABLE "public"."referral_books" IS 'An out-of-work list: one per classification, region and priority tier';

-- step 92: comment public.referral_books.id
COMMENT ON COLUMN "public"."referral_books"."id" IS 'Small reference table; by_default so seed data can carry fixed ids';

-- step 93: comment public.referral_books.name
COMMENT ON COLUMN "public"."referral_books"."name" IS 'Display name, e.g. ''Inside Wireman Book 1 - Seattle''';

-- step 94: comment public.referral_books.contract_code
COMMENT ON COLUMN "public"."referral_books"."contract_code" IS 'Collective bargaining agreement the book dispatches under; NULL when the book spans agreements';

-- step 95: comment public.referral_books.resign_interval_days
COMMENT ON COLUMN "public"."referral_books"."resign_interval_days" IS 'Registrants must re-sign within this many days or are dropped';

-- step 96: comment public.referral_books.is_open
COMMENT ON COLUMN "public"."referral_books"."is_open" IS 'Closed books accept no new registrations but still dispatch';

-- step 97: comment public.registration_activities
COMMENT ON TABLE "public"."registration_activities" IS 'Append-only audit trail of status changes of a book registration';

-- step 98: comment public.registration_activities.from_status
COMMENT ON COLUMN "public"."registration_activities"."from_status" IS 'NULL for the initial registration';

-- step 99: comment public.registration_activities.dispatch_id
COMMENT ON COLUMN "public"."registration_activities"."dispatch_id" IS 'Dispatch that caused the change, if any';

-- step 100: comment public.registration_activities.reason
COMMENT ON COLUMN "public"."registration_activities"."reason" IS 'e.g. ''failed to re-sign'', ''third refused referral'', ''resigned at counter''';

-- step 101: comment public.registration_activities.performed_by
COMMENT ON COLUMN "public"."registration_activities"."performed_by" IS 'Dispatcher login, or ''system'' for scheduled re-sign sweeps';
