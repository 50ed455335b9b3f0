import { generateKeyText, parseKeyRing, type KeyRing } from '../../common/keys';
import { appendAudit, type AuditHead } from '../../staging/audit';
import { entryHash } from '../../staging/audit-chain';
import { verifyAuditChain, type AuditVerification } from '../../staging/audit-verify';
import type { Staging } from '../../staging/db';
import { testStaging, uniqueId } from '../support/harness';

/**
 * The audit chain against tampering, on real PostgreSQL: each way of changing the log without the key — an edited
 * entry, a deleted one, two swapped, the end cut off, the whole chain rewritten — is found, and named.
 */
describe('the keyed audit chain', () => {
  let staging: Staging;
  const migrationIds: string[] = [];
  const ring = (...keys: string[]): KeyRing => parseKeyRing(keys.join('\n'), 'audit', 'the test ring', 'n/a');
  const key = generateKeyText();
  const keys = ring(key);

  beforeAll(async () => {
    staging = await testStaging();
  });
  afterAll(async () => {
    for (const id of migrationIds) {
      await staging.sql`delete from migrations where id = ${id}`;
      await staging.sql`delete from audit_log where migration_id = ${id}`;
    }
    await staging.close();
  });

  /** A migration with six audited actions; the reconciliations after the 3rd and the 6th recorded their heads. */
  async function chain(signWith: KeyRing = keys): Promise<{ id: string; heads: AuditHead[]; ids: number[] }> {
    const id = uniqueId('mig_audit');
    migrationIds.push(id);
    await staging.sql`
      insert into migrations (id, name, plan, plan_hash, source_kind, target_kind)
      values (${id}, 'audit test', '{}'::jsonb, 'p', 'csv', 'postgres')`;
    const heads: AuditHead[] = [];
    const ids: number[] = [];
    for (let n = 1; n <= 6; n += 1) {
      const head = await appendAudit(
        staging.db,
        {
          migrationId: id,
          actor: 'tern',
          action: n % 3 === 0 ? 'object.reconciled' : 'records.written',
          details: { n },
        },
        signWith,
      );
      ids.push(head.id);
      if (n % 3 === 0) {
        await recordProof(id, head);
        heads.push(head);
      }
    }
    return { id, heads, ids };
  }

  /** What activities/reconcile.ts stores with each proof: the chain's head. */
  const recordProof = (id: string, head: AuditHead) => staging.sql`
    insert into reconciliations (migration_id, phase, object, source, loaded, quarantined, filtered, deduplicated,
      checksum_mismatches, sums, ok, audit_head)
    values (${id}, 'full', 'customers', 1, 1, 0, 0, 0, 0, '{}'::jsonb, true, ${JSON.stringify(head)}::jsonb)`;

  const verify = (id: string, ring: KeyRing = keys) => verifyAuditChain(staging.db, id, { keys: ring });
  const brokenAt = (v: AuditVerification) => v.broken && { seq: v.broken.seq, id: v.broken.id };

  it('verifies an intact chain, every entry keyed and held to the heads its reconciliations recorded', async () => {
    const { id, heads } = await chain();
    const v = await verify(id);
    expect(v).toMatchObject({ ok: true, entries: 6, headsChecked: 2, unkeyed: 0, broken: null });
    expect(v.keyIds).toEqual([keys.current.id]);
    expect(v.head).toEqual(heads[1]);
    expect(heads.map((h) => h.seq)).toEqual([3, 6]);
  });

  it('keeps each entry’s position in its chain, and counts a head an older Tern wrote without one', async () => {
    const { id } = await chain();
    const stored = await staging.sql<{ seq: number }[]>`
      select seq::int as seq from audit_log where migration_id = ${id} order by id`;
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // A head written before positions were kept: the next append counts the chain once, and goes on from there.
    await staging.sql`update audit_log set seq = null where migration_id = ${id}`;
    const next = await appendAudit(staging.db, { migrationId: id, actor: 'tern', action: 'x', details: {} }, keys);
    expect(next.seq).toBe(7);
    const after = await appendAudit(staging.db, { migrationId: id, actor: 'tern', action: 'y', details: {} }, keys);
    expect(after.seq).toBe(8);
    expect((await verify(id)).head).toMatchObject({ seq: 8, id: after.id });
  });

  it('finds an edited entry and names it', async () => {
    const { id, ids } = await chain();
    await staging.sql`update audit_log set details = '{"n": 30}'::jsonb where id = ${ids[2]!}`;
    const v = await verify(id);
    expect(v.ok).toBe(false);
    expect(v.broken).toMatchObject({ seq: 3, id: ids[2], action: 'object.reconciled' });
    expect(v.broken!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(v.broken!.problem).toMatch(/content does not match its keyed hash/);
  });

  it('finds a deleted entry: the next one no longer follows its predecessor', async () => {
    const { id, ids } = await chain();
    await staging.sql`delete from audit_log where id = ${ids[1]!}`;
    const v = await verify(id);
    expect(brokenAt(v)).toEqual({ seq: 2, id: ids[2] });
    expect(v.broken!.problem).toMatch(/previous hash is not entry #1's/);
  });

  it('finds two entries swapped', async () => {
    const { id, ids } = await chain();
    const [a, b] = [ids[3]!, ids[4]!];
    await staging.sql.begin(async (sql) => {
      await sql`update audit_log set id = ${-a} where id = ${a}`;
      await sql`update audit_log set id = ${a} where id = ${b}`;
      await sql`update audit_log set id = ${b} where id = ${-a}`;
    });
    const v = await verify(id);
    expect(brokenAt(v)).toEqual({ seq: 4, id: a });
    expect(v.broken!.problem).toMatch(/reordered/);
  });

  it('finds the end of the chain cut off below a head a reconciliation recorded', async () => {
    const { id, ids } = await chain();
    await staging.sql`delete from audit_log where id in ${staging.sql([ids[4]!, ids[5]!])}`;
    const v = await verify(id);
    expect(v.ok).toBe(false);
    expect(v.entries).toBe(4);
    expect(v.broken).toMatchObject({ seq: 5, id: null });
    expect(v.broken!.problem).toMatch(
      /the chain ends at entry #4, but the full reconciliation of customers .* recorded entry #6 \(id \d+, .*\) as its head — entries were removed from its end/,
    );
  });

  it('finds the end cut off and written again: the entry at a recorded head is another one', async () => {
    const { id, ids } = await chain();
    await staging.sql`delete from audit_log where id = ${ids[5]!}`;
    const again = await appendAudit(
      staging.db,
      { migrationId: id, actor: 'tern', action: 'records.written', details: { n: 6 } },
      keys,
    );
    const v = await verify(id);
    expect(v.broken).toMatchObject({ seq: 6, id: again.id, action: 'records.written' });
    expect(v.broken!.problem).toMatch(/cut there and written again/);
  });

  it('finds a cut below the last recorded head only against a head kept outside staging', async () => {
    const { id, ids } = await chain();
    const kept = await appendAudit(
      staging.db,
      { migrationId: id, actor: 'tern', action: 'phase.completed', details: {} },
      keys,
    );
    await staging.sql`delete from audit_log where id = ${kept.id}`;
    expect((await verify(id)).ok).toBe(true); // nothing in staging recorded entry #7
    const v = await verifyAuditChain(staging.db, id, {
      keys,
      heads: [{ head: { seq: kept.seq, hash: kept.hash }, recordedBy: 'the report kept by the auditor' }],
    });
    expect(v.broken).toMatchObject({ seq: 7, id: null });
    expect(v.broken!.problem).toMatch(/the report kept by the auditor recorded entry #7/);
    expect(ids).toHaveLength(6);
  });

  describe('a chain rewritten without the key', () => {
    /** Rewrites every entry (the 2nd edited) and the recorded heads, as someone with the database but not the key. */
    async function rewrite(id: string, as: { keyId: string | null; sign: Buffer | undefined }): Promise<void> {
      const rows = await staging.sql<
        { id: number; at: Date; actor: string; action: string; details: Record<string, unknown> }[]
      >`select id, at, actor, action, details from audit_log where migration_id = ${id} order by id`;
      let prev: string | null = null;
      const hashes: string[] = [];
      for (const [i, row] of rows.entries()) {
        const details = i === 1 ? { n: 2, amended: true } : row.details;
        const entry = { ...row, migrationId: id, at: new Date(row.at), details, prevHash: prev, keyId: as.keyId };
        const hash = entryHash(entry, as.sign && as.keyId ? { id: as.keyId, secret: as.sign } : undefined);
        await staging.sql`
          update audit_log set details = ${JSON.stringify(details)}::jsonb, prev_hash = ${prev}, hash = ${hash},
            key_id = ${as.keyId} where id = ${row.id}`;
        hashes.push(hash);
        prev = hash;
      }
      await staging.sql`
        update reconciliations set audit_head = jsonb_set(audit_head, '{hash}',
          to_jsonb((${hashes} :: text[])[(audit_head ->> 'seq')::int]))
        where migration_id = ${id}`;
    }

    it('with a key of their own: its id is not in the key ring', async () => {
      const { id, ids } = await chain();
      const theirs = ring(generateKeyText()).current;
      await rewrite(id, { keyId: theirs.id, sign: theirs.secret });
      const v = await verify(id);
      expect(brokenAt(v)).toEqual({ seq: 1, id: ids[0] });
      expect(v.broken!.problem).toMatch(
        new RegExp(`signed with key ${theirs.id}, which the key ring .* does not hold`),
      );
    });

    it("with a guessed key under the real key's id: no entry matches its keyed hash", async () => {
      const { id, ids } = await chain();
      await rewrite(id, { keyId: keys.current.id, sign: Buffer.from(generateKeyText()) });
      const v = await verify(id);
      expect(brokenAt(v)).toEqual({ seq: 1, id: ids[0] });
      expect(v.broken!.problem).toMatch(/content does not match its keyed hash/);
    });

    it('as an unkeyed chain: nothing keyed vouches for it', async () => {
      const { id, ids } = await chain();
      await rewrite(id, { keyId: null, sign: undefined });
      const v = await verify(id);
      expect(brokenAt(v)).toEqual({ seq: 6, id: ids[5] });
      expect(v.broken!.problem).toMatch(/ends in an entry that is not keyed/);
    });
  });

  it('accepts entries written before entries were keyed when a keyed entry after them vouches for them', async () => {
    const { id, ids } = await chain();
    // The first three as the unkeyed chain used to write them (sha256 only, no key id).
    let prev: string | null = null;
    const rows = await staging.sql<{ id: number; at: Date; actor: string; action: string; details: unknown }[]>`
      select id, at, actor, action, details from audit_log where migration_id = ${id} order by id limit 3`;
    for (const row of rows) {
      const hash = entryHash({ ...row, migrationId: id, at: new Date(row.at), prevHash: prev, keyId: null }, undefined);
      await staging.sql`update audit_log set hash = ${hash}, prev_hash = ${prev}, key_id = null where id = ${row.id}`;
      prev = hash;
    }
    await staging.sql`update reconciliations set audit_head = null where migration_id = ${id}`;
    // The fourth, keyed, now follows the rewritten third: sign it again as appendAudit would have.
    const [fourth] = await staging.sql<{ at: Date; actor: string; action: string; details: unknown }[]>`
      select at, actor, action, details from audit_log where id = ${ids[3]!}`;
    let hash = entryHash(
      { ...fourth!, migrationId: id, at: new Date(fourth!.at), prevHash: prev, keyId: keys.current.id },
      keys.current,
    );
    await staging.sql`update audit_log set prev_hash = ${prev}, hash = ${hash} where id = ${ids[3]!}`;
    for (const next of ids.slice(4)) {
      const [row] = await staging.sql<{ at: Date; actor: string; action: string; details: unknown }[]>`
        select at, actor, action, details from audit_log where id = ${next}`;
      const entry = { ...row!, migrationId: id, at: new Date(row!.at), prevHash: hash, keyId: keys.current.id };
      const own = entryHash(entry, keys.current);
      await staging.sql`update audit_log set prev_hash = ${hash}, hash = ${own} where id = ${next}`;
      hash = own;
    }
    expect(await verify(id)).toMatchObject({ ok: true, unkeyed: 3, entries: 6 });

    // An unkeyed entry before the keyed ones cannot be edited either: the keyed hash after it covers it.
    await staging.sql`update audit_log set details = '{"n": 20}'::jsonb where id = ${ids[1]!}`;
    const v = await verify(id);
    expect(brokenAt(v)).toEqual({ seq: 2, id: ids[1] });
  });

  it('verifies entries of a rotated-out key while the ring holds it, and not after it was dropped', async () => {
    const old = generateKeyText();
    const { id } = await chain(ring(old));
    const rotated = ring(old, key);
    await appendAudit(staging.db, { migrationId: id, actor: 'tern', action: 'key.rotated', details: {} }, rotated);
    const v = await verify(id, rotated);
    expect(v).toMatchObject({ ok: true, entries: 7 });
    expect(v.keyIds).toEqual([rotated.byId.keys().next().value, rotated.current.id]);
    const dropped = await verify(id, keys);
    expect(dropped.broken).toMatchObject({ seq: 1 });
    expect(dropped.broken!.problem).toMatch(/the key ring \(the test ring\) does not hold/);
  });

  it('writes nothing to the chain when the transaction it joined rolls back', async () => {
    const { id } = await chain();
    await expect(
      staging.db.transaction(async (tx) => {
        await appendAudit(tx, { migrationId: id, actor: 'tern', action: 'records.written', details: {} }, keys);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await verify(id)).toMatchObject({ ok: true, entries: 6 });
  });
});
