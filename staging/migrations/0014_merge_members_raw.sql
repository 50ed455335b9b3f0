ALTER TABLE "merge_members" ADD COLUMN "raw" jsonb;--> statement-breakpoint
ALTER TABLE "merge_members" ADD COLUMN "source_position" text;