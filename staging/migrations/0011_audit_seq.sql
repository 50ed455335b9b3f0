ALTER TABLE "audit_log" ADD COLUMN "seq" bigint;--> statement-breakpoint
-- Entries already written get their position in their migration's chain, as counting gave it.
UPDATE "audit_log" AS a SET "seq" = s.n
FROM (SELECT id, row_number() OVER (PARTITION BY migration_id ORDER BY id) AS n FROM "audit_log") AS s
WHERE a.id = s.id;
