import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvSourceReader } from '../../connectors/csv/source';
import { jsonlSourceReader } from '../../connectors/jsonl/read';
import type { SourceItem, SourceReader } from '../../connectors/source';
import { duplicateIdEntry, missingIdEntry, positionKey, unparseableEntry } from '../../activities/unreadable';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-items-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function items(reader: (file: string) => SourceReader, ext: string, text: string): Promise<SourceItem[]> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.${ext}`);
  fs.writeFileSync(file, text);
  const out: SourceItem[] = [];
  for await (const item of reader(file)(null)) out.push(item);
  return out;
}

/** The non-blank data lines of a file (1-based, header excluded when `header`). */
const dataLines = (text: string, header: boolean) =>
  text
    .split('\n')
    .map((t, i) => ({ t, line: i + 1 }))
    .filter(({ t, line }) => t.trim() !== '' && (!header || line > 1))
    .map(({ line }) => `line ${line}`);

/**
 * A delta infers deletions from what a read did not yield, so a reader must account for every line: each
 * non-blank line is exactly one item, a record or a broken line, at its own position.
 */
describe('file readers account for every line', () => {
  it('CSV: good rows, an unclosed quote, a wrong column count and an empty id each yield one item', async () => {
    const text = [
      'id,name,email',
      '1,Ana,ana@example.com',
      '2,"Bob,bob@example.com',
      '3,Cy,cy@example.com',
      '4,Di',
      ',Ed,ed@example.com',
      '',
      '6,"Fay, F.",fay@example.com',
      '',
    ].join('\n');
    const read = await items((f) => csvSourceReader(f), 'csv', text);
    expect(read.map((i) => i.position)).toEqual(dataLines(text, true));
    expect(read.map((i) => [i.position, i.kind])).toEqual([
      ['line 2', 'record'],
      ['line 3', 'broken'],
      ['line 4', 'record'],
      ['line 5', 'broken'],
      ['line 6', 'record'],
      ['line 8', 'record'],
    ]);
    expect(read[4]).toMatchObject({ kind: 'record', record: { id: '', name: 'Ed' } });
  });

  it('JSON lines: good objects, bad JSON, a non-object and an empty id each yield one item', async () => {
    const text = [
      '{"id":"1","name":"Ana"}',
      '{"id":"2","name":"Bob"',
      '',
      '[1,2]',
      '{"id":"","name":"Ed"}',
      '{"name":"no id at all"}',
      '{"id":"6"}',
    ].join('\n');
    const read = await items((f) => jsonlSourceReader(f), 'jsonl', text);
    expect(read.map((i) => i.position)).toEqual(dataLines(text, false));
    expect(read.map((i) => i.kind)).toEqual(['record', 'broken', 'broken', 'record', 'record', 'record']);
  });
});

describe('quarantine entries for unreadable source items', () => {
  it('are keyed by position, staged at extract, one line each with the fix', () => {
    const broken = unparseableEntry({
      position: 'line 4',
      text: '4,"x',
      message: 'unclosed quote: the field never ends',
    });
    expect(broken).toMatchObject({
      recordKey: 'line:4',
      stage: 'extract',
      reasonCode: 'unparseable_row',
      sourcePosition: 'line 4',
      raw: { text: '4,"x' },
      message: 'line 4: unclosed quote: the field never ends; fix the line in the source, then run a delta',
    });
    // A reader's message that already carries its fix keeps it, on one line.
    const json = unparseableEntry({
      position: 'line 2',
      text: '{',
      message: 'not valid JSON: Unexpected end\nof input; each line must be one JSON object',
    });
    expect(json.message).toBe('line 2: not valid JSON: Unexpected end; fix the line in the source, then run a delta');
    const missing = missingIdEntry('customer_id', 'line 7', { customer_id: '' });
    expect(missing).toMatchObject({ recordKey: 'line:7', reasonCode: 'missing_source_id', field: 'customer_id' });
    expect(missing.message).toMatch(/^line 7: customer_id is empty; .*fill it in the source/);
    const repeated = duplicateIdEntry('customer_id', { sourceId: 'C1', position: 'line 9', raw: {} }, 'line 2');
    expect(repeated).toMatchObject({ recordKey: 'line:9', reasonCode: 'duplicate_source_id' });
    expect(repeated.message).toBe(
      'line 9: customer_id=C1 was already used at line 2; fix the source or choose a unique id column',
    );
    expect(positionKey('id null (row 3 without an id)')).toBe('id:null (row 3 without an id)');
  });
});
