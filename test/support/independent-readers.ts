import { execFileSync } from 'node:child_process';

/**
 * Readers that are not Tern's: Python's standard library reading the same file, to check that a source
 * yields what a standard reader yields.
 */

const CSV_SCRIPT = `
import csv, json, sys
csv.field_size_limit(sys.maxsize)
path, encoding, delimiter = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, newline='', encoding=encoding) as f:
    rows = [row for row in csv.reader(f, delimiter=delimiter) if row]
json.dump({'header': rows[0] if rows else [], 'rows': rows[1:]}, sys.stdout)
`;

/** Python's `csv` module on a file: the header row and every non-empty row after it (as csv.DictReader sees them). */
export function pythonCsv(
  file: string,
  options: { encoding?: string; delimiter?: string } = {},
): { header: string[]; rows: string[][] } {
  const out = execFileSync(
    'python3',
    ['-c', CSV_SCRIPT, file, options.encoding ?? 'utf-8-sig', options.delimiter ?? ','],
    { maxBuffer: 1024 * 1024 * 1024 },
  );
  return JSON.parse(out.toString('utf8')) as { header: string[]; rows: string[][] };
}

// JSON Lines (https://jsonlines.org): lines end with \n (a \r before it is JSON whitespace); blank lines hold no
// record; a line is a record when it is one JSON object. NaN and Infinity are not JSON.
const JSONL_SCRIPT = `
import json, sys
def reject(name):
    raise ValueError(name + ' is not JSON')
path, encoding = sys.argv[1], sys.argv[2]
with open(path, 'rb') as f:
    data = f.read().decode(encoding)
lines = data.split('\\n')
if lines and lines[-1] == '':
    lines.pop()
records, broken = [], []
for number, line in enumerate(lines, start=1):
    if line.strip(' \\t\\r') == '':
        continue
    try:
        value = json.loads(line, parse_constant=reject)
    except ValueError:
        broken.append(number)
        continue
    if isinstance(value, dict):
        records.append({'line': number, 'record': value})
    else:
        broken.append(number)
json.dump({'records': records, 'broken': broken}, sys.stdout)
`;

/** Python's `json` module on a JSON-lines file: the records (objects) with their lines, and the lines that are not. */
export function pythonJsonl(
  file: string,
  options: { encoding?: string } = {},
): { records: { line: number; record: Record<string, unknown> }[]; broken: number[] } {
  const out = execFileSync('python3', ['-c', JSONL_SCRIPT, file, options.encoding ?? 'utf-8-sig'], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  return JSON.parse(out.toString('utf8')) as {
    records: { line: number; record: Record<string, unknown> }[];
    broken: number[];
  };
}
