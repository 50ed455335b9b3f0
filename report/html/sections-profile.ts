import type { FieldProfileLine, ObjectProfileSection, ProofPack } from '../model';
import type { VisualMapObject } from '../../plan/visual-map';
import { fieldMapSvg } from './field-map';
import { reasonMeaning } from '../reasons';
import { at, esc, grouped, mark, none, num, section, table, txt, type Html } from './markup';

/** The preferences profile (what the source holds, field by field) and the visual field map. */

export function preferencesSection(pack: ProofPack): Html {
  const p = pack.preferences;
  if (!p) return section('preferences', 'Preferences profile', none('The preferences phase has not run.'));
  const v = p.verdict;
  const quarantined = Object.entries(v.quarantined).map(
    ([reason, n]) =>
      `${esc(reason)}${reasonMeaning(reason) === undefined ? '' : ` <span class="muted">(${esc(reasonMeaning(reason))})</span>`} ${num(n, at('preferences.verdict.quarantined', reason))}`,
  );
  const head = [
    `<p>run ${txt(p.status, 'preferences.status')}${p.seconds === null ? '' : ` in ${num(p.seconds, 'preferences.seconds')} s`}; dry run over ${num(v.records, 'preferences.verdict.records')} record(s): ${num(v.loaded, 'preferences.verdict.loaded')} predicted loaded${quarantined.length > 0 ? `, predicted quarantined: ${quarantined.join(', ')}` : ''} ${mark(v.clean, { yes: 'clean', no: 'not clean' })}</p>`,
    `<p>plan against the target: ${num(v.errors, 'preferences.verdict.errors')} error(s), ${num(v.warnings, 'preferences.verdict.warnings')} warning(s)</p>`,
    p.issues.length > 0
      ? table(
          ['severity', 'where', 'problem', 'fix'],
          p.issues.map((i, n) => [
            txt(i.severity, at('preferences.issues', n, 'severity')),
            txt(i.path, at('preferences.issues', n, 'path')),
            txt(i.message, at('preferences.issues', n, 'message')),
            txt(i.fix, at('preferences.issues', n, 'fix')),
          ]),
        )
      : '',
  ].join('');
  return section(
    'preferences',
    'Preferences profile',
    head + p.objects.map((o, i) => objectProfileBlock(o, at('preferences.objects', i))).join(''),
    'What the legacy data holds, measured before anything was written: blanks, duplicates, orphans, date formats and picklist values per field, and what the dry run predicted.',
  );
}

function objectProfileBlock(o: ObjectProfileSection, path: string): Html {
  const facts = [
    `${num(o.rows, at(path, 'rows'))} rows`,
    `${num(o.unreadable, at(path, 'unreadable'))} unreadable`,
    `${num(o.duplicateSourceIds, at(path, 'duplicateSourceIds'))} duplicate source ids`,
  ];
  const dup = o.duplicates
    ? `<p>duplicates by [${esc(o.duplicates.key.join(', '))}]: ${num(o.duplicates.groups, at(path, 'duplicates', 'groups'))} group(s), ${num(o.duplicates.records, at(path, 'duplicates', 'records'))} record(s), ${num(o.duplicates.excess, at(path, 'duplicates', 'excess'))} extra</p>`
    : '<p class="muted">no dedupe rule</p>';
  const orphans = o.orphans.map(
    (x, i) =>
      `<p>orphans: ${num(x.count, at(path, 'orphans', i, 'count'))} ${esc(x.field)} value(s) name no ${esc(x.object)} record${
        x.examples.length > 0
          ? ` <span class="muted">(e.g. ${x.examples
              .slice(0, 5)
              .map((e, j) => txt(e, at(path, 'orphans', i, 'examples', j)))
              .join(', ')})</span>`
          : ''
      }</p>`,
  );
  const d = o.dryRun;
  const dry = d
    ? `<p>dry run: source ${num(d.source, at(path, 'dryRun', 'source'))} = loaded ${num(d.loaded, at(path, 'dryRun', 'loaded'))} + quarantined ${grouped(sum(d.quarantined))} + filtered ${grouped(sum(d.filtered))} + deduplicated ${num(d.deduplicated, at(path, 'dryRun', 'deduplicated'))}${d.blocked ? ` — <strong>the load would stop:</strong> ${txt(d.blocked, at(path, 'dryRun', 'blocked'))}` : ''}</p>`
    : '';
  const preflight = o.preflight.map(
    (f, i) =>
      `<p>pre-flight ${esc(f.code)} ${esc(f.field)}: ${num(f.records, at(path, 'preflight', i, 'records'))} record(s) — fix: ${esc(f.fix)}${
        f.examples.length > 0
          ? ` <span class="muted">(records ${f.examples
              .slice(0, 5)
              .map((e, j) =>
                e.value === undefined
                  ? txt(e.record, at(path, 'preflight', i, 'examples', j, 'record'))
                  : `${txt(e.record, at(path, 'preflight', i, 'examples', j, 'record'))} “${esc(e.value ?? 'null')}”`,
              )
              .join(', ')})</span>`
          : ''
      }</p>`,
  );
  return [
    `<article class="profile"><h3>${esc(o.object)}</h3>`,
    `<p>${facts.join(' · ')}</p>`,
    dup,
    orphans.join(''),
    dry,
    preflight.join(''),
    fieldsTable(o.fields, at(path, 'fields')),
    '</article>',
  ].join('');
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function fieldsTable(fields: FieldProfileLine[], path: string): Html {
  return table(
    ['field', 'blank', 'distinct', 'type', 'not that type', 'date formats', 'picklist values'],
    fields.map((f, i) => {
      const p = at(path, i);
      return [
        `<code>${esc(f.field)}</code>`,
        `${num(f.blank, at(p, 'blank'))} <span class="muted">(${esc(f.blankPercent)}%)</span>`,
        num(f.distinct, at(p, 'distinct')),
        esc(f.dominantType ?? '—'),
        num(f.typeAnomalies, at(p, 'typeAnomalies')),
        f.dates ? dateClasses(f, p) : '<span class="muted">—</span>',
        f.picklist
          ? picklist(f.picklist, at(p, 'picklist'))
          : f.picklistCandidate
            ? '<span class="muted">few values; not mapped by value, so not listed</span>'
            : '<span class="muted">—</span>',
      ];
    }),
    { cls: 'fields', numeric: [1, 2, 4] },
  );
}

function dateClasses(f: FieldProfileLine, path: string): Html {
  const d = f.dates!;
  const classes = (
    [
      ['ISO', 'iso'],
      ['MM/DD', 'monthFirst'],
      ['DD/MM', 'dayFirst'],
      ['ambiguous', 'ambiguous'],
      ['same day/month', 'sameDayMonth'],
      ['invalid', 'invalid'],
    ] as const
  )
    .filter(([, key]) => d[key] > 0)
    .map(([label, key]) => `${esc(label)} ${num(d[key], at(path, 'dates', key))}`);
  return `<strong>${esc(d.verdict)}</strong>${classes.length > 0 ? `: ${classes.join(', ')}` : ''}`;
}

function picklist(values: { value: string; count: number }[], path: string): Html {
  return `<span class="chips">${values
    .map(
      (v, i) =>
        `<span class="chip">${txt(v.value, at(path, i, 'value'))}<span class="muted"> ${num(v.count, at(path, i, 'count'), 'n c')}</span></span>`,
    )
    .join('')}</span>`;
}

export function fieldMapSection(pack: ProofPack): Html {
  const body = pack.fieldMap.map((o, i) => mapBlock(o, at('fieldMap', i))).join('');
  return section(
    'field-map',
    'Field map',
    body || none('The plan has no objects.'),
    'Each legacy field, the transforms it goes through in order, and the new field it lands in, per object (the plan Tern ran with).',
  );
}

function mapBlock(o: VisualMapObject, path: string): Html {
  const filters = o.filters.map((f) => `${f.name ? `<strong>${esc(f.name)}</strong>: ` : ''}${esc(f.rule)}`);
  return [
    `<article class="map"><h3>${esc(o.object)}</h3>`,
    `<p>${esc(o.source)} → ${esc(o.target)} <span class="muted">(key ${esc(o.key)})</span></p>`,
    `<p>filters: ${filters.length > 0 ? filters.join('; ') : '<span class="muted">none</span>'} · dedupe: ${o.dedupe ? esc(o.dedupe) : '<span class="muted">none</span>'}</p>`,
    fieldMapSvg(o, path),
    '</article>',
  ].join('');
}
