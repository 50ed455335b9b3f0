import escapeHtml from 'escape-html';

/**
 * The few pieces the proof pack's page is written with. Every value goes through `esc` (text and attributes alike).
 * A value shown from the pack carries `data-path`, its place in the pack's JSON (`phases.0.objects.1.loaded`), so a
 * reader can hold the page to the JSON it was rendered from.
 */

/** Escapes text and attribute values (`&`, `<`, `>`, `"`, `'`). */
export const esc = (value: unknown): string => escapeHtml(String(value));

/** Raw markup, already escaped: what the helpers below take and return. */
export type Html = string;

/** A JSON path into the pack: the keys from the root, joined by dots. */
export const at = (path: string, ...keys: (string | number)[]): string => [path, ...keys].join('.');

/** A whole number as people read it: 12,345. */
export const grouped = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 20 });

/** A number of the pack, grouped, tagged with its path. */
export function num(value: number, path: string, cls = 'n'): Html {
  return `<span class="${cls}" data-path="${esc(path)}">${esc(grouped(value))}</span>`;
}

/** A text of the pack (a decimal sum, a hash, a name), as it is, tagged with its path. */
export function txt(value: string, path: string, cls = 't'): Html {
  return `<span class="${cls}" data-path="${esc(path)}">${esc(value)}</span>`;
}

/** A verdict mark: holds / fails (or a neutral one when there is nothing to judge). */
export function mark(ok: boolean | null, words: { yes?: string; no?: string; none?: string } = {}): Html {
  if (ok === null) return `<span class="mark none">${esc(words.none ?? 'not proven')}</span>`;
  return ok
    ? `<span class="mark ok">✓ ${esc(words.yes ?? 'holds')}</span>`
    : `<span class="mark bad">✗ ${esc(words.no ?? 'fails')}</span>`;
}

/** A table: header cells (escaped here) and rows of cell markup (escaped by the caller). */
export function table(headers: string[], rows: Html[][], options: { cls?: string; numeric?: number[] } = {}): Html {
  const right = new Set(options.numeric ?? []);
  const cell = (tag: 'th' | 'td', content: Html, i: number) =>
    `<${tag}${right.has(i) ? ' class="r"' : ''}>${content}</${tag}>`;
  return [
    `<table${options.cls ? ` class="${esc(options.cls)}"` : ''}>`,
    `<thead><tr>${headers.map((h, i) => cell('th', esc(h), i)).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
}

/** An instant as people read it in a report: 2026-11-25 14:03:07 UTC (the pack keeps the ISO text). */
export function when(iso: string | null, path?: string): Html {
  if (iso === null) return '<span class="muted">—</span>';
  const shown = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return `<time datetime="${esc(iso)}"${path ? ` data-instant="${esc(path)}"` : ''}>${esc(shown)}</time>`;
}

/** A section of the page with its anchor and heading. */
export function section(id: string, title: string, body: Html, note?: string): Html {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${note ? `<p class="note">${esc(note)}</p>` : ''}${body}</section>`;
}

/** "none" in the page's muted style, for empty lists. */
export const none = (what: string): Html => `<p class="muted">${esc(what)}</p>`;
