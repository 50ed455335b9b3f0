CREATE TABLE "rate_budgets" (
	"key" text PRIMARY KEY NOT NULL,
	"next_slot_ms" double precision DEFAULT 0 NOT NULL,
	"paused_until_ms" double precision DEFAULT 0 NOT NULL,
	"pause_reason" text,
	"pauses" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
