ALTER TABLE "id_map" ADD COLUMN "last_refusal" text;--> statement-breakpoint
ALTER TABLE "id_map" ADD COLUMN "refused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "migrations" ADD COLUMN "writes_fenced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "migrations" ADD COLUMN "writes_fenced_by" text;