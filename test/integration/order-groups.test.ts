import fs from 'node:fs';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { groupCondition, groupKey, orderedParts } from '../../activities/order-groups';
import { compileObjectMapper } from '../../plan/compile';
import { parsePlan } from '../../plan/load';
import { textOf } from '../../plan/text';
import type { Plan } from '../../plan/schema';
import type { Staging } from '../../staging/db';
import { bareMigration, testStaging } from '../support/harness';

/**
 * A Front thread's messages load in groups side by side, each thread wholly inside one group, so each thread's
 * messages still reach Front one after another. Which group a staged record is in is decided by PostgreSQL from the
 * source fields the plan's `thread_ref` template reads; what Front receives is the template's JavaScript output.
 * Records whose thread_ref is equal must share a group whatever shape their source value has: the key PostgreSQL
 * computes is the template's output with every whitespace character removed, checked here value by value.
 */
describe('order groups', () => {
  let staging: Staging;
  let migrationId: string;
  const file = path.join(__dirname, '../../examples/zendesk-to-front.yaml');
  const plan: Plan = parsePlan(fs.readFileSync(file, 'utf8'), file).plan;
  const messages = plan.objects.find((o) => o.name === 'messages')!;
  const threadRef = { ...messages, fields: messages.fields.filter((f) => f.to === 'thread_ref') };
  const map = compileObjectMapper(threadRef);

  /** Source values of `ticket_id` as JSON text, as a source may send them (a missing field as `undefined`). */
  const values = [
    '12',
    '12.0',
    '12.50',
    '"12"',
    '" 12 "',
    '"\\t12\\n"',
    '"\\u00a012\\u3000"',
    '13',
    '1e3',
    '1000',
    '"1000"',
    '1.5',
    '"1.5"',
    '123456789012345678',
    '"123456789012345680"',
    '1e21',
    '-1.5e300',
    '1e-7',
    '0.0000001',
    '-0',
    '1e400',
    '-1e400',
    '1e-400',
    '-7',
    '0.000001',
    'true',
    '"true"',
    'false',
    'null',
    '""',
    '"   "',
    '"a b"',
    '"a  b"',
    '"a\\tb"',
    '"ab"',
    '"Ticket\\u2003 Ä"',
    '[]',
    '["x", 1]',
    '{}',
    undefined,
  ];
  const rawOf = (json: string | undefined) => (json === undefined ? '{}' : `{"ticket_id": ${json}}`);

  beforeAll(async () => {
    staging = await testStaging();
    migrationId = await bareMigration(staging, 'mig_groups');
    for (const [i, json] of values.entries())
      await staging.sql`
        insert into staged_records (migration_id, object, source_id, raw, source_hash)
        values (${migrationId}, 'messages', ${String(i).padStart(3, '0')}, ${rawOf(json)}::jsonb, 'x')`;
  });
  afterAll(async () => {
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.close();
  });

  it('keys each record by its thread_ref as the template writes it, whitespace removed', async () => {
    const parts = orderedParts(plan, messages)!;
    expect(parts).toEqual([{ text: 'zendesk-ticket-' }, { field: 'ticket_id' }]);
    const rows = await staging.db.execute<{ source_id: string; key: string }>(sql`
      select source_id, ${groupKey(parts)} as key from staged_records
      where migration_id = ${migrationId} order by source_id`);
    expect(rows).toHaveLength(values.length);
    for (const [i, json] of values.entries()) {
      const mapped = map(JSON.parse(rawOf(json)) as Record<string, unknown>);
      if (!mapped.ok) throw new Error(`ticket_id ${json} did not map: ${mapped.message}`);
      const written = (mapped.payload.thread_ref as string | null) ?? '';
      expect({ json, key: rows[i]!.key }).toEqual({ json, key: written.replace(/\s/g, '') });
    }
  });

  it('keys each note by the ticket id its conversation reference reads, whitespace removed', async () => {
    const parts = orderedParts(
      plan,
      plan.objects.find((o) => o.name === 'notes')!,
    )!;
    expect(parts).toEqual([{ field: 'ticket_id' }]);
    const rows = await staging.db.execute<{ source_id: string; key: string }>(sql`
      select source_id, ${groupKey(parts)} as key from staged_records
      where migration_id = ${migrationId} order by source_id`);
    for (const [i, json] of values.entries()) {
      const value = (json === undefined ? null : JSON.parse(json)) as string | number | boolean | object | null;
      if (typeof value === 'object' && value !== null) continue;
      // The id the reference looks up (blank: none).
      const id = value === null ? '' : textOf(value).trim();
      expect({ json, key: rows[i]!.key }).toEqual({ json, key: id.replace(/\s/g, '') });
    }
  });

  it('puts every record in exactly one group', async () => {
    const parts = orderedParts(plan, messages)!;
    for (const groups of [2, 3, 4]) {
      const counts = await Promise.all(
        Array.from({ length: groups }, async (_, index) => {
          const rows = await staging.db.execute<{ source_id: string }>(sql`
            select source_id from staged_records
            where migration_id = ${migrationId} and ${groupCondition(parts, { index, of: groups })}`);
          return rows.map((r) => r.source_id);
        }),
      );
      const all = counts.flat();
      expect(all).toHaveLength(values.length);
      expect(new Set(all).size).toBe(values.length);
    }
  });

  it('reads a page of a group by walking the primary key, however many rows follow the cursor', async () => {
    // 50,000 comments with bodies long enough to be stored compressed, as a helpdesk's are, and the table analysed:
    // read with the group as a bare equality, the planner sorted every row after the cursor for each page of 200.
    await staging.sql`
      insert into staged_records (migration_id, object, source_id, raw, source_hash)
      select ${migrationId}, 'comments', (360100000000 + g)::text,
             jsonb_build_object('id', 360100000000 + g, 'ticket_id', g / 9, 'public', true,
               'html_body', '<div><p>' || md5(g::text) || repeat(' lorem ipsum dolor sit amet ' || md5((g + 1)::text), 60) || '</p></div>',
               'author_email', 'a' || g || '@example.com', 'ticket_subject', 'Subject ' || g), 'x'
      from generate_series(1, 50000) g`;
    await staging.sql`analyze staged_records`;
    const parts = orderedParts(plan, messages)!;
    const [explained] = await staging.db.execute<{ 'QUERY PLAN': unknown }>(sql`
      explain (format json, analyze, timing off)
      select source_id, raw from staged_records
      where migration_id = ${migrationId} and object = 'comments' and source_id > '360100020000'
        and ${groupCondition(parts, { index: 1, of: 4 })} and source_deleted_at is null
      order by source_id limit 200`);
    const nodes: Record<string, unknown>[] = [];
    const walk = (node: Record<string, unknown>) => {
      nodes.push(node);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((explained!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
    expect(nodes.map((n) => n['Node Type'])).not.toContain('Sort');
    const scan = nodes.find((n) => n['Relation Name'] === 'staged_records')!;
    expect(scan['Node Type']).toBe('Index Scan');
    expect(scan['Index Name']).toBe('staged_records_migration_id_object_source_id_pk');
    // It stops at the page's end: about four rows read for each of the group's 200, not the 30,000 after the cursor.
    const read = (scan['Actual Rows'] as number) + ((scan['Rows Removed by Filter'] as number | undefined) ?? 0);
    expect(read).toBeLessThan(2000);
    // What keeps it so whatever the statistics say of the rows: the planner counts on a group holding a good share of
    // them (a quarter in truth), not the 0.5% it assumes of an equality it knows nothing of.
    const estimate = async (condition: SQL) => {
      const [row] = await staging.db.execute<{ 'QUERY PLAN': unknown }>(sql`
        explain (format json) select source_id from staged_records
        where migration_id = ${migrationId} and object = 'comments' and ${condition}`);
      return (row!['QUERY PLAN'] as { Plan: { 'Plan Rows': number } }[])[0]!.Plan['Plan Rows'];
    };
    const share = (await estimate(groupCondition(parts, { index: 1, of: 4 }))) / (await estimate(sql`true`));
    expect(share).toBeGreaterThan(0.2);
  });

  it('makes no groups of a thread_ref mapped any other way than one template', () => {
    const lowered = {
      ...messages,
      fields: messages.fields.map((f) =>
        f.to === 'thread_ref' ? { ...f, transform: [...f.transform, 'lowercase' as const] } : f,
      ),
    };
    expect(orderedParts(plan, lowered)).toBeNull();
    const copied = {
      ...messages,
      fields: messages.fields.map((f) => (f.to === 'thread_ref' ? { ...f, from: 'ticket_id', transform: [] } : f)),
    };
    expect(orderedParts(plan, copied)).toBeNull();
    const contacts = plan.objects.find((o) => o.name === 'contacts')!;
    expect(orderedParts(plan, contacts)).toBeNull();
  });
});
