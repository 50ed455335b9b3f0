import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvSourceReader } from '../../connectors/csv/source';
import { jsonlSourceReader, parseJsonLine } from '../../connectors/jsonl/read';
import type { SourceItem, SourceReader } from '../../connectors/source';
import { ConfigError, SourceFileError } from '../../common/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-jsonl-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(content: string | Buffer, ext = 'jsonl'): string {
  const name = path.join(dir, `${Math.random().toString(36).slice(2)}.${ext}`);
  fs.writeFileSync(name, content);
  return name;
}

async function all(reader: SourceReader, cursor: string | null = null): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of reader(cursor)) items.push(item);
  return items;
}

const summary = (items: SourceItem[]) => items.map((i) => [i.kind, i.position, i.cursor]);

describe('jsonlSourceReader', () => {
  it('yields each object with its line number as position and cursor, keeping nested values as they are', async () => {
    const items = await all(
      jsonlSourceReader(
        file(
          '{"id": 1, "name": "Ana", "tags": ["a", "b"], "address": {"city": "Lyon", "zip": null}}\n{"id": "2", "active": true, "amount": 12.5}\n',
        ),
      ),
    );
    expect(items).toEqual([
      {
        kind: 'record',
        position: 'line 1',
        cursor: '1',
        record: { id: 1, name: 'Ana', tags: ['a', 'b'], address: { city: 'Lyon', zip: null } },
      },
      { kind: 'record', position: 'line 2', cursor: '2', record: { id: '2', active: true, amount: 12.5 } },
    ]);
  });

  it('reports lines that are not JSON objects as broken, with their line numbers, and reads on', async () => {
    const lines = [
      '{"id": 1}',
      '{"id": 2, "name": "unterminated}',
      '[1, 2, 3]',
      '"just a string"',
      'null',
      '42',
      '{"id": 3,}',
      '{"id": 4}',
    ];
    const items = await all(jsonlSourceReader(file(`${lines.join('\n')}\n`)));
    expect(summary(items)).toEqual([
      ['record', 'line 1', '1'],
      ['broken', 'line 2', '2'],
      ['broken', 'line 3', '3'],
      ['broken', 'line 4', '4'],
      ['broken', 'line 5', '5'],
      ['broken', 'line 6', '6'],
      ['broken', 'line 7', '7'],
      ['record', 'line 8', '8'],
    ]);
    const broken = items.filter((i): i is Extract<SourceItem, { kind: 'broken' }> => i.kind === 'broken');
    expect(broken[0]).toMatchObject({ text: '{"id": 2, "name": "unterminated}' });
    expect(broken[0]?.message).toMatch(/^not valid JSON: .+; each line must be one JSON object$/);
    expect(broken[1]?.message).toBe(
      'is JSON an array, not an object: each line must be one record as a JSON object ({"id": …, …})',
    );
    expect(broken[2]?.message).toMatch(/^is JSON a string, not an object/);
    expect(broken[3]?.message).toMatch(/^is JSON null, not an object/);
    expect(broken[4]?.message).toMatch(/^is JSON a number, not an object/);
    expect(broken[5]?.message).toMatch(/^not valid JSON/);
    for (const item of broken) expect(item.message).not.toContain('\n');
  });

  it('skips blank and whitespace-only lines but keeps counting them', async () => {
    const items = await all(jsonlSourceReader(file('\n{"id": 1}\n   \n\t\n{"id": 2}\n\n\n')));
    expect(summary(items)).toEqual([
      ['record', 'line 2', '2'],
      ['record', 'line 5', '5'],
    ]);
  });

  it('reads CRLF line endings and a file without a final newline', async () => {
    const items = await all(jsonlSourceReader(file('{"id": 1}\r\n{"id": 2}\r\n{"id": 3}')));
    expect(items.map((i) => (i.kind === 'record' ? i.record.id : i.kind))).toEqual([1, 2, 3]);
  });

  it('resumes just after the cursor: exactly the rest, broken lines included', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? `{broken ${i + 1}` : `{"id": ${i + 1}}`));
    const reader = jsonlSourceReader(file(`${lines.join('\n')}\n`));
    const everything = await all(reader);
    expect(everything).toHaveLength(50);
    for (const at of [0, 1, 3, 4, 24, 48, 49]) {
      const cursor = everything[at]?.cursor ?? null;
      expect(await all(reader, cursor)).toEqual(everything.slice(at + 1));
    }
    expect(await all(reader, '0')).toEqual(everything);
    expect(await all(reader, '1000')).toEqual([]);
  });

  it('refuses a cursor that is not a line number, with the fix', async () => {
    const reader = jsonlSourceReader(file('{"id": 1}\n'));
    const error = await all(reader, 'tie:1:2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/cannot resume from the checkpoint cursor "tie:1:2"/);
    expect((error as ConfigError).fix).toMatch(/restart the extract/);
  });

  it('drops a UTF-8 byte-order mark', async () => {
    const items = await all(jsonlSourceReader(file(Buffer.from('\uFEFF{"id": 1, "name": "Zoë"}\n', 'utf8'))));
    expect(items).toEqual([{ kind: 'record', position: 'line 1', cursor: '1', record: { id: 1, name: 'Zoë' } }]);
  });

  it('reads UTF-16LE (with its byte-order mark) and Latin-1 files', async () => {
    const text = '{"id": 1, "name": "Müller"}\n{"id": 2, "name": "Ørsted ✓"}\n';
    const utf16 = await all(
      jsonlSourceReader(file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), {
        encoding: 'utf16le',
      }),
    );
    expect(utf16.map((i) => (i.kind === 'record' ? i.record.name : i.kind))).toEqual(['Müller', 'Ørsted ✓']);

    const latin1 = await all(
      jsonlSourceReader(file(Buffer.from('{"id": 1, "name": "Müller, José"}\n', 'latin1')), { encoding: 'latin1' }),
    );
    expect(latin1).toEqual([
      { kind: 'record', position: 'line 1', cursor: '1', record: { id: 1, name: 'Müller, José' } },
    ]);

    const alias = await all(jsonlSourceReader(file('{"name": "Zoë"}\n'), { encoding: 'utf-8' }));
    expect(alias).toMatchObject([{ record: { name: 'Zoë' } }]);
  });

  it('reads a huge line whole, and quarantines a huge broken line clipped', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const items = await all(
      jsonlSourceReader(file(`{"id": 1}\n{"id": 2, "note": "${big}"}\n{"id": 3, "note": "${big}\n{"id": 4}\n`)),
    );
    expect(summary(items)).toEqual([
      ['record', 'line 1', '1'],
      ['record', 'line 2', '2'],
      ['broken', 'line 3', '3'],
      ['record', 'line 4', '4'],
    ]);
    expect(items[1]?.kind === 'record' && items[1].record.note).toBe(big);
    const broken = items[2];
    if (broken?.kind !== 'broken') throw new Error('expected a broken line');
    expect(broken.text.length).toBeLessThan(70 * 1024);
    expect(broken.text).toMatch(/… \[truncated: the line has \d+ characters\]$/);
    expect(broken.message.length).toBeLessThanOrEqual(301);
  });

  it('keeps integers too large for a JS number exactly, as their digits', async () => {
    const items = await all(
      jsonlSourceReader(
        file(
          '{"id": 12345678901234567890, "small": 9007199254740991, "neg": -98765432109876543210, "s": "12345678901234567890", "f": 1.5e300, "list": [90071992547409934]}\n',
        ),
      ),
    );
    expect(items[0]).toMatchObject({
      kind: 'record',
      record: {
        id: '12345678901234567890',
        small: 9007199254740991,
        neg: '-98765432109876543210',
        s: '12345678901234567890',
        f: 1.5e300,
        list: ['90071992547409934'],
      },
    });
    // Quoting never turns invalid JSON (a number with leading zeros) into a record.
    expect(parseJsonLine('{"id": 01234567890123456789}').ok).toBe(false);
    expect(parseJsonLine('{"a": "say \\"12345678901234567890\\"", "b": 12345678901234567890}')).toEqual({
      ok: true,
      record: { a: 'say "12345678901234567890"', b: '12345678901234567890' },
    });
  });

  it('names the missing file and the fix', async () => {
    const missing = path.join(dir, 'nope', 'customers.jsonl');
    const error = await all(jsonlSourceReader(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect((error as SourceFileError).message).toBe(`source file ${missing} does not exist`);
    expect((error as SourceFileError).fix).toMatch(/source\.directory .*objects\[\]\.source\.file/);
    const directory = await all(jsonlSourceReader(dir)).catch((e: unknown) => e);
    expect((directory as SourceFileError).message).toBe(`source file ${dir} is a directory`);
  });

  it('streams: stopping early leaves nothing open and a later read starts again', async () => {
    const reader = jsonlSourceReader(file(Array.from({ length: 1000 }, (_, i) => `{"id": ${i}}`).join('\n')));
    for await (const item of reader(null)) {
      expect(item.position).toBe('line 1');
      break;
    }
    expect(await all(reader, '999')).toEqual([
      { kind: 'record', position: 'line 1000', cursor: '1000', record: { id: 999 } },
    ]);
  });
});

describe('csvSourceReader', () => {
  it('adapts readCsv: line positions and cursors, broken rows, resume after a cursor', async () => {
    const reader = csvSourceReader(file('id,name\n1,Ana\n2,"two\nlines"\n3,too,many\n4,Dan\n', 'csv'));
    const items = await all(reader);
    expect(items).toEqual([
      { kind: 'record', position: 'line 2', cursor: '2', record: { id: '1', name: 'Ana' } },
      { kind: 'record', position: 'line 3', cursor: '3', record: { id: '2', name: 'two\nlines' } },
      {
        kind: 'broken',
        position: 'line 5',
        cursor: '5',
        text: '3,too,many',
        message: 'has 3 columns, the header has 2',
      },
      { kind: 'record', position: 'line 6', cursor: '6', record: { id: '4', name: 'Dan' } },
    ]);
    expect(await all(reader, '3')).toEqual(items.slice(2));
    expect(await all(reader, '6')).toEqual([]);
  });

  it('passes the encoding (utf-8 alias included) and delimiter through', async () => {
    const latin1 = csvSourceReader(file(Buffer.from('id;name\n1;Müller\n', 'latin1'), 'csv'), {
      encoding: 'latin1',
      delimiter: ';',
    });
    expect(await all(latin1)).toMatchObject([{ record: { id: '1', name: 'Müller' } }]);
    const alias = csvSourceReader(file('id,name\n1,Zoë\n', 'csv'), { encoding: 'utf-8' });
    expect(await all(alias)).toMatchObject([{ record: { name: 'Zoë' } }]);
  });
});
