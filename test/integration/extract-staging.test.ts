import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../activities/deps';
import { extractObject, type ExtractResult } from '../../activities/extract';
import { checksum } from '../../plan/checksum';
import { copyIntoScratch } from '../../staging/copy-rows';
import type { Staging } from '../../staging/db';
import { readCheckpoint, saveCheckpoint } from '../../staging/repos/checkpoints';
import { testStaging } from '../support/harness';
import { dropJsonlScenario, jsonlScenario, type JsonlScenario } from '../support/jsonl-scenario';

/**
 * Extraction into staging, driven directly in the SDK's activity test environment against the real PostgreSQL:
 * records reach staged_records exactly as read (through COPY), a reused source id is quarantined and the first
 * record stands, and an attempt that died mid-way is resumed without staging any record twice.
 */

const KEY = { object: 'items', phase: 'extract', stage: 'extract' };

interface StagedRow {
  source_id: string;
  raw: Record<string, unknown>;
  source_hash: string;
  source_position: string;
}

async function staged(staging: Staging, migrationId: string): Promise<StagedRow[]> {
  return staging.sql<StagedRow[]>`
    select source_id, raw, source_hash, source_position from staged_records
    where migration_id = ${migrationId} order by ordinal`;
}

async function quarantined(staging: Staging, migrationId: string) {
  return staging.sql<{ record_key: string; reason_code: string; message: string; raw: unknown }[]>`
    select record_key, reason_code, message, raw from quarantine where migration_id = ${migrationId} order by id`;
}

/**
 * The source of `count` lines: line n holds id `r<n>`, except the lines in `reuse` (line → the line whose id it
 * reuses), the line `missing` (an empty id) and the line `broken` (not JSON).
 */
function sourceLines(count: number, reuse: Map<number, number>, missing: number, broken: number): string[] {
  const lines: string[] = [];
  for (let n = 1; n <= count; n += 1) {
    if (n === broken) lines.push('{"id": "r' + n + '", "name": ');
    else {
      const id = n === missing ? '  ' : `r${reuse.get(n) ?? n}`;
      lines.push(JSON.stringify({ id, name: `Item ${n}`, n }));
    }
  }
  return lines;
}

describe('extractObject stages what it reads, through COPY', () => {
  let staging: Staging;
  let ctx: ActivityContext;
  const scenarios: JsonlScenario[] = [];

  const extract = (migrationId: string, env = new MockActivityEnvironment()): Promise<ExtractResult> =>
    env.run(() => extractObject(ctx, { migrationId, object: 'items', phase: 'full' }));

  beforeAll(async () => {
    staging = await testStaging();
    ctx = new ActivityContext({ staging });
  });
  afterAll(async () => {
    for (const s of scenarios) await dropJsonlScenario(staging, s);
    await staging.close();
  });

  it('keeps tabs, newlines, backslashes, unicode and very long text exactly, read back equal', async () => {
    const records: Record<string, unknown>[] = [
      { id: 'tab\there', text: 'a\tb\t' },
      { id: 'newline', text: 'line 1\nline 2\r\nline 3\r' },
      { id: 'back\\slash', text: 'C:\\path\\to\\N \\N \\. \\\\ end\\' },
      { id: '\\N', text: null },
      { id: '\\.', text: '' },
      { id: 'unicode é', text: 'ñ 中文 😀 \u2028 \u200b e\u0301 עברית \uFEFF' },
      { id: 'long', text: `${'Lorem ipsum\t\\ dolor\n'.repeat(100_000)}end` },
      { id: 'nested', value: { list: [1, 'b\tc', null, true], n: 1.5, empty: {} } },
    ];
    const scenario = await jsonlScenario(
      staging,
      records.map((r) => JSON.stringify(r)),
    );
    scenarios.push(scenario);

    const result = await extract(scenario.migrationId);

    expect(result).toEqual({ staged: records.length, broken: 0, duplicateIds: 0 });
    const rows = await staged(staging, scenario.migrationId);
    expect(rows.map((r) => r.source_id)).toEqual(records.map((r) => String(r.id).trim()));
    expect(rows.map((r) => r.raw)).toEqual(records);
    expect(rows.map((r) => r.source_hash)).toEqual(records.map((r) => checksum(r)));
    expect(rows.map((r) => r.source_position)).toEqual(records.map((_, i) => `line ${i + 1}`));
    expect(await quarantined(staging, scenario.migrationId)).toEqual([]);
  });

  it('quarantines a row reusing an earlier id, within a batch and across batches, and the first row stands', async () => {
    // Batches hold 5,000 records: line 3 reuses line 1's id (same batch), line 7,001 line 2's (the next batch),
    // line 11,000 line 10,999's, line 12,000 line 7,001's id (itself a reuse of line 2's).
    const reuse = new Map([
      [3, 1],
      [7001, 2],
      [11000, 10999],
      [12000, 2],
    ]);
    const lines = sourceLines(12_000, reuse, 9000, 4000);
    const scenario = await jsonlScenario(staging, lines);
    scenarios.push(scenario);

    const result = await extract(scenario.migrationId);

    expect(result).toEqual({ staged: 12_000 - reuse.size - 2, broken: 1, duplicateIds: reuse.size + 1 });
    const rows = await staged(staging, scenario.migrationId);
    const expectedLines = [...Array(12_000).keys()]
      .map((i) => i + 1)
      .filter((n) => !reuse.has(n) && n !== 9000 && n !== 4000);
    expect(rows.map((r) => r.source_position)).toEqual(expectedLines.map((n) => `line ${n}`));
    expect(rows.map((r) => r.source_id)).toEqual(expectedLines.map((n) => `r${n}`));
    const entries = await quarantined(staging, scenario.migrationId);
    const byKey = new Map(entries.map((e) => [e.record_key, e]));
    expect([...byKey.keys()].sort()).toEqual([
      'line:11000',
      'line:12000',
      'line:3',
      'line:4000',
      'line:7001',
      'line:9000',
    ]);
    for (const [line, first] of reuse) {
      expect(byKey.get(`line:${line}`)).toEqual({
        record_key: `line:${line}`,
        reason_code: 'duplicate_source_id',
        message: `line ${line}: id=r${first} was already used at line ${first}; fix the source or choose a unique id column`,
        raw: JSON.parse(lines[line - 1]!) as unknown,
      });
    }
    expect(byKey.get('line:9000')?.reason_code).toBe('missing_source_id');
    expect(byKey.get('line:4000')?.reason_code).toBe('unparseable_row');
  });

  it('resumed from a checkpoint in the middle of a batch already staged, stages nothing twice and quarantines nothing new', async () => {
    const reuse = new Map([
      [2600, 10],
      [8000, 2400],
    ]);
    const scenario = await jsonlScenario(staging, sourceLines(9000, reuse, 3000, 5000));
    scenarios.push(scenario);
    const first = await extract(scenario.migrationId);
    const rowsBefore = await staged(staging, scenario.migrationId);
    const quarantineBefore = await quarantined(staging, scenario.migrationId);

    // As if the attempt that staged lines 2,001 to 9,000 had died before its checkpoints were saved.
    await saveCheckpoint(staging.db, { migrationId: scenario.migrationId, ...KEY }, { cursor: '2000', done: false });
    const again = await extract(scenario.migrationId);

    expect(again).toEqual(first);
    expect(await staged(staging, scenario.migrationId)).toEqual(rowsBefore);
    expect(await quarantined(staging, scenario.migrationId)).toEqual(quarantineBefore);
    expect(rowsBefore).toHaveLength(9000 - reuse.size - 2);
  });

  it('stages every row exactly once when an attempt that failed in the middle of a batch is retried', async () => {
    const count = 30_000;
    const good = sourceLines(count, new Map(), 0, 0);
    // Line 12,345 holds an id staging cannot store: the read fails there, in the middle of the third batch, while
    // the second is being written.
    const bad = [...good];
    bad[12_344] = JSON.stringify({ id: 'r12345\u0000', name: 'Item 12345', n: 12_345 });
    const scenario = await jsonlScenario(staging, bad);
    scenarios.push(scenario);
    await expect(extract(scenario.migrationId)).rejects.toThrow(
      'line 12345: id holds a NUL character, which staging cannot store',
    );
    const left = await readCheckpoint(staging.db, { migrationId: scenario.migrationId, ...KEY });
    expect(left?.done).toBe(false);
    const [partial] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from staged_records where migration_id = ${scenario.migrationId}`;
    expect(partial!.n).toBeGreaterThan(0);
    expect(partial!.n).toBeLessThan(12_345);

    // The source fixed, the retried attempt carries on from the last committed batch.
    fs.writeFileSync(path.join(scenario.dir, 'items.jsonl'), good.join('\n') + '\n');
    const result = await extract(scenario.migrationId);

    expect(result).toEqual({ staged: count, broken: 0, duplicateIds: 0 });
    const rows = await staged(staging, scenario.migrationId);
    expect(rows.map((r) => r.source_position)).toEqual([...Array(count).keys()].map((i) => `line ${i + 1}`));
    expect(await quarantined(staging, scenario.migrationId)).toEqual([]);
  });

  it('a COPY PostgreSQL refuses fails the transaction with its error instead of waiting forever', async () => {
    const outcome = await staging.sql
      .begin(async (tx) => {
        await tx.unsafe('create temporary table extract_refusal (n int) on commit drop');
        await copyIntoScratch(tx as never, 'copy', 'extract_refusal', ['n'], [['1'], ['not a number']]);
        return 'copied';
      })
      .catch((err: Error) => err.message);
    expect(outcome).toMatch(/invalid input syntax for type integer/);
    // The connection is usable again (rolled back, not left in an aborted transaction).
    expect(await staging.sql`select 1 as ok`).toEqual([{ ok: 1 }]);
  });
});
