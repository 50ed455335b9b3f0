import escapeHtml from 'escape-html';
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import {
  asText,
  define,
  elementwise,
  isBlank,
  none,
  onText,
  quoteValue,
  RecordRejection,
  type TransformDefinition,
} from './core';
import { parseTemplate, recordText } from './records';

/** Text rewriting for message bodies: replacements with values from the record, and plain text → HTML. */

const GROUP = /^\$(\d{1,2})$/;

/** No message body is this long; a replacement that would make one (a long field inserted at every match) is refused. */
const MAX_REPLACED_LENGTH = 10_000_000;

const tooLong = (value: unknown): RecordRejection =>
  new RecordRejection(
    'replaced_too_long',
    `replacing inside ${quoteValue(value)} would make more than ${MAX_REPLACED_LENGTH.toLocaleString('en-US')} characters (a long field inserted at every match); narrow find/pattern or shorten the field`,
  );

/** The number of capture groups of a (valid) regular expression. */
const groupCount = (pattern: string): number => new RegExp(`${pattern}|`, 'u').exec('')!.length - 1;

const replaceArgs = z
  .strictObject({
    /** Literal text to find (every occurrence). */
    find: z.string().min(1).optional(),
    /** A JavaScript regular expression to find (every match), instead of find. */
    pattern: z.string().min(1).optional(),
    /** With pattern: match letters whatever their case. */
    ignoreCase: z.boolean().optional(),
    /** The replacement: literal text where {field} is the record's field, {$1} a capture group, {{ and }} braces. */
    with: z.string(),
  })
  .superRefine((args, ctx) => {
    if ((args.find === undefined) === (args.pattern === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'name exactly one of find (literal text) or pattern (a regular expression)',
      });
      return;
    }
    if (args.ignoreCase !== undefined && args.pattern === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['ignoreCase'],
        message: 'applies only with pattern; remove it, or write the text to find as a pattern',
      });
    let groups = 0;
    if (args.pattern !== undefined) {
      let re: RegExp;
      try {
        re = new RegExp(args.pattern, 'u');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: `is not a valid regular expression (${(err as Error).message}); correct it (JavaScript syntax, u flag)`,
        });
        return;
      }
      if (!safeRegex(args.pattern))
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message:
            'could backtrack catastrophically on some values (a repetition inside a repetition, such as (a+)+); rewrite it without nested quantifiers',
        });
      if (re.test(''))
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message:
            'matches empty text, so it would insert the replacement between every character; make it match at least one character',
        });
      groups = groupCount(args.pattern);
    }
    try {
      for (const part of parseTemplate(args.with)) {
        if (!('field' in part)) continue;
        const group = GROUP.exec(part.field);
        if (!group) continue;
        if (args.pattern === undefined)
          throw new Error(
            `{${part.field}} needs pattern (a capture group of a regular expression); use pattern instead of find`,
          );
        if (Number(group[1]) > groups)
          throw new Error(
            `{${part.field}} names capture group ${group[1]}, but the pattern has ${groups}; add the group ( ) or correct the number`,
          );
      }
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['with'], message: (err as Error).message });
    }
  });

/**
 * Plain text → HTML: every character escaped (source markup is shown, never passed through), line ends
 * (CRLF, CR, LF) read alike, lines separated by blank lines become paragraphs, single line ends `<br>`.
 * Blank lines at the edges are dropped; the text of every other line is kept as it is. Linear time.
 */
export function textToHtml(text: string): string {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.trim() === '') {
      if (current.length > 0) paragraphs.push(current);
      current = [];
    } else {
      current.push(escapeHtml(line));
    }
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs.map((lines) => `<p>${lines.join('<br>\n')}</p>`).join('\n');
}

export const REWRITE_TRANSFORMS: Record<string, TransformDefinition> = {
  replace: define(
    "replace text inside the value, with values from other fields: { replace: { find: '{product}', with: '{product_purchased}' } } or { replace: { pattern: 'order #(\\d+)', ignoreCase: true, with: 'order {$1}' } }; every occurrence; in with, {field} is the record's field (trimmed; blank → nothing), {$1} a capture group, {{ }} literal braces",
    {
      input: 'text, and fields of the record',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'replaced_too_long',
          when: 'the result would exceed 10,000,000 characters (a long field inserted at every match)',
          example: {
            args: { find: 'x', with: '{long}' },
            value: 'x'.repeat(1000),
            record: { long: 'y'.repeat(20_000) },
          },
        },
      ],
      examples: [
        {
          args: { find: '{product_purchased}', with: '{product_purchased}' },
          value: 'My {product_purchased} stopped working.',
          record: { product_purchased: 'GoPro Hero' },
          result: 'My GoPro Hero stopped working.',
        },
        {
          args: { pattern: 'order #(\\d+)', ignoreCase: true, with: 'order {$1}' },
          value: 'About Order #42',
          result: 'About order 42',
        },
      ],
    },
    replaceArgs,
    (args) => {
      const parts = parseTemplate(args.with);
      const render = (record: Record<string, unknown>, groups: readonly (string | undefined)[]): string =>
        parts
          .map((p) => {
            if ('text' in p) return p.text;
            const group = GROUP.exec(p.field);
            return group ? (groups[Number(group[1])] ?? '') : recordText(record, p.field);
          })
          .join('');
      if (args.find !== undefined) {
        const find = args.find;
        return elementwise((v, ctx) => {
          if (isBlank(v)) return null;
          const pieces = asText(v).split(find);
          const replacement = render(ctx.record, []);
          const length = pieces.reduce((n, p) => n + p.length, 0) + (pieces.length - 1) * replacement.length;
          if (length > MAX_REPLACED_LENGTH) throw tooLong(v);
          return pieces.join(replacement);
        });
      }
      const re = new RegExp(args.pattern!, args.ignoreCase ? 'gui' : 'gu');
      return elementwise((v, ctx) => {
        if (isBlank(v)) return null;
        const text = asText(v);
        let length = text.length;
        return text.replace(re, (...match: unknown[]) => {
          // The callback receives the match, then each group, then offset, text (and named groups).
          const groups = match.slice(
            0,
            match.findIndex((m) => typeof m === 'number'),
          ) as (string | undefined)[];
          const replacement = render(ctx.record, groups);
          length += replacement.length - groups[0]!.length;
          if (length > MAX_REPLACED_LENGTH) throw tooLong(v);
          return replacement;
        });
      });
    },
  ),
  text_to_html: none(
    'plain text → HTML for message bodies: markup escaped (& < > " \'), blank lines → paragraphs <p>, single line ends → <br>; blank → null',
    {
      input: 'text',
      output: 'text',
      outputForm: 'HTML text',
      elementwise: true,
      quarantines: [],
      examples: [
        {
          value: 'Hi <team>,\nline two\n\nNew paragraph & more',
          result: '<p>Hi &lt;team&gt;,<br>\nline two</p>\n<p>New paragraph &amp; more</p>',
        },
      ],
    },
    elementwise(onText((s) => (s.trim() === '' ? null : textToHtml(s)))),
  ),
};
