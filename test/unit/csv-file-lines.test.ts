import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileLines, type FileLine } from '../../connectors/file-lines';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-lines-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The stream's chunk size: line breaks placed across it test the joins. */
const CHUNK = 256 * 1024;

async function lines(content: string, breaks: 'any' | 'lf'): Promise<FileLine[]> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(file, content);
  const out: FileLine[] = [];
  for await (const line of readFileLines(file, { encoding: 'utf8', breaks })) out.push(line);
  return out;
}

/** The file's text again, from its lines: nothing lost, nothing added (but the BOM). */
const rebuild = (read: FileLine[]) => read.map((l) => l.text + l.eol).join('');

describe('readFileLines', () => {
  it('splits on LF, CRLF and a lone CR for CSV, keeping each break', async () => {
    const read = await lines('\uFEFFa\r\nb\nc\rd', 'any');
    expect(read).toEqual([
      { number: 1, text: 'a', eol: '\r\n' },
      { number: 2, text: 'b', eol: '\n' },
      { number: 3, text: 'c', eol: '\r' },
      { number: 4, text: 'd', eol: '' },
    ]);
  });

  it('splits only on LF for JSON lines: a lone CR stays inside its line', async () => {
    const read = await lines('{"a":1,\r"b":2}\r\n{"c":3}\r', 'lf');
    expect(read).toEqual([
      { number: 1, text: '{"a":1,\r"b":2}', eol: '\r\n' },
      { number: 2, text: '{"c":3}\r', eol: '' },
    ]);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['lone CR', '\r'],
    ['LF', '\n'],
  ])('keeps a %s that straddles two chunks as one break', async (_, eol) => {
    for (const breaks of ['any', 'lf'] as const) {
      if (breaks === 'lf' && eol === '\r') continue;
      const first = 'x'.repeat(CHUNK - 1);
      const read = await lines(`${first}${eol}second${eol}`, breaks);
      expect(read).toEqual([
        { number: 1, text: first, eol },
        { number: 2, text: 'second', eol },
      ]);
    }
  });

  it('reads a lone CR at a chunk end as part of the line for JSON lines', async () => {
    const first = 'y'.repeat(CHUNK - 1);
    const read = await lines(`${first}\rmore\n`, 'lf');
    expect(read).toEqual([{ number: 1, text: `${first}\rmore`, eol: '\n' }]);
  });

  it('reads lines of several megabytes and multi-byte characters across chunks exactly', async () => {
    const long = 'é✓'.repeat(1_500_000);
    const content = `short\n${long}\r\nlast`;
    const read = await lines(content, 'any');
    expect(read.map((l) => l.text.length)).toEqual([5, long.length, 4]);
    expect(rebuild(read)).toBe(content);
  });
});
