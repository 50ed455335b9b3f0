import type postgres from 'postgres';
import { RecordRejectedError, UnknownOutcomeError } from './errors';

/**
 * The idempotent write protocol (docs/architecture.md): id map `pending(attempt)` → call the vendor →
 * `written(target id, checksum)`. When an earlier attempt's outcome is unknown (timeout, dropped connection,
 * killed worker), the record is looked up on the target by its external id before anything is created again.
 */

/** Writes one kind of record to one vendor object. */
export interface ExternalWriter<P> {
  /** The id the target can be searched by (Front `external_id`, an Attio unique attribute). */
  externalId(payload: P): string;
  /** The target id of the record written with this external id, or null when there is none. */
  find(externalId: string): Promise<string | null>;
  /** Creates (or, for a vendor with native upsert, asserts) the record; returns its target id. */
  write(payload: P): Promise<string>;
}

export interface LedgerEntry {
  /** pending, written, rolled_back. */
  state: string;
  attempt: number;
  targetId: string | null;
}

/** The id map, as the protocol needs it. */
export interface WriteLedger {
  /** Marks records pending (attempt + 1) and returns each one's state before this call. */
  begin(sourceIds: string[]): Promise<Map<string, LedgerEntry | undefined>>;
  written(sourceId: string, targetId: string, checksum: string): Promise<void>;
}

/** The ledger in staging's `id_map` for one migration object. */
export class IdMapLedger implements WriteLedger {
  constructor(
    private readonly sql: postgres.Sql,
    private readonly migrationId: string,
    private readonly object: string,
    private readonly phase: string,
  ) {}

  async begin(sourceIds: string[]): Promise<Map<string, LedgerEntry | undefined>> {
    const before = new Map<string, LedgerEntry | undefined>();
    if (sourceIds.length === 0) return before;
    const rows = await this.sql<{ source_id: string; state: string; attempt: number; target_id: string | null }[]>`
      select source_id, state, attempt, target_id from id_map
      where migration_id = ${this.migrationId} and object = ${this.object} and source_id = any(${sourceIds}::text[])`;
    for (const r of rows) before.set(r.source_id, { state: r.state, attempt: r.attempt, targetId: r.target_id });
    const toMark = sourceIds.filter((id) => before.get(id)?.state !== 'written');
    if (toMark.length > 0) {
      await this.sql`
        insert into id_map (migration_id, object, source_id, state, attempt, created_by_tern, run_phase)
        select ${this.migrationId}, ${this.object}, id, 'pending', 1, true, ${this.phase} from unnest(${toMark}::text[]) as id
        on conflict (migration_id, object, source_id) do update
          set state = 'pending', attempt = id_map.attempt + 1, run_phase = excluded.run_phase, updated_at = now()`;
    }
    return before;
  }

  async written(sourceId: string, targetId: string, checksum: string): Promise<void> {
    await this.sql`
      update id_map set state = 'written', target_id = ${targetId}, checksum = ${checksum}, updated_at = now()
      where migration_id = ${this.migrationId} and object = ${this.object} and source_id = ${sourceId}`;
  }
}

export interface WriteItem<P> {
  sourceId: string;
  payload: P;
  checksum: string;
}

export type WriteOutcome =
  | { sourceId: string; outcome: 'created' | 'found' | 'already'; targetId: string }
  | { sourceId: string; outcome: 'rejected'; error: RecordRejectedError };

export interface WriteStats {
  created: number;
  /** Records an earlier attempt had written after all: found by external id, not written again. */
  found: number;
  already: number;
  rejected: number;
  /** Writes whose answer never came and that were resolved by a lookup. */
  unknownOutcomes: number;
  lookups: number;
}

/** Runs `fn` over items with at most `concurrency` at once, in order of start. */
export async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  });
  await Promise.all(lanes);
  if (failed !== undefined)
    throw failed instanceof Error ? failed : new Error('a write lane failed', { cause: failed });
}

/**
 * Writes each item exactly once. A record whose earlier attempt ended unknown is looked up first; a write
 * that ends unknown now is looked up before it is tried again. Record-level rejections are returned (to be
 * quarantined); anything else (credentials, exhausted retries) is thrown, leaving the ledger to resume from.
 */
export async function writeExactlyOnce<P>(
  ledger: WriteLedger,
  writer: ExternalWriter<P>,
  items: WriteItem<P>[],
  options: { concurrency: number; maxUnknown?: number; onProgress?: () => void },
): Promise<{ outcomes: WriteOutcome[]; stats: WriteStats }> {
  const stats: WriteStats = { created: 0, found: 0, already: 0, rejected: 0, unknownOutcomes: 0, lookups: 0 };
  const outcomes: WriteOutcome[] = [];
  const before = await ledger.begin(items.map((i) => i.sourceId));
  const lookup = async (externalId: string) => {
    stats.lookups += 1;
    return writer.find(externalId);
  };

  await eachLimited(items, options.concurrency, async (item) => {
    const prior = before.get(item.sourceId);
    if (prior?.state === 'written' && prior.targetId) {
      stats.already += 1;
      outcomes.push({ sourceId: item.sourceId, outcome: 'already', targetId: prior.targetId });
      return;
    }
    const externalId = writer.externalId(item.payload);
    // An attempt before this one may have written the record without Tern hearing of it.
    let suspect = prior?.state === 'pending';
    for (let unknown = 0; ;) {
      if (suspect) {
        const found = await lookup(externalId);
        if (found) {
          await ledger.written(item.sourceId, found, item.checksum);
          stats.found += 1;
          outcomes.push({ sourceId: item.sourceId, outcome: 'found', targetId: found });
          return;
        }
      }
      try {
        const targetId = await writer.write(item.payload);
        await ledger.written(item.sourceId, targetId, item.checksum);
        stats.created += 1;
        outcomes.push({ sourceId: item.sourceId, outcome: 'created', targetId });
        return;
      } catch (err) {
        if (err instanceof RecordRejectedError) {
          stats.rejected += 1;
          outcomes.push({ sourceId: item.sourceId, outcome: 'rejected', error: err });
          return;
        }
        if (!(err instanceof UnknownOutcomeError)) throw err;
        stats.unknownOutcomes += 1;
        unknown += 1;
        if (unknown > (options.maxUnknown ?? 8)) throw err;
        suspect = true;
      } finally {
        options.onProgress?.();
      }
    }
  });
  return { outcomes, stats };
}
