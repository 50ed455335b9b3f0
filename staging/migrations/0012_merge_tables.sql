CREATE TABLE "merge_lineage" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"merged_ref" text NOT NULL,
	"field" text NOT NULL,
	"position" integer NOT NULL,
	"value" jsonb,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"source_field" text,
	"rule" text NOT NULL,
	CONSTRAINT "merge_lineage_migration_id_object_merged_ref_field_position_source_source_id_pk" PRIMARY KEY("migration_id","object","merged_ref","field","position","source","source_id")
);
--> statement-breakpoint
CREATE TABLE "merge_members" (
	"migration_id" text NOT NULL,
	"object" text NOT NULL,
	"ref" text NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"merged_ref" text NOT NULL,
	"group_id" text NOT NULL,
	"status" text NOT NULL,
	"match_rule" text,
	"fields" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	CONSTRAINT "merge_members_migration_id_object_ref_pk" PRIMARY KEY("migration_id","object","ref")
);
--> statement-breakpoint
ALTER TABLE "merge_lineage" ADD CONSTRAINT "merge_lineage_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merge_members" ADD CONSTRAINT "merge_members_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "merge_members_merged_idx" ON "merge_members" USING btree ("migration_id","object","merged_ref");