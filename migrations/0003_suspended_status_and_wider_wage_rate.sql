-- schemactl migration 0003_suspended_status_and_wider_wage_rate
-- parent: 376f11d033d6be15a09f0e5a9c1b1dac11ef5a182ad56fe9b9e04336b7d99be1
-- hazards: blocks_writes
--

-- schemactl:no-transaction
-- step 1: add-enum-value public.registrationstatus."SUSPENDED"
ALTER TYPE "public"."registrationstatus" ADD VALUE IF NOT EXISTS 'SUSPENDED' AFTER 'DISPATCHED';

-- step 2: alter-column-type public.labor_requests.wage_rate [hazards: blocks_writes]
ALTER TABLE "public"."labor_requests" ALTER COLUMN "wage_rate" TYPE numeric(12,2);

-- step 3: comment public.labor_requests.wage_rate
COMMENT ON COLUMN "public"."labor_requests"."wage_rate" IS 'Hourly journeyman rate under the applicable agreement, USD (widened in 0003 for total-package rates)';
