ALTER TABLE "migrations" ADD COLUMN "gold_schema" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "report" jsonb;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "ordinal" bigserial NOT NULL;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "disposition" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "disposition_reason" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "duplicate_of" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "predicted" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "predicted_reason" text;--> statement-breakpoint
CREATE INDEX "staged_records_ordinal_idx" ON "staged_records" USING btree ("migration_id","object","ordinal");