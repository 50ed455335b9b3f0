CREATE TABLE "conflicts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"source_id" text NOT NULL,
	"phase" text NOT NULL,
	"policy" text NOT NULL,
	"outcome" text NOT NULL,
	"tern_checksum" text,
	"target_checksum" text,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "sampled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "sample_reason" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "delta_pending" text;--> statement-breakpoint
ALTER TABLE "staged_records" ADD COLUMN "source_deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conflicts" ADD CONSTRAINT "conflicts_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conflicts_open_uq" ON "conflicts" USING btree ("migration_id","object","source_id","phase");