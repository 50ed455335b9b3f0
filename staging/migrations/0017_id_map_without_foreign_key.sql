ALTER TABLE "id_map" DROP CONSTRAINT "id_map_migration_id_migrations_id_fk";--> statement-breakpoint
-- What the foreign key's "on delete cascade" did: deleting a migration deletes its ledger. The key itself checked
-- every inserted ledger row against its migration, which the one insert into id_map (the ledger's begin) already
-- does by reading and locking the migration row in the same statement.
CREATE FUNCTION "id_map_delete_with_migration"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "id_map" WHERE "migration_id" = OLD."id";
  RETURN OLD;
END
$$;--> statement-breakpoint
CREATE TRIGGER "id_map_delete_with_migration" AFTER DELETE ON "migrations"
  FOR EACH ROW EXECUTE FUNCTION "id_map_delete_with_migration"();
