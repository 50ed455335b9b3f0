ALTER TABLE "audit_log" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "reconciliations" ADD COLUMN "audit_head" jsonb;