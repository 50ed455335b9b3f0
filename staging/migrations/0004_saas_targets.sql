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
CREATE TABLE "vendor_requests" (
	"migration_id" text NOT NULL,
	"phase" text NOT NULL,
	"object" text NOT NULL,
	"stage" text NOT NULL,
	"vendor" text NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"records" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vendor_requests_migration_id_phase_object_stage_vendor_pk" PRIMARY KEY("migration_id","phase","object","stage","vendor")
);
--> statement-breakpoint
ALTER TABLE "target_extras" ADD CONSTRAINT "target_extras_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vendor_requests" ADD CONSTRAINT "vendor_requests_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE cascade ON UPDATE no action;