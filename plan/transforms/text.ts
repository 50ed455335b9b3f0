// The "max" metadata: `isValid()` checks the number against each country's real numbering plan (area codes,
// mobile ranges); the "min" metadata only checks lengths and would let numbers such as 555-0100 through.
// Tern runs on a server, so the larger bundle costs nothing that matters.
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import {
  asText,
  codePointLength,
  codePointSlice,
  define,
  elementwise,
  isBlank,
  none,
  onText,
  policy,
  quoteValue,
  RecordRejection,
  type TransformDefinition,
  type TransformReference,
} from './core';

/** Text transforms: case, whitespace, length, and the text forms of contacts (email, domain, phone). */

/**
 * Title case: every word lower-cased with its first letter upper-cased. Words are runs of letters, digits
 * and marks, so "mary-jane" → "Mary-Jane"; apostrophes join a word, and after a one-letter prefix
 * ("o'brien", "l'oréal") the next letter is capitalised too, while "don't" stays "Don't". A word that starts
 * with a digit ("3rd") is left lower-case.
 */
export function titleCase(s: string): string {
  return s.toLowerCase().replace(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu, (word) => {
    const first = String.fromCodePoint(word.codePointAt(0)!);
    if (!/\p{L}/u.test(first)) return word;
    let rest = word.slice(first.length);
    if (/^['’]\p{L}/u.test(rest)) {
      const next = String.fromCodePoint(rest.codePointAt(1)!);
      rest = `${rest[0]}${next.toUpperCase()}${rest.slice(1 + next.length)}`;
    }
    return `${first.toUpperCase()}${rest}`;
  });
}

const EMAIL_MAX_LENGTH = 254;

/** `^[^\s@]+@[^\s@]+\.[^\s@]+$` without a backtracking regular expression (and at most 254 characters). */
export function isEmail(s: string): boolean {
  if (s.length > EMAIL_MAX_LENGTH || /\s/.test(s)) return false;
  const at = s.indexOf('@');
  if (at <= 0 || at !== s.lastIndexOf('@')) return false;
  const domain = s.slice(at + 1);
  return domain.length >= 3 && domain.slice(1, -1).includes('.');
}
const truncateArgs = z.strictObject({
  length: z.number().int().min(1),
  onOverflow: z.enum(['quarantine', 'truncate']).default('quarantine'),
});
const domainArgs = z.strictObject({ onInvalid: policy(['quarantine', 'null'], 'quarantine') });

/** A host name as CRMs accept it: labels of letters, digits and hyphens, a top-level domain of 2+ letters. */
const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/;

/** "https://www.Acme.com/about" → "acme.com"; undefined when what remains is not a domain. */
export function domainOf(text: string): string | undefined {
  let s = text.trim().toLowerCase();
  if (s.length > 2048) return undefined;
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/^[^@/]*@/, '');
  s = s.split(/[/?#]/, 1)[0]!.replace(/:\d+$/, '').replace(/\.$/, '');
  if (s.startsWith('www.')) s = s.slice(4);
  return s.length <= 253 && DOMAIN.test(s) ? s : undefined;
}

const phoneArgs = z.strictObject({
  defaultCountry: z
    .string()
    .refine((c) => isSupportedCountry(c), {
      message: 'is not a country code libphonenumber knows; use an ISO 3166 code such as US, GB or FR',
    })
    .optional(),
  onInvalid: policy(['quarantine', 'null'], 'quarantine'),
});

/** The reference of a text → text transform that quarantines nothing. */
const textToText = (examples: [string, string][]): TransformReference => ({
  input: 'text',
  output: 'text',
  elementwise: true,
  quarantines: [],
  examples: examples.map(([value, result]) => ({ value, result })),
});

export const TEXT_TRANSFORMS: Record<string, TransformDefinition> = {
  trim: none(
    'remove leading and trailing whitespace',
    textToText([[' Ada  Lovelace ', 'Ada  Lovelace']]),
    elementwise(onText((s) => s.trim())),
  ),
  lowercase: none(
    'lower-case text',
    textToText([['Ada@Example.COM', 'ada@example.com']]),
    elementwise(onText((s) => s.toLowerCase())),
  ),
  uppercase: none('upper-case text', textToText([['fr', 'FR']]), elementwise(onText((s) => s.toUpperCase()))),
  titlecase: none(
    'lower-case text, then upper-case the first letter of each word ("mary-jane o\'brien" → "Mary-Jane O\'Brien")',
    textToText([["mary-jane o'brien", "Mary-Jane O'Brien"]]),
    elementwise(onText(titleCase)),
  ),
  collapse_whitespace: none(
    'trim and turn runs of whitespace into one space',
    textToText([['  Ada \n\t Lovelace ', 'Ada Lovelace']]),
    elementwise(onText((s) => s.replace(/\s+/g, ' ').trim())),
  ),
  truncate: define(
    'limit text to N characters (code points): { truncate: { length: N, onOverflow: quarantine | truncate } }',
    {
      input: 'text',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'too_long',
          when: 'the text is longer than length and onOverflow is quarantine (the default)',
          example: { args: { length: 5 }, value: 'Lovelace' },
        },
      ],
      examples: [
        { args: { length: 5 }, value: 'Ada', result: 'Ada' },
        { args: { length: 5, onOverflow: 'truncate' }, value: 'Lovelace', result: 'Lovel' },
      ],
    },
    truncateArgs,
    ({ length, onOverflow }) =>
      elementwise(
        onText((s) => {
          if (s.length <= length || codePointLength(s) <= length) return s;
          if (onOverflow === 'truncate') return codePointSlice(s, length);
          throw new RecordRejection(
            'too_long',
            `${quoteValue(s)} is ${codePointLength(s)} characters, longer than ${length}; shorten it in the source or set truncate.onOverflow: truncate`,
          );
        }),
      ),
  ),
  email: none(
    'normalise (trim, lower-case) and validate an email address (at most 254 characters)',
    {
      input: 'text',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_email',
          when: 'the value is not one address (name@domain.tld)',
          example: { value: 'ada at example' },
        },
      ],
      examples: [{ value: ' Ada@Example.com ', result: 'ada@example.com' }],
    },
    elementwise((v) => {
      if (isBlank(v)) return null;
      const s = asText(v).trim().toLowerCase();
      if (!isEmail(s)) throw new RecordRejection('invalid_email', `${quoteValue(v)} is not an email address`);
      return s;
    }),
  ),
  domain: define(
    'a website, URL or host → its domain, lower-case, without www. ("https://www.Acme.com/about" → "acme.com"): { domain: { onInvalid: quarantine | null } }',
    {
      input: 'text',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_domain',
          when: 'what remains is not a host name, and onInvalid is quarantine (the default)',
          example: { value: 'not a site' },
        },
      ],
      examples: [
        { value: 'https://www.Acme.com/about', result: 'acme.com' },
        { args: { onInvalid: 'null' }, value: 'not a site', result: null },
      ],
    },
    domainArgs,
    ({ onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const domain = domainOf(asText(v));
        if (domain !== undefined) return domain;
        if (onInvalid === 'null') return null;
        throw new RecordRejection(
          'invalid_domain',
          `${quoteValue(v)} is not a website or domain; correct it in the source or set domain.onInvalid: null`,
        );
      }),
  ),
  phone: define(
    'a phone number → E.164 (+12125550123; extensions are dropped): { phone: { defaultCountry: US, onInvalid: quarantine | null } }',
    {
      input: 'text',
      output: 'text',
      outputForm: 'E.164 text',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_phone',
          when: "the number is not valid in its country's numbering plan, and onInvalid is quarantine (the default)",
          example: { args: { defaultCountry: 'US' }, value: '555-0100' },
        },
      ],
      examples: [{ args: { defaultCountry: 'US' }, value: '(212) 555-0123', result: '+12125550123' }],
    },
    phoneArgs,
    ({ defaultCountry, onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v).trim();
        // `extract: false`: the whole value must be the number (an extension may follow), so "call 212-555-0123
        // after 5" is refused rather than guessed. libphonenumber refuses inputs over 250 characters itself;
        // checked here so the intent is plain.
        const parsed =
          text.length > 250
            ? undefined
            : parsePhoneNumberFromString(text, {
                defaultCountry: defaultCountry,
                extract: false,
              });
        if (parsed?.isValid()) return parsed.number;
        if (onInvalid === 'null') return null;
        throw new RecordRejection(
          'invalid_phone',
          `${quoteValue(v)} is not a valid phone number${defaultCountry ? ` (numbers without +country code are read as ${defaultCountry})` : ' (no +country code, and phone.defaultCountry is not set)'}; correct it in the source or set phone.onInvalid: null`,
        );
      }),
  ),
};
