import { z } from 'zod';
import { asText, define, isBlank, type TransformDefinition } from './core';

/** List transforms: text split into a list of values. */

/**
 * Splits text on any of `separators`. A part that begins (after whitespace) with `quote` runs to the
 * closing quote and may contain separators; a doubled quote inside is one quote character. An unclosed
 * quote is read as a plain character. Parts are returned untrimmed, empty ones included. Linear time.
 */
export function splitList(text: string, separators: readonly string[], quote: string | false): string[] {
  const parts: string[] = [];
  let piece = '';
  let start = 0;
  let blankSoFar = true;
  let quotesUsable = quote !== false;
  let i = 0;
  while (i < text.length) {
    const sep = separators.find((s) => text.startsWith(s, i));
    if (sep !== undefined) {
      parts.push(piece + text.slice(start, i));
      piece = '';
      i += sep.length;
      start = i;
      blankSoFar = true;
      continue;
    }
    const ch = text[i]!;
    if (quotesUsable && blankSoFar && ch === quote) {
      const quoted = readQuoted(text, i, quote);
      if (quoted) {
        piece += quoted.value;
        i = quoted.end;
        start = i;
        blankSoFar = false;
        continue;
      }
      // No closing quote anywhere after this one: every later quote is plain text too.
      quotesUsable = false;
    }
    if (blankSoFar && !/\s/.test(ch)) blankSoFar = false;
    i++;
  }
  parts.push(piece + text.slice(start));
  return parts;
}

function readQuoted(text: string, open: number, quote: string): { value: string; end: number } | undefined {
  let value = '';
  let from = open + 1;
  for (;;) {
    const close = text.indexOf(quote, from);
    if (close < 0) return undefined;
    value += text.slice(from, close);
    if (text[close + 1] === quote) {
      value += quote;
      from = close + 2;
      continue;
    }
    return { value, end: close + 1 };
  }
}
const splitArgs = z
  .strictObject({
    separators: z.array(z.string().min(1)).min(1).default([',', ';']),
    quote: z.union([z.string().length(1), z.literal(false)]).default('"'),
    unique: z.boolean().default(true),
    lowercase: z.boolean().default(false),
  })
  .superRefine((args, ctx) => {
    if (args.quote !== false && args.separators.some((s) => s.includes(args.quote as string)))
      ctx.addIssue({ code: 'custom', path: ['quote'], message: 'the quote character cannot be part of a separator' });
  });

export const LIST_TRANSFORMS: Record<string, TransformDefinition> = {
  split: define(
    'split text into a list of trimmed, non-empty parts: { split: { separators: [",", ";"], quote: \'"\', unique: true, lowercase: false } }; blank → null',
    {
      input: 'text (or a list of texts)',
      output: 'array',
      elementwise: false,
      quarantines: [],
      examples: [
        { value: 'red; Blue, "a, b",red', result: ['red', 'Blue', 'a, b'] },
        { args: { separators: ['|'], lowercase: true }, value: 'VIP| Gold', result: ['vip', 'gold'] },
      ],
    },
    splitArgs,
    ({ separators, quote, unique, lowercase }) =>
      (v) => {
        if (isBlank(v)) return null;
        const out: string[] = [];
        const seen = new Set<string>();
        for (const item of Array.isArray(v) ? v : [v]) {
          if (isBlank(item)) continue;
          for (const raw of splitList(asText(item), separators, quote)) {
            const part = lowercase ? raw.trim().toLowerCase() : raw.trim();
            if (part === '' || (unique && seen.has(part))) continue;
            seen.add(part);
            out.push(part);
          }
        }
        return out.length === 0 ? null : out;
      },
  ),
};
