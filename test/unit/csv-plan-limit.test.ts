import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSource } from '../../connectors/sources';
import type { SourceItem } from '../../connectors/source';
import { parsePlan } from '../../plan/load';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-csv-plan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const note = Array.from({ length: 150 }, (_, i) => `line ${i + 1}`).join('\n');
fs.writeFileSync(path.join(dir, 'notes.csv'), `id,note\n1,"${note}"\n2,short\n`);

function plan(source: Record<string, unknown>) {
  const text = JSON.stringify({
    version: 1,
    name: 'notes',
    source: { kind: 'csv', directory: dir, ...source },
    target: { kind: 'postgres' },
    objects: [
      {
        name: 'notes',
        source: { file: 'notes.csv', id: 'id' },
        target: { table: 'notes', key: 'legacy_id' },
        fields: [{ from: 'id', to: 'legacy_id' }],
      },
    ],
  });
  return parsePlan(text, path.join(dir, 'plan.yaml')).plan;
}

async function read(source: Record<string, unknown>): Promise<SourceItem[]> {
  const p = plan(source);
  const opened = await openSource(p, p.objects[0]!, {});
  const items: SourceItem[] = [];
  for await (const item of opened.reader(null)) items.push(item);
  return items;
}

describe('source.maxRecordLines in a plan', () => {
  it('defaults to 10,000 lines, so a 150-line field is one record', async () => {
    expect(plan({}).source).toMatchObject({ maxRecordLines: 10_000 });
    const items = await read({});
    expect(items.map((i) => [i.kind, i.position])).toEqual([
      ['record', 'line 2'],
      ['record', 'line 152'],
    ]);
  });

  it('reaches the reader: a field longer than the setting is quarantined with a reason naming it', async () => {
    const items = await read({ maxRecordLines: 100 });
    expect(items[0]).toMatchObject({
      kind: 'broken',
      position: 'line 2',
      message: expect.stringMatching(/notes\.csv is still open after 100 lines \(source\.maxRecordLines\)/) as string,
    });
    // The lines after the runaway quote are read again: none is lost silently.
    expect(items.length).toBeGreaterThan(100);
  });

  it('rejects a setting that is not a positive whole number, naming it', () => {
    expect(() => plan({ maxRecordLines: 0 })).toThrow(/maxRecordLines/);
    expect(() => plan({ maxRecordLines: 'many' })).toThrow(/maxRecordLines/);
  });
});
