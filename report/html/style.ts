/**
 * The page's stylesheet, inline: system fonts only (nothing fetched), readable on screen and printed on A4 (sections
 * and proofs kept whole on a page where they fit, the sign-off block never split, colours printed as shown).
 */
export const STYLE = `
:root {
  --ink: #1d2330; --muted: #5d6677; --line: #d8dde6; --paper: #ffffff; --wash: #f5f7fa;
  --ok: #1b7f4b; --bad: #b42318; --warn: #a15c07;
  --loaded: #2f855a; --quarantined: #dd6b20; --filtered: #a0aec0; --deduplicated: #3182ce;
}
* { box-sizing: border-box; }
html { background: var(--wash); }
body {
  margin: 0 auto; max-width: 980px; padding: 28px 36px 48px; background: var(--paper); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
h1 { font-size: 26px; margin: 2px 0 10px; }
h2 { font-size: 19px; margin: 30px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 18px 0 6px; }
h4 { font-size: 14px; margin: 0; display: inline; }
p { margin: 4px 0; }
code, .hash, .dec, .raw { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; }
.hash { font-size: 12px; word-break: break-all; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 13px; margin-bottom: 8px; }
.note.warn, .failure { color: var(--bad); }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 12px; color: var(--muted); margin: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 12px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
nav.toc { font-size: 13px; margin: 8px 0 0; }
nav.toc a { color: var(--ink); margin-right: 12px; }
.verdict { border-left: 5px solid var(--ok); background: #eef8f2; padding: 8px 14px; margin: 8px 0; }
.verdict.bad { border-color: var(--bad); background: #fdf0ef; }
.verdict-line { font-weight: 600; }
.verdict ul { margin: 4px 0 0 18px; padding: 0; }
li.failure { color: var(--bad); }
li.accept { color: var(--warn); }
.mark { font-size: 12px; font-weight: 600; padding: 1px 7px; border-radius: 9px; margin-left: 6px; white-space: nowrap; }
.mark.ok { color: var(--ok); background: #e3f4ea; }
.mark.bad { color: var(--bad); background: #fbe4e2; }
.mark.none { color: var(--muted); background: var(--wash); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px 3px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.r { text-align: right; }
table.fields td:first-child, table.fields td.r { white-space: nowrap; }
table.glance td { white-space: nowrap; }
table.glance a { color: var(--ink); }
.proof, .profile, .map, .qgroup { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.proof header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; margin-bottom: 4px; }
.proof header .meta { flex-basis: 100%; }
.meta { color: var(--muted); font-size: 12px; }
.eq { font-size: 15px; }
.sum { margin: 6px 0; padding: 4px 10px; background: var(--wash); border-radius: 4px; }
figure { margin: 6px 0; }
figure.bar > svg { width: 100%; height: 18px; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 3px; }
.key { margin-right: 14px; white-space: nowrap; }
.key svg { vertical-align: -1px; margin-right: 4px; }
.seg-loaded { fill: var(--loaded); } .seg-quarantined { fill: var(--quarantined); }
.seg-filtered { fill: var(--filtered); } .seg-deduplicated { fill: var(--deduplicated); } .seg-empty { fill: var(--line); }
figure.chart svg { width: 100%; max-width: 640px; height: auto; font: 11px system-ui, sans-serif; fill: var(--ink); }
figure.field-map svg { width: 100%; height: auto; display: block; }
.field-map text { font: 11px ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; fill: var(--ink); }
.field-map .fm-head { font: 600 11px system-ui, sans-serif; fill: var(--muted); }
.fm-from, .fm-to { fill: #edf2f7; stroke: #718096; }
.fm-to { fill: #e6f4ea; stroke: var(--ok); }
.fm-none { fill: #fff; stroke-dasharray: 3 2; }
.fm-link { stroke: #a0aec0; stroke-width: 1.2; }
.fm-arrowhead { fill: #a0aec0; }
.fm-step rect { fill: #fff7ed; stroke: var(--quarantined); }
.field-map .fm-asis { fill: var(--muted); font-style: italic; }
.chips { display: flex; flex-wrap: wrap; gap: 3px; }
.chip { border: 1px solid var(--line); border-radius: 9px; padding: 0 6px; font-size: 12px; white-space: nowrap; }
.raw { font-size: 11px; word-break: break-all; }
.hashline { font-size: 13px; }
.signers { display: grid; grid-template-columns: 1fr 1fr; gap: 28px; margin-top: 18px; }
.signer .role { font-weight: 600; }
.signer .line { border-bottom: 1px solid var(--ink); height: 34px; font-size: 11px; color: var(--muted);
  display: flex; align-items: flex-end; margin-top: 8px; }
.signer .line.tall { height: 56px; }
#sign-off { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html { background: none; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, h4 { break-after: avoid; }
  .proof, .map, .qgroup, .sum, tr, figure { break-inside: avoid; page-break-inside: avoid; }
  #sign-off { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
`;
