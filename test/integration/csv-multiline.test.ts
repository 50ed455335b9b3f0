import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { pythonCsv } from '../support/independent-readers';

/** A field as a CSV writer quotes it. */
const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * Helpdesk tickets whose descriptions run to 100–150 lines (LF and CRLF inside, quotes, commas, blank lines),
 * between ordinary one-line tickets.
 */
function ticketsCsv(count: number): string {
  const rows = ['ticket_id,subject,description,priority'];
  for (let id = 1; id <= count; id++) {
    const lines = id % 10 === 0 ? 100 + ((id * 7) % 51) : 1 + (id % 3);
    const description = Array.from({ length: lines }, (_, i) =>
      i % 17 === 5 ? '' : `Step ${i + 1}: the "export" failed, code ${id * 31 + i}`,
    ).join(id % 20 === 0 ? '\r\n' : '\n');
    rows.push(
      [`T${String(id).padStart(5, '0')}`, `Ticket ${id}, again`, description, String(id % 4)].map(quote).join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}

describe('CSV with quoted fields of 100+ lines → PostgreSQL', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const schema = uniqueId('t');
  const migrationId = uniqueId('mig_csv_multiline');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-csv-multiline-'));

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    await staging.sql.unsafe(`
      create schema "${schema}";
      create table "${schema}".tickets (
        id bigserial primary key, legacy_id text not null, subject text, description text, priority integer);
      create index on "${schema}".tickets (legacy_id);`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    fs.rmSync(dir, { recursive: true, force: true });
    await client.connection.close();
    await staging.close();
  });

  it('loads every ticket once, with the same count and values as Python csv, none quarantined', async () => {
    fs.writeFileSync(path.join(dir, 'tickets.csv'), ticketsCsv(300));
    const independent = pythonCsv(path.join(dir, 'tickets.csv'));
    const longest = Math.max(...independent.rows.map((r) => (r[2] ?? '').split('\n').length));
    expect(longest).toBeGreaterThanOrEqual(150);

    const plan = {
      version: 1,
      name: `Tickets ${migrationId}`,
      source: { kind: 'csv', directory: dir },
      target: { kind: 'postgres', schema },
      objects: [
        {
          name: 'tickets',
          source: { file: 'tickets.csv', id: 'ticket_id' },
          target: { table: 'tickets', key: 'legacy_id' },
          pageSize: 100,
          fields: [
            { from: 'ticket_id', to: 'legacy_id', transform: ['required'] },
            { from: 'subject', to: 'subject' },
            { from: 'description', to: 'description' },
            { from: 'priority', to: 'priority', transform: ['integer'] },
          ],
        },
      ],
    };
    const loaded = parsePlan(JSON.stringify(plan), path.join(dir, 'plan.yaml'));
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      return started.handle.result();
    });

    expect(result.objects[0]).toMatchObject({
      object: 'tickets',
      source: independent.rows.length,
      loaded: independent.rows.length,
      quarantined: 0,
      checksumMismatches: 0,
      unaccounted: 0,
    });
    expect(result.ok).toBe(true);
    const quarantined = await staging.sql`select 1 from quarantine where migration_id = ${migrationId}`;
    expect(quarantined).toHaveLength(0);

    const rows = await staging.sql.unsafe<
      { legacy_id: string; subject: string; description: string; priority: number }[]
    >(`select legacy_id, subject, description, priority from "${schema}".tickets order by legacy_id`);
    expect(rows.map((r) => [r.legacy_id, r.subject, r.description, String(r.priority)])).toEqual(independent.rows);
  });
});
