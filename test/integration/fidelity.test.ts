import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * Payments with microsecond timestamps and money, some of them quarantined (a bad email, an amount that is not
 * a number): the money line must add up to the whole file term by term, and the target's timestamps must be
 * the source's to the last digit, checked against the source itself, not Tern's payload.
 */
interface Payment {
  id: string;
  email: string;
  paidAt: string;
  amount: string;
}

function payments(count: number): Payment[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const micros = String((n * 7919) % 1_000_000).padStart(6, '0');
    return {
      id: `P${String(n).padStart(4, '0')}`,
      email: n % 25 === 0 ? 'not-an-email' : `payer${n}@example.com`,
      paidAt: `2019-0${1 + (n % 9)}-1${n % 10} 1${n % 10}:0${n % 6}:2${n % 10}.${micros}`,
      amount: n % 40 === 0 ? 'twelve' : `${(n * 1237) % 100000}.${String(n % 100).padStart(2, '0')}`,
    };
  });
}

/** Exact sum in cents of amounts that are numbers with two decimals. */
const cents = (list: Payment[]) =>
  list.filter((p) => /^\d+\.\d\d$/.test(p.amount)).reduce((t, p) => t + BigInt(p.amount.replace('.', '')), 0n);
const money = (c: bigint) =>
  `${c / 100n}${c % 100n === 0n ? '' : `.${String(c % 100n).padStart(2, '0')}`.replace(/0$/, '')}`;

describe('fidelity: the proof compares the target with what the source really holds', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const schema = uniqueId('t');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-fidelity-'));
  const rows = payments(200);
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    fs.writeFileSync(
      path.join(dir, 'payments.csv'),
      ['payment_id,email,paid_at,amount', ...rows.map((p) => [p.id, p.email, p.paidAt, p.amount].join(','))].join(
        '\n',
      ) + '\n',
    );
    await staging.sql.unsafe(`
      create schema "${schema}";
      create table "${schema}".payments (
        legacy_id text primary key, email text, paid_at timestamp(6) with time zone, amount numeric(12, 2));
      create table "${schema}".payments_ms (
        legacy_id text primary key, email text, paid_at timestamp(3) with time zone, amount numeric(12, 2));`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    for (const m of migrations) {
      await staging.sql`delete from migrations where id = ${m}`;
      await staging.sql`delete from audit_log where migration_id = ${m}`;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await client.connection.close();
    await staging.close();
  });

  async function runFull(table: string) {
    const migrationId = uniqueId('mig_fidelity');
    migrations.push(migrationId);
    const plan = {
      version: 1,
      name: `Payments ${migrationId}`,
      source: { kind: 'csv', directory: dir },
      target: { kind: 'postgres', schema },
      objects: [
        {
          name: 'payments',
          source: { file: 'payments.csv', id: 'payment_id' },
          target: { table, key: 'legacy_id' },
          pageSize: 50,
          sums: ['amount'],
          fields: [
            { from: 'payment_id', to: 'legacy_id', transform: ['required'] },
            { from: 'email', to: 'email', transform: ['email'] },
            { from: 'paid_at', to: 'paid_at', transform: [{ datetime: { format: 'auto', zone: 'UTC' } }] },
            { from: 'amount', to: 'amount', transform: ['decimal'] },
          ],
        },
      ],
    };
    const loaded = parsePlan(JSON.stringify(plan), path.join(dir, `${table}.yaml`));
    return withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      return started.handle.result();
    });
  }

  it('keeps microseconds through a full migration and shows the money line term by term', async () => {
    const result = await runFull('payments');
    const o = result.objects[0]!;
    const quarantined = rows.filter((p) => p.email === 'not-an-email' || p.amount === 'twelve');
    const loaded = rows.filter((p) => !quarantined.includes(p));
    expect(o).toMatchObject({ source: 200, loaded: loaded.length, quarantined: quarantined.length, ok: true });

    // The equation over the whole file, every term computed here from the file itself.
    expect(o.sums.amount).toMatchObject({
      legacy: money(cents(rows)),
      loaded: money(cents(loaded)),
      new: money(cents(loaded)),
      quarantined: money(cents(quarantined)),
      filtered: '0',
      deduplicated: '0',
      ok: true,
    });
    expect(o.sums.amount!.notNumbers).toEqual([
      expect.objectContaining({ reason: 'not_a_number', disposition: 'quarantined', count: 5 }),
    ]);

    // Every timestamp kept its microseconds in the target…
    const target = await staging.sql.unsafe<{ legacy_id: string; micros: string }[]>(
      `select legacy_id, to_char(paid_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as micros
       from "${schema}".payments order by legacy_id`,
    );
    expect(target.map((r) => [r.legacy_id, r.micros])).toEqual(loaded.map((p) => [p.id, p.paidAt]));
    // …and the fidelity check compared each of them with the source.
    expect(o.fidelity).toMatchObject({ records: loaded.length, mismatches: 0 });
    expect(o.fidelity.fields).toEqual(expect.arrayContaining(['paid_at', 'amount', 'email']));
  });

  it('fails the proof when the target keeps less than the source holds, naming the field', async () => {
    const result = await runFull('payments_ms');
    const o = result.objects[0]!;
    const loaded = rows.filter((p) => p.email !== 'not-an-email' && p.amount !== 'twelve');
    const cut = loaded.filter((p) => !p.paidAt.endsWith('000'));
    expect(cut.length).toBeGreaterThan(100);
    expect(o.fidelity.mismatches).toBe(cut.length);
    expect(o.fidelity.byField).toEqual({ paid_at: cut.length });
    expect(o.fidelity.examples[0]).toEqual({ sourceId: cut[0]!.id, fields: ['paid_at'] });
    expect(result.ok).toBe(false);
  });
});
