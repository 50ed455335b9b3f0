import { esc, grouped, type Html } from './markup';

/** The page's charts, as inline SVG (no script, no font, nothing fetched): they print as they show. */

export interface Segment {
  label: string;
  value: number;
  /** A class of the page's stylesheet that colours it (`seg-loaded`, …). */
  cls: string;
}

/** One bar split into its parts (where an object's source records went), with a legend under it. */
export function partitionBar(segments: Segment[], ariaLabel: string): Html {
  const total = segments.reduce((n, s) => n + s.value, 0);
  const width = 600;
  let x = 0;
  const rects = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      // At least a sliver for a part that exists, so 3 quarantined records of 50,000 are still seen.
      const w = Math.max(2, (s.value / total) * width);
      const rect = `<rect class="${esc(s.cls)}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="18"><title>${esc(`${s.label}: ${grouped(s.value)}`)}</title></rect>`;
      x += w;
      return rect;
    });
  const legend = segments
    .map(
      (s) =>
        `<span class="key"><svg width="10" height="10" aria-hidden="true"><rect class="${esc(s.cls)}" width="10" height="10"/></svg>${esc(s.label)} ${esc(grouped(s.value))}</span>`,
    )
    .join('');
  const scale = x > width ? width / x : 1;
  return [
    `<figure class="bar"><svg viewBox="0 0 ${width} 18" preserveAspectRatio="none" role="img" aria-label="${esc(ariaLabel)}">`,
    total === 0
      ? `<rect class="seg-empty" width="${width}" height="18"/>`
      : `<g transform="scale(${scale.toFixed(4)} 1)">${rects.join('')}</g>`,
    `</svg><figcaption>${legend}</figcaption></figure>`,
  ].join('');
}

/** Horizontal bars, one per row, longest first as given (quarantine by reason). */
export function barChart(rows: { label: string; value: number }[], ariaLabel: string): Html {
  if (rows.length === 0) return '';
  const max = Math.max(...rows.map((r) => r.value), 1);
  const rowHeight = 20;
  // Room for the longest label (11px sans-serif: about 6.2px a character), so none is cut at the left edge.
  const labelWidth = Math.max(120, Math.ceil(Math.max(...rows.map((r) => Array.from(r.label).length)) * 6.2) + 12);
  const barWidth = 300;
  const height = rows.length * rowHeight;
  const bars = rows
    .map((r, i) => {
      const y = i * rowHeight;
      const w = Math.max(r.value > 0 ? 2 : 0, (r.value / max) * barWidth);
      return [
        `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${esc(r.label)}</text>`,
        `<rect class="seg-quarantined" x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="14"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 14}">${esc(grouped(r.value))}</text>`,
      ].join('');
    })
    .join('');
  return `<figure class="chart"><svg viewBox="0 0 ${labelWidth + barWidth + 80} ${height}" role="img" aria-label="${esc(ariaLabel)}">${bars}</svg></figure>`;
}
