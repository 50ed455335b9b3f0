CREATE TABLE "plan_versions" (
	"migration_id" text NOT NULL,
	"plan_hash" text NOT NULL,
	"plan" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_versions_migration_id_plan_hash_pk" PRIMARY KEY("migration_id","plan_hash")
);
--> statement-breakpoint
ALTER TABLE "plan_versions" ADD CONSTRAINT "plan_versions_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Each migration's current plan is its first stored version: a phase already running keeps loading it by its hash.
INSERT INTO "plan_versions" ("migration_id", "plan_hash", "plan", "created_at") SELECT "id", "plan_hash", "plan", "updated_at" FROM "migrations" ON CONFLICT DO NOTHING;
