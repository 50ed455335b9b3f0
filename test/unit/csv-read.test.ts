import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsv, type CsvItem } from '../../connectors/csv/read';
import { SourceFileError } from '../../common/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-csv-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function read(text: string | Buffer, options: Parameters<typeof readCsv>[1] = {}): Promise<CsvItem[]> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  fs.writeFileSync(file, text);
  const items: CsvItem[] = [];
  for await (const item of readCsv(file, options)) items.push(item);
  return items;
}

describe('readCsv', () => {
  it('yields records keyed by the header, with their line numbers', async () => {
    const items = await read('id,name\n1,Ana\n2,"García, José"\n');
    expect(items).toEqual([
      { kind: 'record', line: 2, record: { id: '1', name: 'Ana' } },
      { kind: 'record', line: 3, record: { id: '2', name: 'García, José' } },
    ]);
  });

  it('keeps quoted fields that span lines and escaped quotes', async () => {
    const items = await read('id,note\n1,"first line\nsecond ""quoted"" line"\n2,plain\n');
    expect(items[0]).toEqual({
      kind: 'record',
      line: 2,
      record: { id: '1', note: 'first line\nsecond "quoted" line' },
    });
    expect(items[1]).toMatchObject({ kind: 'record', line: 4, record: { id: '2' } });
  });

  it('reports an unclosed quote as one broken line and reads on', async () => {
    const rows = [
      'id,name,email',
      '1,Ana,ana@example.com',
      '2,"Bob,bob@example.com',
      ...Array.from({ length: 30 }, (_, i) => `${i + 3},N${i},n${i}@example.com`),
    ];
    const items = await read(`${rows.join('\n')}\n`);
    const broken = items.filter((i) => i.kind === 'broken');
    expect(broken).toEqual([
      {
        kind: 'broken',
        line: 3,
        text: '2,"Bob,bob@example.com',
        message: expect.stringMatching(
          /^unclosed quote: the quoted field opened on line 3 of \S+\.csv never closes/,
        ) as string,
      },
    ]);
    expect(items.filter((i) => i.kind === 'record')).toHaveLength(31);
  });

  it('reads a quoted field longer than the old 20-line cut as one record', async () => {
    const note = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join('\n');
    const items = await read(`id,note,tail\n1,"${note}",x\n2,short,y\n`);
    expect(items).toEqual([
      { kind: 'record', line: 2, record: { id: '1', note, tail: 'x' } },
      { kind: 'record', line: 122, record: { id: '2', note: 'short', tail: 'y' } },
    ]);
  });

  it('takes a quote still open after maxRecordLines for a runaway one, names the setting and reads on', async () => {
    const rows = ['id,name', '1,"runaway', ...Array.from({ length: 60 }, (_, i) => `${i + 2},n${i}`), '99,"ok"'];
    const items = await read(`${rows.join('\n')}\n`, { maxRecordLines: 50 });
    const broken = items.filter((i) => i.kind === 'broken');
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ line: 2, text: '1,"runaway' });
    expect(broken[0]).toMatchObject({
      message: expect.stringMatching(
        /opened on line 2 of \S+\.csv is still open after 50 lines \(source\.maxRecordLines\); raise source\.maxRecordLines/,
      ) as string,
    });
    const records = items.filter((i) => i.kind === 'record');
    expect(records.map((r) => r.line)).toEqual(Array.from({ length: 61 }, (_, i) => i + 3));
  });

  it('quarantines text after a closing quote instead of guessing the value', async () => {
    const items = await read('id,name\n1,"Ana"Maria\n2,Bo\n');
    expect(items).toEqual([
      {
        kind: 'broken',
        line: 2,
        text: '1,"Ana"Maria',
        message: expect.stringContaining('text follows the closing quote') as string,
      },
      { kind: 'record', line: 3, record: { id: '2', name: 'Bo' } },
    ]);
  });

  it('reports an unclosed quote near the end of the file without losing the lines after it', async () => {
    const items = await read('id,name\n1,"open\n2,b\n3,c\n');
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['broken', 2],
      ['record', 3],
      ['record', 4],
    ]);
  });

  it('does not let a stray quote swallow the rows after it when a later quote closes it', async () => {
    const rows = [
      'id,name,city',
      '1,Ann,Oslo',
      '2,"Bob,Rome',
      '3,Cid,Paris',
      '4,"Dee ""the"" one",Lima',
      '5,Eve,"Multi',
      'line city"',
      '6,Fay,Bonn',
    ];
    const items = await read(`${rows.join('\n')}\n`);
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['record', 2],
      ['broken', 3],
      ['record', 4],
      ['record', 5],
      ['record', 6],
      ['record', 8],
    ]);
    expect(items[1]).toMatchObject({
      text: '2,"Bob,Rome',
      message: expect.stringContaining('unbalanced quote') as string,
    });
    expect(items[4]).toMatchObject({ record: { id: '5', city: 'Multi\nline city' } });
  });

  it('reports rows with the wrong number of columns', async () => {
    const items = await read('id,name,email\n1,Ana\n2,Bob,b@x.com,extra\n3,Cy,c@x.com\n');
    expect(items.map((i) => (i.kind === 'broken' ? `${i.line}: ${i.message}` : `${i.line} ok`))).toEqual([
      '2: has 2 columns, the header has 3',
      '3: has 4 columns, the header has 3',
      '4 ok',
    ]);
  });

  it('strips a BOM, accepts CRLF and skips blank lines', async () => {
    const items = await read('\uFEFFid,name\r\n1,Ana\r\n\r\n2,Bo\r\n');
    expect(items).toEqual([
      { kind: 'record', line: 2, record: { id: '1', name: 'Ana' } },
      { kind: 'record', line: 4, record: { id: '2', name: 'Bo' } },
    ]);
  });

  it('reads latin1 files and other delimiters', async () => {
    const items = await read(Buffer.from('id;name\n1;Zoë\n', 'latin1'), { encoding: 'latin1', delimiter: ';' });
    expect(items).toEqual([{ kind: 'record', line: 2, record: { id: '1', name: 'Zoë' } }]);
  });

  it('names a missing file and the fix', async () => {
    const gen = readCsv(path.join(dir, 'absent.csv'));
    await expect(gen.next()).rejects.toThrow(SourceFileError);
    await expect(readCsv(path.join(dir, 'absent.csv')).next()).rejects.toThrow(/absent\.csv does not exist/);
  });

  it('streams a large file in constant memory', async () => {
    const file = path.join(dir, 'large.csv');
    const out = fs.createWriteStream(file);
    out.write('id,name\n');
    for (let i = 0; i < 200_000; i++) out.write(`${i},name-${i}\n`);
    await new Promise((r) => out.end(r));
    let count = 0;
    for await (const item of readCsv(file)) if (item.kind === 'record') count += 1;
    expect(count).toBe(200_000);
  });
});
