import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsv, type CsvItem } from '../../connectors/csv/read';
import { pythonCsv } from '../support/independent-readers';

/**
 * The CSV source reads what a standard reader reads (RFC 4180): Python's `csv` module on the same file gives the
 * same records, field by field.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-csv-std-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(content: string | Buffer, extension = 'csv'): string {
  files += 1;
  const file = path.join(dir, `file-${files}.${extension}`);
  fs.writeFileSync(file, content);
  return file;
}

async function readAll(file: string, options: Parameters<typeof readCsv>[1] = {}): Promise<CsvItem[]> {
  const items: CsvItem[] = [];
  for await (const item of readCsv(file, options)) items.push(item);
  return items;
}

/** Tern's records and Python's rows agree: same count, every field equal, nothing quarantined. */
async function expectSameAsPython(
  file: string,
  options: { encoding?: BufferEncoding; delimiter?: string; python?: string } = {},
) {
  const python = pythonCsv(file, { encoding: options.python, delimiter: options.delimiter });
  const items = await readAll(file, { encoding: options.encoding, delimiter: options.delimiter });
  expect(items.filter((i) => i.kind === 'broken')).toEqual([]);
  const ours = items.flatMap((i) => (i.kind === 'record' ? [python.header.map((h) => i.record[h])] : []));
  expect(ours).toHaveLength(python.rows.length);
  expect(ours).toEqual(python.rows);
  return { items, python };
}

/** A deterministic pseudo-random sequence (the same file on every run). */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A CSV field as a writer quotes it: quoted when it holds a delimiter, quote or line break. */
function quote(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

describe('CSV source against Python csv', () => {
  it('reads quoted fields of 100 and 150 lines as one record each', async () => {
    const long = (lines: number, eol: string) =>
      Array.from({ length: lines }, (_, i) => `line ${i + 1} of the "description", with commas`).join(eol);
    const rows = [
      ['id', 'subject', 'description', 'status'],
      ['1', 'short', 'one line', 'open'],
      ['2', 'hundred', long(100, '\n'), 'closed'],
      ['3', 'hundred-fifty', long(150, '\r\n'), 'open'],
      ['4', '', '', ''],
      ['5', 'after', 'the long ones', 'pending'],
    ];
    const file = write(`\uFEFF${rows.map((r) => r.map(quote).join(',')).join('\r\n')}\r\n`);
    const { items, python } = await expectSameAsPython(file);
    expect(python.rows).toHaveLength(5);
    expect(items.map((i) => i.line)).toEqual([2, 3, 103, 253, 254]);
  });

  it('keeps embedded quotes, empty fields, CR, CRLF and LF inside fields exactly', async () => {
    const file = write(
      [
        'id,a,b,c',
        '1,"say ""hi""","",plain',
        '2,,"x\r\ny\nz\rw",',
        '3,"""",""""""," "',
        '4,"a,b","tab\there",end',
      ].join('\n'),
    );
    const { python } = await expectSameAsPython(file);
    expect(python.rows[1]?.[2]).toBe('x\r\ny\nz\rw');
  });

  it('reads a quote inside an unquoted field as a character, as standard readers do', async () => {
    const file = write('id,height,note\n1,5\'10",tall\n2,6\'1",taller\n3,"quoted",x\n');
    const { python } = await expectSameAsPython(file);
    expect(python.rows[0]?.[1]).toBe('5\'10"');
  });

  it('reads a last line without a line break and a file with CRLF line ends', async () => {
    await expectSameAsPython(write('id,name\r\n1,Ana\r\n2,"multi\r\nline"\r\n3,Cy'));
  });

  it('reads a whitespace-only line as the record it is in a one-column file', async () => {
    await expectSameAsPython(write('name\nAna\n   \nBo\n'));
  });

  it('reads a generated file of 2,000 tickets with fields of up to 300 lines record for record', async () => {
    const next = sequence(20);
    const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)]!;
    const lines: string[] = ['ticket_id,customer,description,resolution,priority'];
    for (let id = 1; id <= 2000; id++) {
      const text = (max: number) =>
        Array.from({ length: 1 + Math.floor(next() * max) }, () =>
          pick(['Hello,', 'the "app" crashes', '', '  indented', 'ok', 'ünïcødé ✓', '""', '5\'10"']),
        ).join(pick(['\n', '\r\n']));
      const description = next() < 0.01 ? text(300) : text(8);
      lines.push(
        [String(id), pick(['Ana', 'Bo, Jr.', '', '"Cy"']), description, next() < 0.3 ? '' : text(3), pick(['1', ''])]
          .map(quote)
          .join(','),
      );
    }
    const { python } = await expectSameAsPython(write(`${lines.join('\r\n')}\r\n`));
    expect(python.rows).toHaveLength(2000);
  });

  it('reads latin1 files and other delimiters like Python does', async () => {
    const file = write(Buffer.from('id;name;note\n1;Zoë;"a;b\nc"\n', 'latin1'));
    await expectSameAsPython(file, { encoding: 'latin1', delimiter: ';', python: 'latin-1' });
  });
});
