import { z } from 'zod';
import { asText, define, isBlank, none, RecordRejection, type TransformDefinition } from './core';

/** Presence and record transforms: blanks, defaults, and values built from other fields of the record. */

type TemplatePart = { text: string } | { field: string };

/** Parses `{field}` placeholders; `{{` and `}}` are literal braces. Throws an Error naming the problem. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (ch === '}' && template[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (ch === '{') {
      const close = template.indexOf('}', i + 1);
      const nextOpen = template.indexOf('{', i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close))
        throw new Error(`the "{" at position ${i + 1} is not closed; write {field}, or {{ for a literal brace`);
      const field = template.slice(i + 1, close).trim();
      if (field === '') throw new Error(`empty placeholder "{}" at position ${i + 1}; write {field_name}`);
      if (text) parts.push({ text });
      text = '';
      parts.push({ field });
      i = close + 1;
    } else if (ch === '}') {
      throw new Error(`a lone "}" at position ${i + 1}; write }} for a literal brace`);
    } else {
      text += ch;
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

export const recordText = (record: Record<string, unknown>, field: string): string => {
  const v = record[field];
  return isBlank(v) ? '' : asText(v).trim();
};
const fieldList = z.array(z.string().min(1)).min(1, 'list at least one source field');

const templateArgs = z.strictObject({
  template: z
    .string()
    .min(1)
    .superRefine((template, ctx) => {
      try {
        parseTemplate(template);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
});

const concatArgs = z.strictObject({ fields: fieldList, separator: z.string().default(' ') });
const coalesceArgs = z.strictObject({ fields: fieldList });

export const RECORD_TRANSFORMS: Record<string, TransformDefinition> = {
  null_if_empty: none(
    'turn blank text (or an empty list) into null',
    {
      input: 'any value',
      output: 'input',
      elementwise: false,
      quarantines: [],
      examples: [
        { value: '   ', result: null },
        { value: 'kept', result: 'kept' },
      ],
    },
    (v) => (isBlank(v) ? null : v),
  ),
  default: {
    description: 'use this value when the source value is blank: { default: value }',
    reference: {
      input: 'any value',
      output: 'input',
      elementwise: false,
      quarantines: [],
      examples: [
        { args: { value: 'unknown' }, value: '', result: 'unknown' },
        { args: { value: 'unknown' }, value: 'Paris', result: 'Paris' },
      ],
    },
    args: z.object({ value: z.unknown() }),
    build: (args) => (v) => (isBlank(v) ? args.value : v),
  },
  required: none(
    'quarantine the record when the value is blank',
    {
      input: 'any value',
      output: 'input',
      elementwise: false,
      quarantines: [
        { code: 'required_missing', when: 'the value is null, blank text or an empty list', example: { value: ' ' } },
      ],
      examples: [{ value: 'Ada', result: 'Ada' }],
    },
    (v) => {
      if (isBlank(v)) throw new RecordRejection('required_missing', 'a required value is empty');
      return v;
    },
  ),
  template: define(
    "text built from fields of the record: { template: { template: '{first_name} {last_name} <{email}>' } }; {value} is the current value; blank fields render empty; whitespace collapsed; blank → null",
    {
      input: 'fields of the record (and the current value as {value})',
      output: 'text',
      elementwise: false,
      quarantines: [],
      examples: [
        {
          args: { template: '{first} {last} <{email}>' },
          value: null,
          record: { first: 'Ada', last: 'Lovelace', email: 'ada@example.com' },
          result: 'Ada Lovelace <ada@example.com>',
        },
      ],
    },
    templateArgs,
    ({ template }) => {
      const parts = parseTemplate(template);
      return (v, ctx) => {
        const text = parts
          .map((p) => {
            if ('text' in p) return p.text;
            if (p.field === 'value') return isBlank(v) ? '' : asText(v);
            return recordText(ctx.record, p.field);
          })
          .join('')
          .replace(/\s+/g, ' ')
          .trim();
        return text === '' ? null : text;
      };
    },
  ),
  concat: define(
    "join the non-blank, trimmed values of record fields (the current value is ignored): { concat: { fields: [a, b], separator: ' ' } }; none → null",
    {
      input: 'fields of the record',
      output: 'text',
      elementwise: false,
      quarantines: [],
      examples: [
        {
          args: { fields: ['street', 'city'], separator: ', ' },
          value: null,
          record: { street: ' 12 Rue Cler ', city: 'Paris' },
          result: '12 Rue Cler, Paris',
        },
      ],
    },
    concatArgs,
    ({ fields, separator }) =>
      (_v, ctx) => {
        const values = fields.map((f) => recordText(ctx.record, f)).filter((s) => s !== '');
        return values.length === 0 ? null : values.join(separator);
      },
  ),
  coalesce: define(
    'the first non-blank of the current value, then these record fields (returned unchanged): { coalesce: { fields: [a, b] } }; none → null',
    {
      input: 'any value, then fields of the record',
      output: 'any',
      elementwise: false,
      quarantines: [],
      examples: [
        {
          args: { fields: ['mobile', 'home'] },
          value: '',
          record: { mobile: '', home: '555 0100' },
          result: '555 0100',
        },
      ],
    },
    coalesceArgs,
    ({ fields }) =>
      (v, ctx) => {
        if (!isBlank(v)) return v;
        for (const f of fields) if (!isBlank(ctx.record[f])) return ctx.record[f];
        return null;
      },
  ),
};
