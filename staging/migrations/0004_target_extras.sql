CREATE TABLE "target_extras" (
	"migration_id" text NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"target_id" text,
	"detail" text,
	"created_by_tern" boolean DEFAULT true NOT NULL,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "target_extras_migration_id_kind_key_pk" PRIMARY KEY("migration_id","kind","key")
);
--> statement-breakpoint
ALTER TABLE "target_extras" ADD CONSTRAINT "target_extras_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;