CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"migration_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"details" jsonb NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"phase" text NOT NULL,
	"stage" text NOT NULL,
	"cursor" text,
	"done" boolean DEFAULT false NOT NULL,
	"counts" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoints_migration_id_object_phase_stage_pk" PRIMARY KEY("migration_id","object","phase","stage")
);
--> statement-breakpoint
CREATE TABLE "id_map" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"source_id" text NOT NULL,
	"target_id" text,
	"state" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"checksum" text,
	"before_image" jsonb,
	"created_by_tern" boolean,
	"run_phase" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migrations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"plan" jsonb NOT NULL,
	"plan_hash" text NOT NULL,
	"source_kind" text NOT NULL,
	"target_kind" text NOT NULL,
	"gold_schema_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profiles" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"profile" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "profiles_migration_id_object_pk" PRIMARY KEY("migration_id","object")
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"record_key" text NOT NULL,
	"stage" text NOT NULL,
	"reason_code" text NOT NULL,
	"field" text,
	"message" text NOT NULL,
	"raw" jsonb,
	"source_position" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "reconciliations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"migration_id" text NOT NULL,
	"phase" text NOT NULL,
	"object" text NOT NULL,
	"source" integer NOT NULL,
	"loaded" integer NOT NULL,
	"quarantined" integer NOT NULL,
	"filtered" integer NOT NULL,
	"deduplicated" integer NOT NULL,
	"checksum_mismatches" integer NOT NULL,
	"sums" jsonb NOT NULL,
	"ok" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"migration_id" text NOT NULL,
	"phase" text NOT NULL,
	"workflow_id" text NOT NULL,
	"temporal_run_id" text,
	"status" text NOT NULL,
	"summary" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "staged_records" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"source_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_hash" text NOT NULL,
	"source_updated_at" timestamp with time zone,
	"source_position" text,
	"extracted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "staged_records_migration_id_object_source_id_pk" PRIMARY KEY("migration_id","object","source_id")
);
--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "id_map" ADD CONSTRAINT "id_map_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliations" ADD CONSTRAINT "reconciliations_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staged_records" ADD CONSTRAINT "staged_records_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_migration_idx" ON "audit_log" USING btree ("migration_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "id_map_record_uq" ON "id_map" USING btree ("migration_id","object","source_id");--> statement-breakpoint
CREATE INDEX "id_map_state_idx" ON "id_map" USING btree ("migration_id","object","state");--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_record_uq" ON "quarantine" USING btree ("migration_id","object","record_key");--> statement-breakpoint
CREATE INDEX "quarantine_open_idx" ON "quarantine" USING btree ("migration_id","object") WHERE "quarantine"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "reconciliations_migration_idx" ON "reconciliations" USING btree ("migration_id","phase");--> statement-breakpoint
CREATE INDEX "runs_migration_idx" ON "runs" USING btree ("migration_id","phase");