-- schemactl down migration 0003_suspended_status_and_wider_wage_rate
-- parent: 376f11d033d6be15a09f0e5a9c1b1dac11ef5a182ad56fe9b9e04336b7d99be1
-- hazards: blocks_writes, deletes_data, may_fail_on_data, rewrites_table
--

-- step 1: drop-index public.book_registrations.book_registrations_active_member_book_key
DROP INDEX "public"."book_registrations_active_member_book_key";

-- step 2: drop-index public.book_registrations.book_registrations_dispatch_order_idx
DROP INDEX "public"."book_registrations_dispatch_order_idx";

-- step 3: drop-check public.registration_activities.registration_activities_check
ALTER TABLE "public"."registration_activities" DROP CONSTRAINT "registration_activities_check";

-- step 4: recreate-enum public.registrationstatus [hazards: deletes_data, rewrites_table, blocks_writes, may_fail_on_data]
ALTER TYPE "public"."registrationstatus" RENAME TO "registrationstatus__schemactl_old";
CREATE TYPE "public"."registrationstatus" AS ENUM ('ACTIVE', 'DISPATCHED', 'RESIGNED', 'DROPPED', 'EXPIRED');
ALTER TABLE "public"."book_registrations" ALTER COLUMN "status" DROP DEFAULT, ALTER COLUMN "status" TYPE "public"."registrationstatus" USING "status"::text::"public"."registrationstatus", ALTER COLUMN "status" SET DEFAULT 'ACTIVE';
ALTER TABLE "public"."registration_activities" ALTER COLUMN "from_status" TYPE "public"."registrationstatus" USING "from_status"::text::"public"."registrationstatus";
ALTER TABLE "public"."registration_activities" ALTER COLUMN "to_status" TYPE "public"."registrationstatus" USING "to_status"::text::"public"."registrationstatus";
DROP TYPE "public"."registrationstatus__schemactl_old";

-- step 5: alter-column-type public.labor_requests.wage_rate [hazards: deletes_data, rewrites_table, blocks_writes, may_fail_on_data]
ALTER TABLE "public"."labor_requests" ALTER COLUMN "wage_rate" TYPE numeric(10,2);

-- step 6: add-check public.registration_activities.registration_activities_check [hazards: blocks_writes, may_fail_on_data]
ALTER TABLE "public"."registration_activities" ADD CONSTRAINT "registration_activities_check" CHECK (from_status IS DISTINCT FROM to_status);

-- step 7: create-index public.book_registrations.book_registrations_active_member_book_key [hazards: blocks_writes, may_fail_on_data]
CREATE UNIQUE INDEX "book_registrations_active_member_book_key" ON "public"."book_registrations" USING "btree" ("member_id", "referral_book_id") WHERE (status = 'ACTIVE');

-- step 8: create-index public.book_registrations.book_registrations_dispatch_order_idx [hazards: blocks_writes]
CREATE INDEX "book_registrations_dispatch_order_idx" ON "public"."book_registrations" USING "btree" ("referral_book_id", "applicant_priority_number") INCLUDE ("member_id") WHERE (status = 'ACTIVE');

-- step 9: comment public.registrationstatus
COMMENT ON TYPE "public"."registrationstatus" IS 'Lifecycle of a book registration; only ACTIVE registrations are eligible for referral';

-- step 10: comment public.labor_requests.wage_rate
COMMENT ON COLUMN "public"."labor_requests"."wage_rate" IS 'Hourly journeyman rate under the applicable agreement, USD';
