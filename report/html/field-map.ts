import type { VisualMapObject } from '../../plan/visual-map';
import { at, esc, none, type Html } from './markup';

/**
 * The visual field map of one object as an SVG diagram: legacy fields on the left, new fields on the right, and on
 * the line between them each transform as a pill, in the order they run (they wrap onto a second line when the
 * chain is long). Text is monospace, so its width is known without measuring it.
 */

const CHAR = 6.6; // width of one character at font-size 11, monospace
const PILL_PAD = 12;
const PILL_H = 18;
const PILL_GAP = 14; // room for the arrow between two pills
const LINE_GAP = 6;
const ROW_PAD = 8;
const CHAIN_W = 420;
const GUTTER = 36;
const MAX_CHARS = Math.floor((CHAIN_W - PILL_PAD) / CHAR);

const textWidth = (s: string) => Array.from(s).length * CHAR;
const clip = (s: string) =>
  Array.from(s).length > MAX_CHARS
    ? `${Array.from(s)
        .slice(0, MAX_CHARS - 1)
        .join('')}…`
    : s;

interface Pill {
  text: string;
  full: string;
  x: number;
  line: number;
  w: number;
}

/** Lays a chain of transforms out in lines of at most CHAIN_W. */
function layOut(transforms: string[]): { pills: Pill[]; lines: number } {
  const pills: Pill[] = [];
  let x = 0;
  let line = 0;
  for (const full of transforms) {
    const text = clip(full);
    const w = textWidth(text) + PILL_PAD;
    if (x > 0 && x + w > CHAIN_W) {
      line += 1;
      x = 0;
    }
    pills.push({ text, full, x, line, w });
    x += w + PILL_GAP;
  }
  return { pills, lines: line + 1 };
}

export function fieldMapSvg(object: VisualMapObject, path: string): Html {
  if (object.fields.length === 0) return none('no fields');
  const leftW = Math.max(90, ...object.fields.map((f) => textWidth(f.from ?? '(no source)') + 16));
  const rightW = Math.max(90, ...object.fields.map((f) => textWidth(f.to) + 16));
  const chainX = leftW + GUTTER;
  const rightX = chainX + CHAIN_W + GUTTER;
  const width = rightX + rightW + 2;
  // One arrowhead per diagram: ids are unique in the page.
  const arrow = `fm-arrow-${path.replace(/[^A-Za-z0-9]/g, '-')}`;
  let y = 24;
  const rows: string[] = [];
  object.fields.forEach((f, i) => {
    const { pills, lines } = layOut(f.transforms);
    const h = Math.max(PILL_H, lines * PILL_H + (lines - 1) * LINE_GAP) + ROW_PAD;
    const mid = y + h / 2;
    const boxY = mid - PILL_H / 2;
    const from = f.from ?? '(no source)';
    const parts = [
      '<g class="fm-row">',
      `<line class="fm-link" x1="${leftW}" y1="${mid}" x2="${rightX - 4}" y2="${mid}" marker-end="url(#${arrow})"/>`,
      `<rect class="fm-from${f.from === null ? ' fm-none' : ''}" x="0" y="${boxY}" width="${leftW}" height="${PILL_H}" rx="3"/>`,
      `<text class="fm-label" x="8" y="${boxY + 13}"${f.from === null ? '' : ` data-path="${esc(at(path, 'fields', i, 'from'))}"`}>${esc(from)}</text>`,
      `<rect class="fm-to" x="${rightX}" y="${boxY}" width="${rightW}" height="${PILL_H}" rx="3"/>`,
      `<text class="fm-label" x="${rightX + 8}" y="${boxY + 13}" data-path="${esc(at(path, 'fields', i, 'to'))}">${esc(f.to)}</text>`,
    ];
    const top = mid - (lines * PILL_H + (lines - 1) * LINE_GAP) / 2;
    if (pills.length === 0)
      parts.push(`<text class="fm-asis" x="${chainX + CHAIN_W / 2}" y="${mid - 4}" text-anchor="middle">as is</text>`);
    pills.forEach((p, n) => {
      const py = top + p.line * (PILL_H + LINE_GAP);
      // A clipped step shows less than the pack holds: its whole text is in the title, and it carries no path.
      const tag = p.text === p.full ? ` data-path="${esc(at(path, 'fields', i, 'transforms', n))}"` : '';
      parts.push(
        `<g class="fm-step"><title>${esc(p.full)}</title><rect x="${(chainX + p.x).toFixed(1)}" y="${py}" width="${p.w.toFixed(1)}" height="${PILL_H}" rx="9"/>`,
        `<text x="${(chainX + p.x + PILL_PAD / 2).toFixed(1)}" y="${py + 13}"${tag}>${esc(p.text)}</text></g>`,
      );
    });
    parts.push('</g>');
    rows.push(parts.join(''));
    y += h;
  });
  const height = y + 4;
  const heads = [
    `<text class="fm-head" x="0" y="14">legacy field</text>`,
    `<text class="fm-head" x="${chainX}" y="14">transforms, in order</text>`,
    `<text class="fm-head" x="${rightX}" y="14">new field</text>`,
  ].join('');
  return [
    `<figure class="field-map"><svg viewBox="0 0 ${width.toFixed(0)} ${height.toFixed(0)}" role="img" aria-label="${esc(`field map of ${object.object}`)}">`,
    `<defs><marker id="${arrow}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="fm-arrowhead"/></marker></defs>`,
    heads,
    rows.join(''),
    '</svg></figure>',
  ].join('');
}
