import postgres from 'postgres';
import type { GoldSchema } from '../../plan/gold';
import type { Plan } from '../../plan/schema';
import type { RecordRef, TargetAdapter, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../target';
import { discoverSchema } from './schema';
import { writeBisecting, type Refusal } from './bisect';
import { discoverTable, KeyTakenError, PostgresTableWriter } from './target';

/**
 * PostgreSQL data errors (class 22) and constraint violations (class 23) belong to a record; so does 21000 (an
 * ON CONFLICT page naming one row twice, in two spellings of the key), which a smaller part no longer has.
 */
export function refusalOf(err: unknown): Refusal | null {
  if (err instanceof KeyTakenError) return { message: err.message, code: err.code };
  if (err instanceof postgres.PostgresError && /^(2[23]|21000$)/.test(err.code))
    return { message: err.message, code: err.code };
  return null;
}

/** One target table as TargetRecords: the key column stores the source id. */
export class PostgresTableRecords implements TargetRecords {
  readonly keyIsSourceId = true;

  constructor(readonly writer: PostgresTableWriter) {}

  prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    return Promise.resolve(payloads);
  }

  lookup(records: readonly RecordRef[], fields?: readonly string[]): Promise<Map<string, TargetRow>> {
    return this.writer.lookup(
      records.map((r) => r.sourceId),
      fields,
    );
  }

  /**
   * Inserts and updates in one transaction. One bad row fails the whole transaction: then the page is bisected
   * (see writeBisecting), so only the offending rows are refused, each with its own error.
   */
  write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    return writeBisecting(
      items,
      (part) =>
        this.writer.write(
          part.filter((i) => !i.existing).map((i) => i.payload),
          part.filter((i) => i.existing).map((i) => i.payload),
        ),
      refusalOf,
      (item) => item.sourceId,
    );
  }

  canonical(payload: Record<string, unknown>): TargetRow {
    return this.writer.canonical(payload);
  }

  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    return this.writer.canonicalReadBack(row, fields);
  }

  remove(records: readonly RecordRef[]): Promise<number> {
    return this.writer.deleteKeys(records.map((r) => r.sourceId));
  }

  restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void> {
    return this.writer.restore(images.map((i) => i.image));
  }
}

/** Built once per process, connection and table. */
const tables = new WeakMap<postgres.Sql, Map<string, Promise<PostgresTableRecords>>>();

/** A PostgreSQL database as a plan's target. */
export class PostgresTarget implements TargetAdapter {
  readonly kind = 'postgres';

  constructor(
    private readonly sql: postgres.Sql,
    private readonly plan: Plan & { target: { kind: 'postgres' } },
  ) {}

  records(objectName: string): Promise<TargetRecords> {
    const object = this.plan.objects.find((o) => o.name === objectName)!;
    const schema = this.plan.target.schema;
    const cacheKey = `${schema}.${object.target.table}.${object.target.key}`;
    let cache = tables.get(this.sql);
    if (!cache) tables.set(this.sql, (cache = new Map<string, Promise<PostgresTableRecords>>()));
    let records = cache.get(cacheKey);
    if (!records) {
      records = discoverTable(this.sql, schema, object.target.table).then(
        (t) => new PostgresTableRecords(new PostgresTableWriter(this.sql, t, object.target.key)),
      );
      records.catch(() => cache.delete(cacheKey));
      cache.set(cacheKey, records);
    }
    return records;
  }

  discoverGold(tablesToDescribe: readonly string[]): Promise<GoldSchema> {
    return discoverSchema(this.sql, this.plan.target.schema, tablesToDescribe);
  }
}
