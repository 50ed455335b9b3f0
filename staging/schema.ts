import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * Tern's staging schema: everything Tern knows about a migration lives here, so that every phase can be
 * resumed, replayed and proven without reading the source again.
 */

/** One migration: a plan and its identity. The plan is stored so workers never need the operator's file. */
export const migrations = pgTable('migrations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  plan: jsonb('plan').notNull(),
  planHash: text('plan_hash').notNull(),
  sourceKind: text('source_kind').notNull(),
  targetKind: text('target_kind').notNull(),
  /** Hash of the target schema frozen by the preferences phase; later phases refuse to run if it drifts. */
  goldSchemaHash: text('gold_schema_hash'),
  /** The target schema itself as frozen by preferences (tables, columns, types), to explain a drift. */
  goldSchema: jsonb('gold_schema'),
  /**
   * The write fence: set when a rollback starts, so no load attempt still in flight (a cancelled page, a worker
   * cut off from Temporal) can write to the target or mark a record written after it. Lifted when a loading
   * phase starts again.
   */
  writesFencedAt: timestamp('writes_fenced_at', { withTimezone: true }),
  writesFencedBy: text('writes_fenced_by'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every version of a migration's plan, by hash. A phase pins the hash of the plan it started with and its
 * activities load that version, whatever `migrations.plan` (the current plan) became since.
 */
export const planVersions = pgTable(
  'plan_versions',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    planHash: text('plan_hash').notNull(),
    plan: jsonb('plan').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.planHash] })],
);

/** One execution of one phase. */
export const runs = pgTable(
  'runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    phase: text('phase').notNull(),
    workflowId: text('workflow_id').notNull(),
    temporalRunId: text('temporal_run_id'),
    status: text('status').notNull(),
    summary: jsonb('summary'),
    /** The phase's full report for people (profiles stay in `profiles`): kept out of workflow histories. */
    report: jsonb('report'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('runs_migration_idx').on(t.migrationId, t.phase)],
);

/** Source records exactly as extracted (raw JSON), once per migration/object/source id. */
export const stagedRecords = pgTable(
  'staged_records',
  {
    /**
     * No foreign key: its check ran once per staged record (a third of extraction's COPY into this table), and both
     * writers (extraction's batch, a delta's changes) lock the migration row once per batch in the same transaction
     * or statement and stage nothing when it is gone. Deleting a migration still deletes its records: a trigger on
     * `migrations` does what `on delete cascade` did (migration 0019).
     */
    migrationId: text('migration_id').notNull(),
    object: text('object').notNull(),
    sourceId: text('source_id').notNull(),
    raw: jsonb('raw').notNull(),
    sourceHash: text('source_hash').notNull(),
    sourceUpdatedAt: timestamp('source_updated_at', { withTimezone: true }),
    /** Where the record was found in the source (a file line, a page cursor), for people reading reports. */
    sourcePosition: text('source_position'),
    /** Order of the record in the source (extraction order): decides `first`/`last` survivors. */
    ordinal: bigserial('ordinal', { mode: 'number' }).notNull(),
    /** Set by the plan's rules: null (to migrate), `filtered` or `deduplicated`. */
    disposition: text('disposition'),
    /** The filter rule that matched, or the dedupe key, for reports. */
    dispositionReason: text('disposition_reason'),
    /** For a deduplicated record: the source id of its group's survivor (references follow it). */
    duplicateOf: text('duplicate_of'),
    /** The dry run's predicted outcome: loaded, quarantined, filtered or deduplicated. */
    predicted: text('predicted'),
    /** For a predicted quarantine: the reason code. */
    predictedReason: text('predicted_reason'),
    /** Chosen for the sample phase; `sample_reason` says why (its stratum, or referenced by a sampled record). */
    sampled: boolean('sampled').notNull().default(false),
    sampleReason: text('sample_reason'),
    /** Set by a delta extraction until the delta load applies it: new, changed or deleted. */
    deltaPending: text('delta_pending'),
    /** When a delta found the record gone from the source. */
    sourceDeletedAt: timestamp('source_deleted_at', { withTimezone: true }),
    extractedAt: timestamp('extracted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.migrationId, t.object, t.sourceId] }),
    index('staged_records_ordinal_idx').on(t.migrationId, t.object, t.ordinal),
    // The records a delta staged and its load has not applied yet: a few among an object's million.
    index('staged_records_delta_pending_idx')
      .on(t.migrationId, t.object, t.sourceId)
      .where(sql`${t.deltaPending} is not null`),
    // The records the rules set aside (filtered, deduplicated): what a plan without rules resets finds without a
    // pass over the object's records.
    index('staged_records_disposition_idx')
      .on(t.migrationId, t.object, t.sourceId)
      .where(sql`${t.disposition} is not null`),
  ],
);

/** The ledger of every record Tern wrote to the target. */
export const idMap = pgTable(
  'id_map',
  {
    /**
     * No foreign key: its check ran once per record of every `pending` batch (half that statement's time), and the
     * only insert into `id_map` (`IdMapLedger.begin`) already reads and locks the migration row in the same
     * statement, inserting nothing when it is gone. Deleting a migration still deletes its ledger: a trigger on
     * `migrations` does what `on delete cascade` did (migration 0017).
     */
    migrationId: text('migration_id').notNull(),
    object: text('object').notNull(),
    sourceId: text('source_id').notNull(),
    targetId: text('target_id'),
    /**
     * pending: a write was attempted and its outcome is not yet known; written; refused (the target refused
     * the first write: nothing of it there); set_aside (written once, then removed because the rules now
     * filter or deduplicate it); deleted (the source deleted it); rolled_back. Rows are never deleted.
     */
    state: text('state').notNull(),
    attempt: integer('attempt').notNull().default(0),
    checksum: text('checksum'),
    /**
     * Per-field checksums of what was written (field → short sha256 of its canonical value): the fields the
     * target was sent, including those the target adds itself, so reconciliation reads back exactly those and
     * names the field that differs.
     */
    fieldChecksums: jsonb('field_checksums'),
    /** The target row as it was before Tern overwrote it; null when Tern created the row. */
    beforeImage: jsonb('before_image'),
    createdByTern: boolean('created_by_tern'),
    runPhase: text('run_phase'),
    /** The target's last refusal of a write of this record, kept beside the last good state (never erasing it). */
    lastRefusal: text('last_refusal'),
    refusedAt: timestamp('refused_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // One index: every query finds ledger rows by record. An index on the state would make every pending → written
  // update maintain it (and none needs it: each state filter comes with the record, or a whole-object pass).
  (t) => [uniqueIndex('id_map_record_uq').on(t.migrationId, t.object, t.sourceId)],
);

/** Resumption points per migration/object/phase/stage. */
export const checkpoints = pgTable(
  'checkpoints',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    phase: text('phase').notNull(),
    stage: text('stage').notNull(),
    cursor: text('cursor'),
    done: boolean('done').notNull().default(false),
    counts: jsonb('counts'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.object, t.phase, t.stage] })],
);

/** Records that could not be moved, with the reason, the field and the raw record. */
export const quarantine = pgTable(
  'quarantine',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    /** The source id, or `line:N` when the record could not even be parsed. */
    recordKey: text('record_key').notNull(),
    stage: text('stage').notNull(),
    reasonCode: text('reason_code').notNull(),
    field: text('field'),
    message: text('message').notNull(),
    raw: jsonb('raw'),
    sourcePosition: text('source_position'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('quarantine_record_uq').on(t.migrationId, t.object, t.recordKey),
    index('quarantine_open_idx')
      .on(t.migrationId, t.object)
      .where(sql`${t.resolvedAt} is null`),
  ],
);

/** The preferences phase's profile of each source object. */
export const profiles = pgTable(
  'profiles',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    profile: jsonb('profile').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.object] })],
);

/** The proof at the end of each phase, per object. */
export const reconciliations = pgTable(
  'reconciliations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    phase: text('phase').notNull(),
    object: text('object').notNull(),
    source: integer('source').notNull(),
    loaded: integer('loaded').notNull(),
    quarantined: integer('quarantined').notNull(),
    filtered: integer('filtered').notNull(),
    deduplicated: integer('deduplicated').notNull(),
    checksumMismatches: integer('checksum_mismatches').notNull(),
    sums: jsonb('sums').notNull(),
    /** The fidelity check's findings (fields checked, records, mismatches by field); null before it existed. */
    fidelity: jsonb('fidelity'),
    /**
     * A merged object's proof per source (activities/reconcile-merge.ts `MergeReconciliation`): each source's count
     * equation, the merged groups, the sums source by source; null for a one-source object and before it existed.
     */
    merge: jsonb('merge'),
    ok: boolean('ok').notNull(),
    /**
     * The audit chain's head when this proof was recorded (staging/audit.ts `AuditHead`): its last entry's
     * position, id and hash. `tern audit verify` finds a chain whose tail was cut below a recorded head.
     */
    auditHead: jsonb('audit_head'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reconciliations_migration_idx').on(t.migrationId, t.phase)],
);

/**
 * Records the target changed since Tern wrote them (checksum of the row read back ≠ the one Tern stored),
 * found by a delta or a re-run, with the policy applied. Open conflicts are reported, not hidden.
 */
export const conflicts = pgTable(
  'conflicts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    sourceId: text('source_id').notNull(),
    phase: text('phase').notNull(),
    /** skip-and-report, source-wins or target-wins. */
    policy: text('policy').notNull(),
    /** skipped (target kept, reported), overwritten (source applied), kept (target kept by policy). */
    outcome: text('outcome').notNull(),
    ternChecksum: text('tern_checksum'),
    targetChecksum: text('target_checksum'),
    detectedAt: timestamp('detected_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('conflicts_open_uq').on(t.migrationId, t.object, t.sourceId, t.phase)],
);

/**
 * One shared request budget per vendor account, honoured by every worker process: the theoretical arrival
 * time of the next request (GCRA, epoch ms on the database's clock) and a pause set when the vendor said 429.
 */
export const rateBudgets = pgTable('rate_budgets', {
  key: text('key').primaryKey(),
  nextSlotMs: doublePrecision('next_slot_ms').notNull().default(0),
  pausedUntilMs: doublePrecision('paused_until_ms').notNull().default(0),
  pauseReason: text('pause_reason'),
  pauses: integer('pauses').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Resources a SaaS target adapter created or learned besides the records of a plan object, so loads can find
 * them again and a rollback can remove them: the tags Tern created in Front, the conversation a ticket's
 * imported messages opened (kind `thread`: key = thread ref, target_id = first message uid, detail =
 * conversation id once known).
 */
export const targetExtras = pgTable(
  'target_extras',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    key: text('key').notNull(),
    targetId: text('target_id'),
    detail: text('detail'),
    createdByTern: boolean('created_by_tern').notNull().default(true),
    /** Set when a rollback removed the resource. */
    removedAt: timestamp('removed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.migrationId, t.kind, t.key] }),
    // The messages' read-back finds a thread by its first message's uid, a page of them at a time.
    index('target_extras_target_idx')
      .on(t.migrationId, t.kind, t.targetId)
      .where(sql`${t.targetId} is not null`),
  ],
);

/**
 * Requests Tern sent to each vendor, per phase, object and stage (extract, load, reconcile): what a phase
 * cost, and what the rest will cost at the vendors' documented limits (the full-phase estimate after a sample).
 */
export const vendorRequests = pgTable(
  'vendor_requests',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    phase: text('phase').notNull(),
    object: text('object').notNull(),
    stage: text('stage').notNull(),
    vendor: text('vendor').notNull(),
    requests: integer('requests').notNull().default(0),
    /**
     * Of `requests`, those that prepared the account (its metadata read, tags or options created): needed once
     * whatever the number of records, so the full-phase estimate adds them once instead of scaling them.
     */
    setupRequests: integer('setup_requests').notNull().default(0),
    /** Records the stage handled with these requests. */
    records: integer('records').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.phase, t.object, t.stage, t.vendor] })],
);

/**
 * Append-only audit log, one chain per migration: each entry's keyed hash covers the previous entry's hash (a
 * chain of custody that cannot be rewritten without the key, which is held outside this database).
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    migrationId: text('migration_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    details: jsonb('details').notNull(),
    prevHash: text('prev_hash'),
    /** HMAC-SHA256 of the entry and `prev_hash` under the key `key_id` names; sha256 for entries written unkeyed. */
    hash: text('hash').notNull(),
    /** The fingerprint of the key the entry was signed with (common/keys.ts); null: written before entries were keyed. */
    keyId: text('key_id'),
    /** The entry's position in its migration's chain (1, 2, …), kept so an append need not count the chain. */
    seq: bigint('seq', { mode: 'number' }),
  },
  (t) => [index('audit_log_migration_idx').on(t.migrationId, t.id)],
);

/**
 * The source records of a merged object (docs/merge.md), one row each: which merged record it became part of, under
 * which match rule, and its own values mapped onto the object's target fields (the staged record of a group's anchor
 * holds the merged values; these keep every member's own).
 */
export const mergeMembers = pgTable(
  'merge_members',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    /** `source/source id`: the record's staged source id. */
    ref: text('ref').notNull(),
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    /** The ref of the group's anchor: the merged record's staged source id and target key (itself when single). */
    mergedRef: text('merged_ref').notNull(),
    /** `mg_` and 16 hex digits of its members' hash. */
    groupId: text('group_id').notNull(),
    /** single, merged, review (awaiting a person's decision) or rejected (its field map or the group's survivorship refused it). */
    status: text('status').notNull(),
    /** The first match rule that joined the group; null for a single record. */
    matchRule: text('match_rule'),
    fields: jsonb('fields').notNull(),
    sourceUpdatedAt: timestamp('source_updated_at', { withTimezone: true }),
    /** The record as its source gave it, and where: a merge is made again from these when the plan's merge changes. */
    raw: jsonb('raw'),
    sourcePosition: text('source_position'),
    /** A digest of the merged record's members and lineage: a merge writes again only the merged records it changed. */
    groupDigest: text('group_digest'),
  },
  (t) => [
    primaryKey({ columns: [t.migrationId, t.object, t.ref] }),
    index('merge_members_merged_idx').on(t.migrationId, t.object, t.mergedRef),
  ],
);

/** For each merged record and target field: the source value(s) it was taken from and the rule that chose them. */
export const mergeLineage = pgTable(
  'merge_lineage',
  {
    migrationId: text('migration_id')
      .notNull()
      .references(() => migrations.id, { onDelete: 'cascade' }),
    object: text('object').notNull(),
    mergedRef: text('merged_ref').notNull(),
    field: text('field').notNull(),
    /** 0 for a single value; a union field's elements 0, 1, … in order. */
    position: integer('position').notNull(),
    value: jsonb('value'),
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    /** The source column the value was mapped from; null for a constant field. */
    sourceField: text('source_field'),
    rule: text('rule').notNull(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.object, t.mergedRef, t.field, t.position, t.source, t.sourceId] })],
);

export type Migration = typeof migrations.$inferSelect;
export type StagedRecord = typeof stagedRecords.$inferSelect;
export type IdMapRow = typeof idMap.$inferSelect;
export type QuarantineRow = typeof quarantine.$inferSelect;
export type ReconciliationRow = typeof reconciliations.$inferSelect;
