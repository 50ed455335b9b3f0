import { z } from 'zod';
import {
  asText,
  define,
  elementwise,
  isBlank,
  none,
  policy,
  quoteValue,
  RecordRejection,
  type TransformDefinition,
  type TransformFn,
} from './core';

/** Number transforms: exact decimals (never through a float), integers and amounts of money. */

/** Characters accepted as thousands separators, by decimal separator. */
const GROUP_SEPARATORS: Record<'.' | ',', string> = {
  '.': ", '’_\u00a0\u202f\u2009",
  ',': ". '’_\u00a0\u202f\u2009",
};

/** A number's text exactly as a JS number prints it, without exponent notation (1e21 → "1000…0"). */
export function numberText(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = m[2]!.length + Number(m[4]);
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? `${digits}${'0'.repeat(point - digits.length)}`
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${m[1]}${body}`;
}

export interface ParsedDecimal {
  negative: boolean;
  int: string;
  frac: string;
}

/**
 * Reads a decimal number written with `decimalSeparator`, exactly. Thousands separators (the other of
 * "." and ",", spaces, apostrophes, _) are accepted only in groups of three ("1,234,567", "1 234"), so
 * "1.5" read with a "," decimal separator is refused rather than read as 15. No exponents.
 */
export function parseDecimalText(
  raw: string,
  decimalSeparator: '.' | ',',
  allowSign = true,
): ParsedDecimal | undefined {
  let s = raw.trim();
  let negative = false;
  if (allowSign && (s.startsWith('-') || s.startsWith('+'))) {
    negative = s.startsWith('-');
    s = s.slice(1).trimStart();
  }
  const at = s.indexOf(decimalSeparator);
  if (at !== s.lastIndexOf(decimalSeparator)) return undefined;
  const intPart = at < 0 ? s : s.slice(0, at);
  const frac = at < 0 ? '' : s.slice(at + 1);
  if (!/^\d*$/.test(frac)) return undefined;
  let int: string;
  if (/^\d*$/.test(intPart)) {
    int = intPart;
  } else {
    const group = /^\d{1,3}(\D)/.exec(intPart)?.[1];
    if (group === undefined || !GROUP_SEPARATORS[decimalSeparator].includes(group)) return undefined;
    const parts = intPart.split(group);
    if (parts.slice(1).some((p) => !/^\d{3}$/.test(p))) return undefined;
    int = parts.join('');
  }
  if (int === '' && frac === '') return undefined;
  int = int.replace(/^0+(?=\d)/, '') || '0';
  return { negative, int, frac };
}

export function formatDecimal({ negative, int, frac }: ParsedDecimal): string {
  const zero = /^0*$/.test(int) && /^0*$/.test(frac);
  return `${negative && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** A number from a typed source value (JSON number, bigint) or text in the given notation. */
export function readNumber(v: unknown, decimalSeparator: '.' | ','): ParsedDecimal | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? parseDecimalText(numberText(v), '.') : undefined;
  if (typeof v === 'bigint') return parseDecimalText(v.toString(), '.');
  return parseDecimalText(asText(v), decimalSeparator);
}

export const NUMBER_EXAMPLE = { '.': '1,234.56', ',': '1.234,56' } as const;

/**
 * Removes currency decorations: symbols (any Unicode currency sign: $ € £ ¥ ₹ …) and 3-letter upper-case
 * ISO codes before or after the number, a sign before or after it, and accounting parentheses. Returns the
 * bare number text and whether it is negative; undefined when it is both signed and parenthesised.
 */
export function stripCurrency(raw: string): { body: string; negative: boolean } | undefined {
  let s = raw.trim();
  let negative = false;
  let signed = false;
  let parenthesised = false;
  for (let round = 0; round < 10; round++) {
    const before = s;
    s = s.trim();
    if (!parenthesised && s.startsWith('(') && s.endsWith(')')) {
      parenthesised = true;
      s = s.slice(1, -1);
      continue;
    }
    if (!signed && (s.startsWith('-') || s.startsWith('+'))) {
      signed = true;
      negative = s.startsWith('-');
      s = s.slice(1);
    } else if (!signed && s.length > 1 && (s.endsWith('-') || s.endsWith('+'))) {
      signed = true;
      negative = s.endsWith('-');
      s = s.slice(0, -1);
    }
    s = s.trim();
    const leading = /^\p{Sc}/u.exec(s.slice(0, 2));
    if (leading) s = s.slice(leading[0].length);
    const trailing = /\p{Sc}$/u.exec(s.slice(-2));
    if (trailing) s = s.slice(0, -trailing[0].length);
    s = s.trim();
    if (/^[A-Z]{3}(?![A-Za-z])/.test(s.slice(0, 4))) s = s.slice(3);
    if (/^[A-Z]{3}$/.test(s.slice(-3)) && !/[A-Za-z]/.test(s.slice(-4, -3))) s = s.slice(0, -3);
    if (s === before) break;
  }
  if (signed && parenthesised) return undefined;
  return { body: s.trim(), negative: negative || parenthesised };
}
const decimalSeparator = z.enum(['.', ',']).default('.');
const numberArgs = z.strictObject({ decimalSeparator });
const currencyArgs = z.strictObject({
  decimals: z.number().int().min(0).max(12).default(2),
  decimalSeparator,
  /** What a value that is no amount at all ("TBD", "n/a") becomes: the record quarantined, or no amount. */
  onInvalid: policy(['quarantine', 'null'], 'quarantine'),
});

/**
 * A transform writing each non-blank value as exact decimal text, as `read` reads it; a value it cannot read
 * quarantines the record with `code`, the value quoted before `why` (what it is not, and the fix).
 */
function exactNumber(read: (v: unknown) => ParsedDecimal | undefined, code: string, why: string): TransformFn {
  return elementwise((v) => {
    if (isBlank(v)) return null;
    const parsed = read(v);
    if (!parsed) throw new RecordRejection(code, `${quoteValue(v)} ${why}`);
    return formatDecimal(parsed);
  });
}

export const NUMBER_TRANSFORMS: Record<string, TransformDefinition> = {
  integer: none(
    'a whole number, exact at any size (as text, never a float): thousands separators in groups of 3 ("1,234,567" → "1234567")',
    {
      input: 'text or number',
      output: 'integer',
      outputForm: 'integer text, exact beyond 2^53',
      elementwise: true,
      quarantines: [
        {
          code: 'not_an_integer',
          when: 'the value has a fraction, or separators not in groups of 3',
          example: { value: '12.5' },
        },
      ],
      examples: [
        { value: '1,234,567', result: '1234567' },
        { value: '9007199254740993', result: '9007199254740993' },
      ],
    },
    exactNumber(
      (v) => {
        const parsed = readNumber(v, '.');
        return parsed?.frac === '' ? parsed : undefined;
      },
      'not_an_integer',
      'is not a whole number (thousands separators only in groups of 3); correct it in the source, or map the field with decimal',
    ),
  ),
  decimal: none(
    'an exact decimal number keeping its scale ("1.50" stays "1.50"); $ € £ and thousands separators (groups of 3) removed',
    {
      input: 'text or number',
      output: 'number',
      outputForm: 'decimal text with the source scale',
      elementwise: true,
      quarantines: [
        {
          code: 'not_a_number',
          when: 'the value is not a number written like 1,234.56 (a comma as decimal separator is refused, never dropped)',
          example: { value: '1,5' },
        },
      ],
      examples: [
        { value: '$1,234.50', result: '1234.50' },
        { value: '0.10', result: '0.10' },
      ],
    },
    exactNumber(
      (v) => (typeof v === 'string' ? parseDecimalText(v.replace(/[$€£]/g, ''), '.') : readNumber(v, '.')),
      'not_a_number',
      "is not a number written like 1,234.56; correct it in the source, or use number with decimalSeparator: ','",
    ),
  ),
  number: define(
    "an exact decimal number (never through a float) → \"1234.56\": { number: { decimalSeparator: '.' | ',' } }; thousands separators in groups of 3",
    {
      input: 'text or number',
      output: 'number',
      outputForm: 'decimal text with the source scale',
      elementwise: true,
      quarantines: [
        {
          code: 'not_a_number',
          when: 'the value is not a number in the notation of decimalSeparator',
          example: { value: '1.5', args: { decimalSeparator: ',' } },
        },
      ],
      examples: [
        { value: '1,234.50', result: '1234.50' },
        { args: { decimalSeparator: ',' }, value: '1.234,50', result: '1234.50' },
      ],
    },
    numberArgs,
    ({ decimalSeparator }) =>
      exactNumber(
        (v) => readNumber(v, decimalSeparator),
        'not_a_number',
        `is not a number written like ${NUMBER_EXAMPLE[decimalSeparator]}; correct it in the source${decimalSeparator === '.' ? " or set number.decimalSeparator: ','" : ''}`,
      ),
  ),
  currency: define(
    "an amount of money → exact decimal with `decimals` places; symbols, ISO codes and (negative) parentheses removed: { currency: { decimals: 2, decimalSeparator: '.', onInvalid: quarantine | null } }",
    {
      input: 'text or number',
      output: 'number',
      outputForm: 'decimal text with exactly `decimals` places',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_currency',
          when: 'the value is no amount (and onInvalid is quarantine), is both signed and in parentheses, or has more decimal places than `decimals` (never rounded)',
          example: { value: '12.345' },
        },
      ],
      examples: [
        { value: '(€1,234.5)', result: '-1234.50' },
        { args: { decimals: 0 }, value: 'USD 700', result: '700' },
        { args: { onInvalid: 'null' }, value: 'TBD', result: null },
      ],
    },
    currencyArgs,
    ({ decimals, decimalSeparator, onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const reject = (why: string) => new RecordRejection('invalid_currency', `${quoteValue(v)} ${why}`);
        let parsed: ParsedDecimal | undefined;
        if (typeof v === 'number' || typeof v === 'bigint') parsed = readNumber(v, '.');
        else {
          const stripped = stripCurrency(asText(v));
          if (!stripped) throw reject('is both signed and in parentheses; write one of -12.50 or (12.50)');
          parsed = parseDecimalText(stripped.body, decimalSeparator, false);
          if (parsed) parsed.negative = stripped.negative;
        }
        if (!parsed) {
          if (onInvalid === 'null') return null;
          throw reject(
            `is not an amount written like ${NUMBER_EXAMPLE[decimalSeparator]} (with an optional symbol or currency code); correct it in the source, or set currency.onInvalid: null`,
          );
        }
        if (parsed.frac.length > decimals)
          throw reject(
            `has ${parsed.frac.length} decimal places, more than the ${decimals} allowed (never rounded); correct the source or raise currency.decimals`,
          );
        return formatDecimal({ ...parsed, frac: parsed.frac.padEnd(decimals, '0') });
      }),
  ),
};
