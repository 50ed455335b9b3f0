import fs from 'node:fs';
import path from 'node:path';
import { pick, seededRandom } from '../../common/random';
import { FIRST_NAMES, LAST_NAMES } from './vocabulary';

const COUNTRIES = ['US', 'us', 'United States', 'FR', 'DE', 'de', 'GB', 'JP', 'BR', 'PL'];
const ACTIVE = ['Y', 'N', 'yes', 'no', '1', '0', 'TRUE', 'false'];

export const CUSTOMER_COLUMNS = [
  'customer_id',
  'first_name',
  'last_name',
  'email',
  'signup_date',
  'country',
  'lifetime_value',
  'is_active',
  'updated_at',
];

/** What the generator planted, so tests and the demo can check Tern found exactly that. */
export interface CustomerDataFacts {
  rows: number;
  whitespacePadded: number;
  upperCaseEmails: number;
  usDates: number;
  isoDates: number;
  currencyFormatted: number;
  blankValues: number;
  brokenRows: number;
}

/**
 * Legacy customer rows as a CRM exports them: padded values, shouting emails, US and ISO dates, currency
 * strings, yes/no flags, blanks, unicode names. Every kind of dirt is one the demo plan fixes; optional
 * broken rows (an unclosed quote, a short row) exercise the quarantine.
 */
export function generateCustomersCsv(options: { rows: number; seed: number; brokenRows?: number }): {
  csv: string;
  facts: CustomerDataFacts;
} {
  const random = seededRandom(options.seed);
  const facts: CustomerDataFacts = {
    rows: options.rows,
    whitespacePadded: 0,
    upperCaseEmails: 0,
    usDates: 0,
    isoDates: 0,
    currencyFormatted: 0,
    blankValues: 0,
    brokenRows: 0,
  };
  const lines = [CUSTOMER_COLUMNS.join(',')];
  const broken = new Set<number>();
  const wanted = options.brokenRows ?? 0;
  while (broken.size < wanted) broken.add(1 + Math.floor(random() * options.rows));
  for (let i = 1; i <= options.rows; i++) {
    const id = `C${String(i).padStart(6, '0')}`;
    if (broken.has(i)) {
      facts.brokenRows += 1;
      lines.push(
        i % 2 === 0 ? `${id},"Unclosed,quote@example.com,01/02/2020,US,10,Y,2024-01-01T00:00:00Z` : `${id},Short,Row`,
      );
      continue;
    }
    let first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    let email = `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, '');
    if (random() < 0.15) {
      email = email.toUpperCase();
      facts.upperCaseEmails += 1;
    }
    if (random() < 0.2) {
      first = `  ${first} `;
      facts.whitespacePadded += 1;
    }
    const year = 2012 + Math.floor(random() * 12);
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    let signup: string;
    if (random() < 0.7) {
      signup = `${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}/${year}`;
      facts.usDates += 1;
    } else {
      signup = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      facts.isoDates += 1;
    }
    const cents = Math.floor(random() * 5_000_000);
    let value = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    if (random() < 0.3) {
      value = `$${Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
      facts.currencyFormatted += 1;
    }
    let country = pick(random, COUNTRIES);
    if (random() < 0.05) {
      country = '';
      facts.blankValues += 1;
    }
    if (random() < 0.05) {
      value = '';
      facts.blankValues += 1;
    }
    const updated = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 300 * 86_400_000)).toISOString();
    const cells = [id, first, last, email, signup, country, value, pick(random, ACTIVE), updated];
    lines.push(cells.map(csvCell).join(','));
  }
  return { csv: `${lines.join('\n')}\n`, facts };
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '../../examples/data/customers.csv'));
  const { csv, facts } = generateCustomersCsv({ rows: 3000, seed: 20261125 });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, csv);
  console.log(`wrote ${out}: ${JSON.stringify(facts)}`);
}
