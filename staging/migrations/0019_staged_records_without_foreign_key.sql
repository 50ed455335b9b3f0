ALTER TABLE "staged_records" DROP CONSTRAINT "staged_records_migration_id_migrations_id_fk";--> statement-breakpoint
-- What the foreign key's "on delete cascade" did: deleting a migration deletes its staged records. The key itself
-- checked every staged record against its migration; extraction's batch and a delta's changes now lock the
-- migration row once per batch, in the same transaction or statement, and stage nothing when it is gone.
CREATE FUNCTION "staged_records_delete_with_migration"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "staged_records" WHERE "migration_id" = OLD."id";
  RETURN OLD;
END
$$;--> statement-breakpoint
CREATE TRIGGER "staged_records_delete_with_migration" AFTER DELETE ON "migrations"
  FOR EACH ROW EXECUTE FUNCTION "staged_records_delete_with_migration"();
