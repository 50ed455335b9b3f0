import type { GoldSchema } from '../plan/gold';

/** A target row as Tern reads it back: every field as canonical-able text, by field name. */
export type TargetRow = Record<string, string | null>;

/** What the ledger knows about one record when a page is loaded, reconciled or rolled back. */
export interface RecordRef {
  sourceId: string;
  /** The value of the object's key field in the mapped payload (the external id used for lookups). */
  key: string;
  /** The id the target gave the record when Tern wrote it, if it did. */
  targetId?: string | null;
  /** The ledger state: null when Tern never tried to write the record. */
  state?: string | null;
}

export interface WriteItem {
  sourceId: string;
  /** The payload after `prepare`. */
  payload: Record<string, unknown>;
  /** What the target held before this write (from `lookup`); absent means create. */
  existing?: TargetRow;
  targetId?: string | null;
  /** An earlier attempt left the record pending: its write may have happened without an answer. */
  earlierAttempt?: boolean;
}

export interface WriteOutcome {
  /** Target ids by source id, for every record written. */
  ids: Map<string, string>;
  /**
   * Records the target refused, by source id: the page goes on, they are quarantined. `notSent`: Tern saw the
   * refusal coming (a unique value another record holds) and did not send the record; `code` is then the reason.
   */
  rejected: Map<string, { message: string; code?: string; field?: string | null; notSent?: boolean }>;
}

/**
 * One plan object's records in a target: a PostgreSQL table or a SaaS resource. loadPage, reconcileObject and
 * rollback speak to targets only through this, so every target gets the same ledger, write protocol and proof.
 */
export interface TargetRecords {
  /**
   * Resolves what the payload names in the target's own terms (teammates by email, tags by name) so the
   * checksum covers what is actually sent. Identity for tables.
   */
  prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  /**
   * The target's current rows for these records, by source id (absent: not there). `fields`: only these are
   * needed (a read-back for reconciliation); a target may return more. Without it, whole rows (before-images).
   */
  lookup(records: readonly RecordRef[], fields?: readonly string[]): Promise<Map<string, TargetRow>>;
  write(items: readonly WriteItem[]): Promise<WriteOutcome>;
  /** The canonical text form of a payload, as it must read back; a field's depends on its own value alone. */
  canonical(payload: Record<string, unknown>): TargetRow;
  /**
   * The canonical form of a read-back row restricted to the fields a payload wrote. A field's canonical form
   * depends on its own value alone (a reconciliation compares one call's fields by checksum and by fidelity).
   */
  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow;
  /**
   * Whether the target stores a plan field's value as sent, under the same name (the fidelity check compares it
   * with the source). False where the target turns it into something else: an email resolved to a teammate id,
   * a note's author and time written into its body. Absent: every field is stored as sent.
   */
  storesAsSent?(field: string): boolean;
  /** Removes these records from the target (absent ones are fine); returns how many were removed. */
  remove(records: readonly RecordRef[]): Promise<number>;
  /** Puts rows back as they were read (before-images from `lookup`). */
  restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void>;
  /**
   * Whether the key must equal the source id (tables: the key column stores it). SaaS resources carry their
   * own external id (an email handle, a message external_id).
   */
  readonly keyIsSourceId: boolean;
  /**
   * Read-only: the records `write` would not send because another record holds one of their unique values (in
   * the target already, or earlier in `items`), with the refusal `write` gives them. A dry run asks the target
   * this way to predict the load; targets that leave unique values to the write itself do not have it.
   */
  uniqueConflicts?(
    items: readonly WriteItem[],
  ): Promise<Map<string, { message: string; code: string; field: string; notSent: true }>>;
}

/** A plan's target: its records per object, its gold schema, and what a rollback must clean beyond records. */
export interface TargetAdapter {
  readonly kind: string;
  records(objectName: string): Promise<TargetRecords>;
  /** The frozen "gold" description of what the plan writes: tables or resources, field by field. */
  discoverGold(tables: readonly string[]): Promise<GoldSchema>;
  /** Removes the auxiliary resources Tern created (tags, …) after every object was rolled back. */
  rollbackExtras?(): Promise<{ removed: number }>;
  /** Verifies `rollbackExtras`: resources Tern created that are still there. */
  verifyExtras?(): Promise<{ remaining: string[] }>;
}
