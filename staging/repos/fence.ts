import type postgres from 'postgres';

/**
 * The write fence of a migration (`migrations.writes_fenced_at`). A rollback raises it before it undoes
 * anything; the write protocol checks it before every target write and in the statement that marks records
 * written, so an attempt still in flight when the rollback started (a cancelled page finishing its request, a
 * worker cut off from Temporal) can neither write nor mark anything written after it. A loading phase lifts it
 * when it starts.
 */

/** Thrown by a load attempt that finds the fence up: it must stop, not retry. */
export class WritesFencedError extends Error {
  constructor(readonly migrationId: string) {
    super(`writes to the target of migration ${migrationId} are fenced: a rollback started`);
    this.name = 'WritesFencedError';
  }
}

export async function raiseFence(sql: postgres.Sql, migrationId: string, by: string): Promise<void> {
  await sql`
    update migrations set writes_fenced_at = coalesce(writes_fenced_at, now()), writes_fenced_by = ${by}
    where id = ${migrationId}`;
}

/**
 * Lifts the fence; with `raisedBefore`, only a fence raised before that instant (a loading phase lifts what a
 * finished rollback left, never what a rollback raised while the phase was starting). Whether it was lifted.
 */
export async function liftFence(sql: postgres.Sql, migrationId: string, raisedBefore?: Date): Promise<boolean> {
  const lifted = await sql`
    update migrations set writes_fenced_at = null, writes_fenced_by = null
    where id = ${migrationId} and writes_fenced_at is not null
      ${raisedBefore ? sql`and writes_fenced_at < ${raisedBefore.toISOString()}::timestamptz` : sql``}
    returning id`;
  return lifted.length > 0;
}

export async function isFenced(sql: postgres.Sql, migrationId: string): Promise<boolean> {
  const [row] = await sql<{ fenced: boolean }[]>`
    select writes_fenced_at is not null as fenced from migrations where id = ${migrationId}`;
  return row?.fenced ?? false;
}

export async function assertNotFenced(sql: postgres.Sql, migrationId: string): Promise<void> {
  if (await isFenced(sql, migrationId)) throw new WritesFencedError(migrationId);
}
