import type { RecordRef, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../../connectors/target';
import { checksum, fieldChecksums } from '../../plan/checksum';
import type { BeginItem, Ledger, LedgerEntry, RefusedItem, WrittenItem } from '../../protocol/ledger';
import { removeRecords, writeRecords, type Candidate, type ProtocolDeps } from '../../protocol/write';
import { WritesFencedError } from '../../staging/repos/fence';

/**
 * The write protocol against an in-memory ledger (the contract `staging/repos/id-map.ts` implements in SQL) and an
 * in-memory target that counts what it is asked to do.
 */
class MemoryLedger implements Ledger {
  rows = new Map<string, LedgerEntry>();
  fenced = false;

  entries(ids: readonly string[]) {
    return Promise.resolve(new Map(ids.filter((id) => this.rows.has(id)).map((id) => [id, { ...this.rows.get(id)! }])));
  }
  assertWritable() {
    if (this.fenced) throw new WritesFencedError('m');
    return Promise.resolve();
  }
  async begin(items: readonly BeginItem[]) {
    await this.assertWritable();
    const attempts = new Map<string, number>();
    for (const i of items) {
      const row = this.rows.get(i.sourceId);
      const next: LedgerEntry = row
        ? { ...row, state: 'pending', attempt: row.attempt + 1 }
        : {
            sourceId: i.sourceId,
            state: 'pending',
            attempt: 1,
            targetId: null,
            checksum: null,
            createdByTern: i.createdByTern,
            beforeImage: i.beforeImage,
          };
      if (row && row.createdByTern === null) {
        next.createdByTern = i.createdByTern;
        next.beforeImage = i.beforeImage;
      }
      this.rows.set(i.sourceId, next);
      attempts.set(i.sourceId, next.attempt);
    }
    return attempts;
  }
  written(items: readonly WrittenItem[]) {
    const marked = new Set<string>();
    for (const i of items) {
      const row = this.rows.get(i.sourceId);
      if (this.fenced || row?.state !== 'pending' || row.attempt !== i.attempt) continue;
      this.rows.set(i.sourceId, { ...row, state: 'written', targetId: i.targetId, checksum: i.checksum });
      marked.add(i.sourceId);
    }
    return Promise.resolve(marked);
  }
  refused(items: readonly RefusedItem[], before: ReadonlyMap<string, LedgerEntry>) {
    for (const i of items) {
      const prior = before.get(i.sourceId);
      const row = this.rows.get(i.sourceId)!;
      const state = prior?.state === 'written' || prior?.state === 'pending' ? prior.state : 'refused';
      this.rows.set(i.sourceId, { ...row, state });
    }
    return Promise.resolve();
  }
  removed(ids: readonly string[], state: 'deleted' | 'set_aside') {
    for (const id of ids) this.rows.set(id, { ...this.rows.get(id)!, state });
    return Promise.resolve();
  }
}

class MemoryTarget implements TargetRecords {
  readonly keyIsSourceId = true;
  rows = new Map<string, TargetRow>();
  creates = 0;
  updates = 0;
  refuse = new Set<string>();
  /** Runs during a write, after the records were stored: a rollback starting, a second attempt, … */
  duringWrite?: () => void;

  prepare(payloads: Record<string, unknown>[]) {
    return Promise.resolve(payloads);
  }
  lookup(refs: readonly RecordRef[]) {
    return Promise.resolve(
      new Map(refs.filter((r) => this.rows.has(r.key)).map((r) => [r.sourceId, { ...this.rows.get(r.key)! }])),
    );
  }
  write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    const out: WriteOutcome = { ids: new Map(), rejected: new Map() };
    for (const item of items) {
      if (this.refuse.has(item.sourceId)) {
        out.rejected.set(item.sourceId, { message: 'violates check constraint', code: '23514' });
        continue;
      }
      // A create of a key the target already holds would be a duplicate: the protocol must have looked it up.
      if (!item.existing && this.rows.has(item.sourceId)) throw new Error(`duplicate create of ${item.sourceId}`);
      if (item.existing) this.updates += 1;
      else this.creates += 1;
      this.rows.set(item.sourceId, this.canonical(item.payload));
      out.ids.set(item.sourceId, `t-${item.sourceId}`);
    }
    this.duringWrite?.();
    return Promise.resolve(out);
  }
  canonical(payload: Record<string, unknown>): TargetRow {
    return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, v === null ? null : String(v as string)]));
  }
  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    return Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));
  }
  remove(refs: readonly RecordRef[]) {
    let n = 0;
    for (const r of refs) if (this.rows.delete(r.key)) n += 1;
    return Promise.resolve(n);
  }
  restore(images: readonly { ref: RecordRef; image: TargetRow }[]) {
    for (const { ref, image } of images) this.rows.set(ref.key, { ...image });
    return Promise.resolve();
  }
}

function candidate(id: string, name: string): Candidate {
  const payload = { id, name };
  return { sourceId: id, payload, checksum: checksum(payload), fieldChecksums: fieldChecksums(payload), key: id };
}

function setup(policy: ProtocolDeps['conflictPolicy'] = 'skip-and-report') {
  const ledger = new MemoryLedger();
  const target = new MemoryTarget();
  let cancelled = false;
  const deps: ProtocolDeps = {
    ledger,
    target,
    conflictPolicy: policy,
    throwIfCancelled: () => {
      if (cancelled) throw new Error('cancelled');
    },
    beat: () => undefined,
  };
  return { ledger, target, deps, cancel: () => (cancelled = true) };
}

async function run(deps: ProtocolDeps, ledger: MemoryLedger, candidates: Candidate[]) {
  return writeRecords(deps, candidates, await ledger.entries(candidates.map((c) => c.sourceId)));
}

describe('the write protocol', () => {
  it('goes pending → write → written, and records what was there before Tern', async () => {
    const { ledger, target, deps } = setup();
    target.rows.set('b', { id: 'b', name: 'Before' });
    const result = await run(deps, ledger, [candidate('a', 'Ann'), candidate('b', 'Bob')]);
    expect(result.written.sort()).toEqual(['a', 'b']);
    expect(target.creates).toBe(1);
    expect(target.updates).toBe(1);
    expect(ledger.rows.get('a')).toMatchObject({ state: 'written', createdByTern: true, beforeImage: null });
    expect(ledger.rows.get('b')).toMatchObject({
      state: 'written',
      createdByTern: false,
      beforeImage: { id: 'b', name: 'Before' },
    });
  });

  it('finds what a lost attempt wrote instead of creating it again', async () => {
    const { ledger, target, deps } = setup();
    // The first attempt wrote, then its worker died before the ledger heard: the record is pending.
    target.duringWrite = () => {
      throw new Error('worker killed');
    };
    await expect(run(deps, ledger, [candidate('a', 'Ann')])).rejects.toThrow('worker killed');
    expect(ledger.rows.get('a')!.state).toBe('pending');
    target.duringWrite = undefined;
    const again = await run(deps, ledger, [candidate('a', 'Ann')]);
    expect(again.written).toEqual(['a']);
    expect(target.creates).toBe(1);
    expect(target.updates).toBe(1);
    // Tern created it: the first attempt's view is kept, so a rollback deletes it rather than "restoring" it.
    expect(ledger.rows.get('a')).toMatchObject({ state: 'written', createdByTern: true, beforeImage: null });
  });

  it('keeps the last good state when the target refuses a write', async () => {
    const { ledger, target, deps } = setup();
    target.rows.set('b', { id: 'b', name: 'Before' });
    await run(deps, ledger, [candidate('a', 'Ann'), candidate('b', 'Bob')]);
    target.refuse = new Set(['a', 'b', 'c']);
    const refused = await run(deps, ledger, [candidate('a', 'Ann 2'), candidate('b', 'Bob 2'), candidate('c', 'Cy')]);
    expect([...refused.refused.keys()].sort()).toEqual(['a', 'b', 'c']);
    // Written before: still written, with its target id, checksum and before-image.
    expect(ledger.rows.get('a')).toMatchObject({ state: 'written', targetId: 't-a', createdByTern: true });
    expect(ledger.rows.get('a')!.checksum).toBe(candidate('a', 'Ann').checksum);
    expect(ledger.rows.get('b')).toMatchObject({ state: 'written', beforeImage: { id: 'b', name: 'Before' } });
    // Never written: refused, and kept.
    expect(ledger.rows.get('c')).toMatchObject({ state: 'refused' });
  });

  it('writes nothing once the fence is up, and marks nothing written after it rose mid-write', async () => {
    const { ledger, target, deps } = setup();
    ledger.fenced = true;
    await expect(run(deps, ledger, [candidate('a', 'Ann')])).rejects.toBeInstanceOf(WritesFencedError);
    expect(target.rows.size).toBe(0);
    ledger.fenced = false;
    target.duringWrite = () => {
      ledger.fenced = true; // a rollback starts while the page is writing
    };
    const result = await run(deps, ledger, [candidate('b', 'Bob')]);
    expect(result.written).toEqual([]);
    // Left pending: the rollback treats it as touched and takes it out.
    expect(ledger.rows.get('b')!.state).toBe('pending');
  });

  it('lets a superseded attempt mark nothing written', async () => {
    const { ledger, target, deps } = setup();
    target.duringWrite = () => {
      // A second attempt of the same page began meanwhile.
      const row = ledger.rows.get('a')!;
      ledger.rows.set('a', { ...row, attempt: row.attempt + 1 });
    };
    const result = await run(deps, ledger, [candidate('a', 'Ann')]);
    expect(result.written).toEqual([]);
    expect(ledger.rows.get('a')!.state).toBe('pending');
  });

  it('stops before writing when the activity was cancelled', async () => {
    const { ledger, target, deps, cancel } = setup();
    cancel();
    await expect(run(deps, ledger, [candidate('a', 'Ann')])).rejects.toThrow('cancelled');
    expect(target.rows.size).toBe(0);
    expect(ledger.rows.size).toBe(0);
  });

  it.each([
    ['skip-and-report', 'skipped', 'Edited by hand'],
    ['target-wins', 'kept', 'Edited by hand'],
    ['source-wins', 'overwritten', 'Ann 2'],
  ] as const)('settles a row changed in the target by the %s policy', async (policy, outcome, after) => {
    const { ledger, target, deps } = setup(policy);
    await run(deps, ledger, [candidate('a', 'Ann')]);
    target.rows.set('a', { id: 'a', name: 'Edited by hand' });
    const result = await run(deps, ledger, [candidate('a', 'Ann 2')]);
    expect(result.conflicts).toEqual([expect.objectContaining({ sourceId: 'a', policy, outcome })]);
    expect(target.rows.get('a')!.name).toBe(after);
  });

  it('takes set-aside records back out: created rows go, overwritten rows get their before-image', async () => {
    const { ledger, target, deps } = setup();
    target.rows.set('b', { id: 'b', name: 'Before' });
    await run(deps, ledger, [candidate('a', 'Ann'), candidate('b', 'Bob')]);
    const entries = [...(await ledger.entries(['a', 'b'])).values()];
    const undone = await removeRecords(deps, entries, 'set_aside');
    expect(undone).toEqual({ removed: 1, restored: 1 });
    expect(target.rows.has('a')).toBe(false);
    expect(target.rows.get('b')).toEqual({ id: 'b', name: 'Before' });
    expect(ledger.rows.get('a')!.state).toBe('set_aside');
    expect(ledger.rows.get('b')).toMatchObject({ state: 'set_aside', beforeImage: { id: 'b', name: 'Before' } });
  });
});
