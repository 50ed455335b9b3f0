import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonlSourceReader } from '../../connectors/jsonl/read';
import type { SourceItem } from '../../connectors/source';
import { pythonJsonl } from '../support/independent-readers';

/**
 * The JSON-lines source reads what a standard reader reads (https://jsonlines.org, Python's json): one record per
 * line that holds an object, one quarantined item per line that does not, never a line split or two merged.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-jsonl-std-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(content: string | Buffer): string {
  files += 1;
  const file = path.join(dir, `file-${files}.jsonl`);
  fs.writeFileSync(file, content);
  return file;
}

async function readAll(file: string): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of jsonlSourceReader(file)(null)) items.push(item);
  return items;
}

/** Tern and Python agree: the same lines are records (with the same values) and the same lines are broken. */
async function expectSameAsPython(file: string) {
  const python = pythonJsonl(file);
  const items = await readAll(file);
  const line = (i: SourceItem) => Number(i.position.replace('line ', ''));
  expect(items.filter((i) => i.kind === 'broken').map(line)).toEqual(python.broken);
  expect(items.flatMap((i) => (i.kind === 'record' ? [{ line: line(i), record: i.record }] : []))).toEqual(
    python.records,
  );
  return { items, python };
}

describe('JSON-lines source against Python json', () => {
  it('reads CRLF lines, a BOM and a last line without a line break', async () => {
    const { python } = await expectSameAsPython(write('\uFEFF{"id": 1}\r\n{"id": 2, "n": "a\\r\\nb"}\r\n{"id": 3}'));
    expect(python.records).toHaveLength(3);
  });

  it('reads a carriage return between tokens as JSON whitespace, not as a line break', async () => {
    const { python } = await expectSameAsPython(write('{"id": 1,\r"name": "Ana"}\n{"id": 2}\n'));
    expect(python.records).toHaveLength(2);
  });

  it('reads a line separator (U+2028) inside a string as a character', async () => {
    const { python } = await expectSameAsPython(write('{"id": 1, "note": "a\u2028b\u2029c\u0085d"}\n{"id": 2}\n'));
    expect(python.records).toHaveLength(2);
  });

  it('quarantines a line of non-JSON spaces instead of skipping it as blank', async () => {
    const { python } = await expectSameAsPython(write('{"id": 1}\n\u00a0\u00a0\n  \t\n{"id": 2}\n'));
    expect(python.broken).toEqual([2]);
  });

  it('quarantines each line that is not one object, and only that line', async () => {
    const lines = ['{"id": 1}', '{"id": 2', '"id": 3}', '[{"id": 4}]', '{"id": 5} {"id": 6}', 'NaN', '{"id": 7}'];
    const { python } = await expectSameAsPython(write(`${lines.join('\n')}\n`));
    expect(python.broken).toEqual([2, 3, 4, 5, 6]);
  });

  it('reads lines of megabytes as one record each', async () => {
    const big = 'ü'.repeat(3_000_000);
    const { python } = await expectSameAsPython(write(`{"id": 1, "body": "${big}"}\n{"id": 2}\n`));
    expect(python.records).toHaveLength(2);
  });
});
