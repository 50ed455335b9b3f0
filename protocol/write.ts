import type { TargetRecords, TargetRow } from '../connectors/target';
import { checksum } from '../plan/checksum';
import type { Ledger, LedgerEntry } from './ledger';

/**
 * Tern's one write protocol (docs/architecture.md, "The write protocol"). For a page of mapped records:
 *
 * 1. look every record up in the target (one lookup per page): what is there decides create vs. update, is the
 *    before-image, and finds what an earlier attempt wrote without hearing back;
 * 2. a record Tern wrote that no longer reads back as Tern wrote it was changed in the target: a conflict,
 *    settled by the plan's policy;
 * 3. `pending` in the ledger (attempt + 1, fenced: refused once a rollback started);
 * 4. the target write (stopped first if the activity was cancelled);
 * 5. `written(target id, checksum)` where this attempt is still the record's latest and the fence is down;
 *    a refusal is recorded beside the last good state, never erasing it.
 *
 * A worker killed anywhere leaves `pending` rows whose next attempt finds what the lost one wrote (step 1), so
 * nothing is written twice; nothing is marked written that the target did not accept, so nothing is lost.
 */

export type ConflictPolicy = 'skip-and-report' | 'source-wins' | 'target-wins';

/** A mapped record ready to write: the payload in the target's own terms and its checksum. */
export interface Candidate {
  sourceId: string;
  payload: Record<string, unknown>;
  checksum: string;
  /** Per-field checksums of the canonical payload: the fields reconciliation reads back and names. */
  fieldChecksums: Record<string, string>;
  /** The payload's key value (the external id lookups use). */
  key: string;
}

export interface ConflictFinding {
  sourceId: string;
  policy: ConflictPolicy;
  outcome: 'overwritten' | 'kept' | 'skipped';
  ternChecksum: string;
  targetChecksum: string;
}

export interface Refusal {
  message: string;
  code?: string;
  field?: string | null;
  /** Tern saw the refusal coming and did not send the record. */
  notSent?: boolean;
}

export interface WriteResult {
  written: string[];
  refused: Map<string, Refusal>;
  conflicts: ConflictFinding[];
}

export interface ProtocolDeps {
  ledger: Ledger;
  target: TargetRecords;
  conflictPolicy: ConflictPolicy;
  /** Throws when the activity was cancelled: called before every step that writes. */
  throwIfCancelled(): void;
  /** A sign of life between steps. */
  beat(): void;
}

/** The ledger's view of a record, for the target. */
export function refOf(
  sourceId: string,
  known: { targetId: string | null; state: string } | undefined,
  key: string = sourceId,
) {
  return { sourceId, key, targetId: known?.targetId ?? null, state: known?.state ?? null };
}

/** A record is Tern's when Tern created it, or it came into being through Tern's own writes. */
function ternMade(row: TargetRow | undefined): boolean {
  return !row || row.__tern_created === 'true';
}

function withoutInternal(row: TargetRow): TargetRow {
  const { __tern_id: _id, __tern_created: _created, ...rest } = row;
  return rest;
}

/** Writes a page of candidates through the protocol. `known` is the ledger's view before this attempt. */
export async function writeRecords(
  deps: ProtocolDeps,
  candidates: readonly Candidate[],
  known: ReadonlyMap<string, LedgerEntry>,
): Promise<WriteResult> {
  const result: WriteResult = { written: [], refused: new Map(), conflicts: [] };
  if (candidates.length === 0) return result;
  const { ledger, target } = deps;

  const existing = await target.lookup(candidates.map((c) => refOf(c.sourceId, known.get(c.sourceId), c.key)));
  deps.beat();

  const toWrite: Candidate[] = [];
  for (const c of candidates) {
    const before = known.get(c.sourceId);
    const row = existing.get(c.sourceId);
    if (before?.state === 'written' && before.checksum && row) {
      const targetSum = checksum(target.canonicalReadBack(row, Object.keys(c.payload)));
      if (targetSum !== before.checksum) {
        const policy = deps.conflictPolicy;
        const outcome = policy === 'source-wins' ? 'overwritten' : policy === 'target-wins' ? 'kept' : 'skipped';
        result.conflicts.push({
          sourceId: c.sourceId,
          policy,
          outcome,
          ternChecksum: before.checksum,
          targetChecksum: targetSum,
        });
        if (outcome !== 'overwritten') continue;
      }
    }
    toWrite.push(c);
  }
  if (toWrite.length === 0) return result;

  deps.throwIfCancelled();
  const attempts = await ledger.begin(
    toWrite.map((c) => {
      const row = existing.get(c.sourceId);
      return {
        sourceId: c.sourceId,
        createdByTern: ternMade(row),
        beforeImage: row && !ternMade(row) ? withoutInternal(row) : null,
      };
    }),
  );
  deps.beat();

  deps.throwIfCancelled();
  const outcome = await target.write(
    toWrite.map((c) => ({
      sourceId: c.sourceId,
      payload: c.payload,
      existing: existing.get(c.sourceId),
      targetId: known.get(c.sourceId)?.targetId ?? null,
      earlierAttempt: known.get(c.sourceId)?.state === 'pending',
    })),
  );
  deps.beat();

  const accepted = toWrite.filter((c) => !outcome.rejected.has(c.sourceId));
  const overwrote = new Map(
    result.conflicts.filter((f) => f.outcome === 'overwritten').map((f) => [f.sourceId, f.policy] as const),
  );
  const marked = await ledger.written(
    accepted.map((c) => ({
      sourceId: c.sourceId,
      targetId: outcome.ids.get(c.sourceId) ?? null,
      checksum: c.checksum,
      fieldChecksums: c.fieldChecksums,
      attempt: attempts.get(c.sourceId)!,
      ...(overwrote.has(c.sourceId) ? { overwrote: overwrote.get(c.sourceId) } : {}),
    })),
  );
  result.written = accepted.filter((c) => marked.has(c.sourceId)).map((c) => c.sourceId);
  const refusals = toWrite.filter((c) => outcome.rejected.has(c.sourceId));
  if (refusals.length > 0) {
    await ledger.refused(
      refusals.map((c) => ({
        sourceId: c.sourceId,
        message: outcome.rejected.get(c.sourceId)!.message,
        attempt: attempts.get(c.sourceId)!,
      })),
      known,
    );
    for (const c of refusals) result.refused.set(c.sourceId, outcome.rejected.get(c.sourceId)!);
  }
  return result;
}

/**
 * Takes records out of the target that Tern put there: the source deleted them (`deleted`: the row goes), or the
 * rules now set them aside (`set_aside`: a row Tern created goes, a row Tern overwrote gets its before-image
 * back). Each record's ledger row keeps its before-image, so a rollback can still restore it.
 */
export async function removeRecords(
  deps: ProtocolDeps,
  entries: readonly LedgerEntry[],
  state: 'deleted' | 'set_aside',
): Promise<{ removed: number; restored: number }> {
  if (entries.length === 0) return { removed: 0, restored: 0 };
  const restore =
    state === 'set_aside' ? entries.filter((e) => e.createdByTern === false && e.beforeImage !== null) : [];
  const restoring = new Set(restore.map((e) => e.sourceId));
  const remove = entries.filter((e) => !restoring.has(e.sourceId));
  deps.throwIfCancelled();
  await deps.ledger.assertWritable(); // nothing is removed once a rollback started
  const removed = await deps.target.remove(remove.map((e) => refOf(e.sourceId, e)));
  if (restore.length > 0)
    await deps.target.restore(restore.map((e) => ({ ref: refOf(e.sourceId, e), image: e.beforeImage! })));
  deps.beat();
  await deps.ledger.removed(
    entries.map((e) => e.sourceId),
    state,
  );
  return { removed, restored: restore.length };
}
