-- schemactl down migration 0001_init
-- parent: 4f65d15ee84734932c39e56f6e76a47602292c844a6c2382b4aa8596989cdc8f
-- hazards: breaks_clients, deletes_data
--

-- step 1: drop-foreign-key public.book_registrations.book_registrations_last_dispatch_id_fkey
ALTER TABLE "public"."book_registrations" DROP CONSTRAINT "book_registrations_last_dispatch_id_fkey";

-- step 2: drop-foreign-key public.book_registrations.book_registrations_member_id_fkey
ALTER TABLE "public"."book_registrations" DROP CONSTRAINT "book_registrations_member_id_fkey";

-- step 3: drop-foreign-key public.book_registrations.book_registrations_referral_book_id_fkey
ALTER TABLE "public"."book_registrations" DROP CONSTRAINT "book_registrations_referral_book_id_fkey";

-- step 4: drop-foreign-key public.dispatches.dispatches_bid_id_fkey
ALTER TABLE "public"."dispatches" DROP CONSTRAINT "dispatches_bid_id_fkey";

-- step 5: drop-foreign-key public.dispatches.dispatches_labor_request_id_fkey
ALTER TABLE "public"."dispatches" DROP CONSTRAINT "dispatches_labor_request_id_fkey";

-- step 6: drop-foreign-key public.dispatches.dispatches_member_id_fkey
ALTER TABLE "public"."dispatches" DROP CONSTRAINT "dispatches_member_id_fkey";

-- step 7: drop-foreign-key public.dispatches.dispatches_registration_id_fkey
ALTER TABLE "public"."dispatches" DROP CONSTRAINT "dispatches_registration_id_fkey";

-- step 8: drop-foreign-key public.job_bids.job_bids_labor_request_id_fkey
ALTER TABLE "public"."job_bids" DROP CONSTRAINT "job_bids_labor_request_id_fkey";

-- step 9: drop-foreign-key public.job_bids.job_bids_member_id_fkey
ALTER TABLE "public"."job_bids" DROP CONSTRAINT "job_bids_member_id_fkey";

-- step 10: drop-foreign-key public.labor_requests.labor_requests_requested_member_id_fkey
ALTER TABLE "public"."labor_requests" DROP CONSTRAINT "labor_requests_requested_member_id_fkey";

-- step 11: drop-foreign-key public.registration_activities.registration_activities_dispatch_id_fkey
ALTER TABLE "public"."registration_activities" DROP CONSTRAINT "registration_activities_dispatch_id_fkey";

-- step 12: drop-foreign-key public.registration_activities.registration_activities_registration_id_fkey
ALTER TABLE "public"."registration_activities" DROP CONSTRAINT "registration_activities_registration_id_fkey";

-- step 13: drop-table public.book_registrations [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."book_registrations";

-- step 14: drop-table public.dispatches [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."dispatches";

-- step 15: drop-table public.job_bids [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."job_bids";

-- step 16: drop-table public.labor_requests [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."labor_requests";

-- step 17: drop-table public.members [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."members";

-- step 18: drop-table public.referral_books [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."referral_books";

-- step 19: drop-table public.registration_activities [hazards: deletes_data, breaks_clients]
DROP TABLE "public"."registration_activities";

-- step 20: drop-enum public.bookclassification [hazards: breaks_clients]
DROP TYPE "public"."bookclassification";

-- step 21: drop-enum public.bookregion [hazards: breaks_clients]
DROP TYPE "public"."bookregion";

-- step 22: drop-enum public.booktier [hazards: breaks_clients]
DROP TYPE "public"."booktier";

-- step 23: drop-enum public.dispatchoutcome [hazards: breaks_clients]
DROP TYPE "public"."dispatchoutcome";

-- step 24: drop-enum public.dispatchstatus [hazards: breaks_clients]
DROP TYPE "public"."dispatchstatus";

-- step 25: drop-enum public.laborrequeststatus [hazards: breaks_clients]
DROP TYPE "public"."laborrequeststatus";

-- step 26: drop-enum public.laborrequesttype [hazards: breaks_clients]
DROP TYPE "public"."laborrequesttype";

-- step 27: drop-enum public.registrationstatus [hazards: breaks_clients]
DROP TYPE "public"."registrationstatus";
