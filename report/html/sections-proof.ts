import type { ObjectProof, PhaseSection, ProofPack } from '../model';
import { partitionBar } from './charts';
import { at, esc, mark, none, num, section, table, txt, when, type Html } from './markup';

/** The page's head (what migration, which plan, the verdict) and the phases with their proofs. */

export function headerBlock(pack: ProofPack): Html {
  const m = pack.migration;
  return [
    '<header class="top">',
    `<p class="kicker">Tern proof pack</p>`,
    `<h1>${txt(m.name, 'migration.name')}</h1>`,
    '<dl class="facts">',
    `<dt>migration</dt><dd>${txt(m.id, 'migration.id')}</dd>`,
    `<dt>from → to</dt><dd>${txt(m.source, 'migration.source')} → ${txt(m.target, 'migration.target')}</dd>`,
    `<dt>plan hash</dt><dd>${txt(m.planHash, 'migration.planHash', 'hash')}</dd>`,
    `<dt>gold schema</dt><dd>${m.goldSchemaHash === null ? '<span class="muted">not frozen</span>' : txt(m.goldSchemaHash, 'migration.goldSchemaHash', 'hash')}</dd>`,
    `<dt>built</dt><dd>${when(pack.generatedAt, 'generatedAt')}</dd>`,
    `<dt>content hash</dt><dd>${txt(pack.contentHash, 'contentHash', 'hash')}</dd>`,
    '</dl>',
    verdictBlock(pack),
    '</header>',
  ].join('');
}

/** What fails and what to accept, as the head of the page and the sign-off block show it. */
export function verdictBlock(pack: ProofPack): Html {
  const v = pack.verdict;
  const items = (cls: string, lines: string[], paths: string) =>
    lines.map((line, i) => `<li class="${cls}">${txt(line, at(paths, i))}</li>`).join('');
  return [
    `<div class="verdict ${v.ok ? 'ok' : 'bad'}">`,
    `<p class="verdict-line">${v.ok ? '✓ Every proof holds and the custody chain verifies.' : '✗ Not every proof holds: see below before signing.'}</p>`,
    v.failures.length + v.toAccept.length > 0
      ? `<ul>${items('failure', v.failures, 'verdict.failures')}${items('accept', v.toAccept, 'verdict.toAccept')}</ul>`
      : '',
    '</div>',
  ].join('');
}

export function phasesSection(pack: ProofPack): Html {
  const body =
    pack.phases.length === 0
      ? none('No loading phase has run yet.')
      : glanceTable(pack) + pack.phases.map((p, i) => phaseBlock(p, at('phases', i))).join('');
  return section(
    'phases',
    'Phases and their reconciliations',
    body,
    'Each object’s latest proof of each phase: the count equation, every written record read back against its checksum, the money line term by term, and the fidelity check against the source at full precision.',
  );
}

/** Every phase's every object on one line each: the figures a signer looks at first; the details follow. */
function glanceTable(pack: ProofPack): Html {
  const rows = pack.phases.flatMap((phase, i) =>
    phase.objects.map((o, j) => {
      const p = at('phases', i, 'objects', j);
      const sums = Object.values(o.sums);
      return [
        `<a href="#phase-${esc(phase.phase)}">${esc(phase.phase)}</a>`,
        esc(o.object),
        num(o.source, at(p, 'source')),
        num(o.loaded, at(p, 'loaded')),
        num(o.quarantined, at(p, 'quarantined')),
        num(o.filtered, at(p, 'filtered')),
        num(o.deduplicated, at(p, 'deduplicated')),
        num(o.checksumMismatches, at(p, 'checksumMismatches')),
        sums.length === 0 ? '<span class="muted">—</span>' : mark(sums.every((x) => x.ok)),
        o.fidelity ? num(o.fidelity.mismatches, at(p, 'fidelity', 'mismatches')) : '<span class="muted">—</span>',
        mark(o.ok),
      ];
    }),
  );
  return table(
    [
      'phase',
      'object',
      'source',
      'loaded',
      'quarantined',
      'filtered',
      'deduplicated',
      'mismatches',
      'sums',
      'fidelity',
      'proof',
    ],
    rows,
    { cls: 'glance', numeric: [2, 3, 4, 5, 6, 7, 9] },
  );
}

function phaseBlock(phase: PhaseSection, path: string): Html {
  const runs = table(
    ['run', 'status', 'started', 'finished', 'seconds'],
    phase.runs.map((r, i) => [
      esc(String(i + 1)),
      txt(r.status, at(path, 'runs', i, 'status')),
      when(r.startedAt),
      when(r.finishedAt),
      r.seconds === null ? '<span class="muted">—</span>' : num(r.seconds, at(path, 'runs', i, 'seconds')),
    ]),
    { cls: 'runs', numeric: [4] },
  );
  return [
    `<div class="phase" id="phase-${esc(phase.phase)}">`,
    `<h3>${esc(phase.phase)} ${mark(phase.ok)}</h3>`,
    runs,
    phase.objects.length === 0
      ? none('No proof stored for this phase.')
      : phase.objects.map((o, i) => objectProofBlock(o, at(path, 'objects', i))).join(''),
    '</div>',
  ].join('');
}

function objectProofBlock(o: ObjectProof, path: string): Html {
  const rb = o.readBack;
  const meta = [
    `proven ${when(o.provenAt)}`,
    `${num(o.proofs, at(path, 'proofs'))} proof(s) of this phase stored`,
    rb
      ? `read back: ${txt(rb.scope, at(path, 'readBack', 'scope'))}, ${num(rb.records, at(path, 'readBack', 'records'))} record(s)`
      : '',
  ].filter(Boolean);
  return [
    `<article class="proof" data-object="${esc(o.object)}">`,
    `<header><h4>${txt(o.object, at(path, 'object'))}</h4>${mark(o.ok)}<p class="meta">${meta.join(' · ')}</p></header>`,
    `<p class="eq">source ${num(o.source, at(path, 'source'))} = loaded ${num(o.loaded, at(path, 'loaded'))} + quarantined ${num(o.quarantined, at(path, 'quarantined'))} + filtered ${num(o.filtered, at(path, 'filtered'))} + deduplicated ${num(o.deduplicated, at(path, 'deduplicated'))} ${mark(o.countsHold)}</p>`,
    partitionBar(
      [
        { label: 'loaded', value: o.loaded, cls: 'seg-loaded' },
        { label: 'quarantined', value: o.quarantined, cls: 'seg-quarantined' },
        { label: 'filtered', value: o.filtered, cls: 'seg-filtered' },
        { label: 'deduplicated', value: o.deduplicated, cls: 'seg-deduplicated' },
      ],
      `where the ${o.source} source records of ${o.object} went`,
    ),
    `<p>checksums: ${num(o.checksumMismatches, at(path, 'checksumMismatches'))} written record(s) read back different ${mark(o.checksumMismatches === 0)}</p>`,
    sumsBlock(o, path),
    fidelityBlock(o, path),
    perSourceBlock(o, path),
    o.auditHead
      ? `<p class="meta">audit entry #${num(o.auditHead.seq, at(path, 'auditHead', 'seq'))} (id ${num(o.auditHead.id, at(path, 'auditHead', 'id'))}) ${txt(o.auditHead.hash, at(path, 'auditHead', 'hash'), 'hash')}</p>`
      : '',
    '</article>',
  ].join('');
}

function sumsBlock(o: ObjectProof, path: string): Html {
  const fields = Object.keys(o.sums);
  if (fields.length === 0) return '';
  return fields
    .map((field) => {
      const s = o.sums[field]!;
      const p = at(path, 'sums', field);
      const terms = (['loaded', 'quarantined', 'filtered', 'deduplicated', 'unaccounted'] as const).map(
        (name) => `${txt(s[name], at(p, name), 'dec')} <span class="muted">${name}</span>`,
      );
      const notNumbers = s.notNumbers.map(
        (x, i) =>
          `${num(x.count, at(p, 'notNumbers', i, 'count'))} ${esc(x.reason.replace(/_/g, ' '))} (${esc(x.disposition)})`,
      );
      return [
        `<div class="sum"><p>Sum(${esc(field)}): legacy ${txt(s.legacy, at(p, 'legacy'), 'dec')} = ${terms.join(' + ')}</p>`,
        `<p>Sum(loaded) ${txt(s.loaded, at(p, 'loaded'), 'dec')} == Sum(new) ${txt(s.new, at(p, 'new'), 'dec')} <span class="muted">read back from the target</span> ${mark(s.ok)}</p>`,
        `<p class="muted">deleted at the source since staged (outside the legacy sum): ${txt(s.deleted, at(p, 'deleted'), 'dec')}</p>`,
        notNumbers.length > 0 ? `<p class="muted">values that are not numbers: ${notNumbers.join(', ')}</p>` : '',
        '</div>',
      ].join('');
    })
    .join('');
}

/** The column headers of the per-source table and the count each shows. */
const PER_SOURCE_COLUMNS = [
  ['read', 'read'],
  ['survivors', 'survivors'],
  ['merged into', 'mergedInto'],
  ['quarantined', 'quarantined'],
  ['filtered', 'filtered'],
  ['deleted', 'deleted'],
  ['unaccounted', 'unaccounted'],
] as const;

/**
 * A merged object's proof per source: each source's count equation as a table row, the merged groups, and per sums
 * field the records that were not merged adding up source by source to the target, then the merged groups' figures
 * source by source beside the survivorship rules' outcome. Nothing for a one-source object.
 */
function perSourceBlock(o: ObjectProof, path: string): Html {
  const m = o.merge;
  if (!m) return '';
  const p = at(path, 'merge');
  const rows = m.sources.map((s, i) => {
    const sp = at(p, 'sources', i);
    return [
      txt(s.source, at(sp, 'source')),
      ...PER_SOURCE_COLUMNS.map(([, key]) => num(s[key], at(sp, key))),
      mark(s.unaccounted === 0),
    ];
  });
  const g = m.groups;
  const gp = at(p, 'groups');
  const groups = [
    `${num(g.merged, at(gp, 'merged'))} merged group(s) of ${num(g.mergedRecords, at(gp, 'mergedRecords'))} records`,
    `${num(g.review, at(gp, 'review'))} group(s) of ${num(g.reviewRecords, at(gp, 'reviewRecords'))} records awaiting a merge review decision`,
    `${num(g.rejected, at(gp, 'rejected'))} record(s) in refused merges`,
    `${num(g.single, at(gp, 'single'))} record(s) merged with no other`,
  ];
  const sums = Object.entries(m.sums).map(([field, line]) => {
    const sp = at(p, 'sums', field);
    const single = Object.keys(line.single.bySource).map(
      (source) => `${esc(source)} ${txt(line.single.bySource[source]!, at(sp, 'single', 'bySource', source), 'dec')}`,
    );
    const merged = Object.keys(line.merged.bySource).map(
      (source) => `${esc(source)} ${txt(line.merged.bySource[source]!, at(sp, 'merged', 'bySource', source), 'dec')}`,
    );
    return [
      `<div class="sum"><p>Sum(${esc(field)}), records not merged: ${single.length > 0 ? single.join(' + ') : '0'} = ${txt(line.single.total, at(sp, 'single', 'total'), 'dec')} ${line.single.ok ? '==' : '!='} Sum(new) ${txt(line.single.merged, at(sp, 'single', 'merged'), 'dec')} <span class="muted">in the target</span> ${mark(line.single.ok)}</p>`,
      line.merged.groups > 0
        ? `<p>Sum(${esc(field)}), ${num(line.merged.groups, at(sp, 'merged', 'groups'))} merged group(s): ${merged.join(', ')} → ${txt(line.merged.outcome, at(sp, 'merged', 'outcome'), 'dec')} <span class="muted">by the survivorship rules</span></p>`
        : '',
      '</div>',
    ].join('');
  });
  return [
    `<div class="per-source"><h5>Per source ${mark(m.ok)}</h5>`,
    '<p class="note">Every record each source gave: the survivor of its group (loaded), merged into another source’s record, quarantined (itself, or its group under review or refused), filtered, or deleted at the source since.</p>',
    table(['source', ...PER_SOURCE_COLUMNS.map(([h]) => h), 'read = the rest'], rows, {
      cls: 'per-source',
      numeric: [1, 2, 3, 4, 5, 6, 7],
    }),
    `<p>groups: ${groups.join(', ')}</p>`,
    sums.join(''),
    '</div>',
  ].join('');
}

function fidelityBlock(o: ObjectProof, path: string): Html {
  const f = o.fidelity;
  if (!f) return '<p class="muted">fidelity: not checked by this proof (taken before the check existed)</p>';
  const p = at(path, 'fidelity');
  const byField = Object.entries(f.byField).map(([field, n]) => `${esc(field)} ${num(n, at(p, 'byField', field))}`);
  return [
    `<p>fidelity: ${num(f.records, at(p, 'records'))} loaded record(s) compared with the source at full precision over ${f.fields.length} field(s); ${num(f.mismatches, at(p, 'mismatches'))} differ ${mark(f.mismatches === 0)}</p>`,
    byField.length > 0 ? `<p class="muted">by field: ${byField.join(', ')}</p>` : '',
  ].join('');
}
