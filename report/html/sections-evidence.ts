import type { ProofPack, QuarantineGroup } from '../model';
import { barChart } from './charts';
import { verdictBlock } from './sections-proof';
import { reasonMeaning } from '../reasons';
import { at, esc, mark, none, num, section, table, txt, when, type Html } from './markup';

/** Quarantine, conflicts, the custody chain, approvals, the rollback rehearsal, and the sign-off block. */

export function quarantineSection(pack: ProofPack): Html {
  const q = pack.quarantine;
  const head = `<p>${num(q.open, 'quarantine.open')} record(s) quarantined and not moved; ${num(q.resolved, 'quarantine.resolved')} resolved since (a plan fix let them through).</p>`;
  if (q.groups.length === 0) return section('quarantine', 'Quarantine by reason', head);
  const chart = barChart(
    q.groups
      .filter((g) => g.open > 0)
      .map((g) => ({ label: `${g.object} · ${reasonMeaning(g.reason) ?? g.reason}`, value: g.open })),
    'open quarantined records by object and reason',
  );
  const privacy = pack.includeValues
    ? '<p class="note warn">This pack includes record content (--include-values): handle it as the source data.</p>'
    : '<p class="note">Examples name the source id and field only; record content is left out (the operator can include it with --include-values).</p>';
  return section(
    'quarantine',
    'Quarantine by reason',
    head +
      chart +
      privacy +
      q.groups.map((g, i) => groupBlock(g, at('quarantine.groups', i), pack.includeValues)).join(''),
  );
}

/** A reason as a signer reads it: its meaning when the code alone does not say it, the code beside it. */
function reasonText(reason: string, path: string): Html {
  const meaning = reasonMeaning(reason);
  return meaning === undefined
    ? txt(reason, path)
    : `${esc(meaning)} <span class="muted">(${txt(reason, path)})</span>`;
}

function groupBlock(g: QuarantineGroup, path: string, includeValues: boolean): Html {
  const headers = ['source id', 'field', 'where in the source', ...(includeValues ? ['message', 'record'] : [])];
  const rows = g.examples.map((e, i) => {
    const p = at(path, 'examples', i);
    return [
      txt(e.sourceId, at(p, 'sourceId')),
      e.field === null ? '<span class="muted">—</span>' : txt(e.field, at(p, 'field')),
      e.position === null ? '<span class="muted">—</span>' : txt(e.position, at(p, 'position')),
      ...(includeValues
        ? [
            txt(e.message ?? '', at(p, 'message')),
            `<code class="raw">${esc(e.raw === undefined || e.raw === null ? '' : JSON.stringify(e.raw))}</code>`,
          ]
        : []),
    ];
  });
  return [
    `<div class="qgroup"><h4>${esc(g.object)} · ${reasonText(g.reason, at(path, 'reason'))} <span class="muted">at ${esc(g.stage)}</span></h4>`,
    `<p>${num(g.open, at(path, 'open'))} open, ${num(g.resolved, at(path, 'resolved'))} resolved</p>`,
    rows.length > 0 ? table(headers, rows, { cls: 'examples' }) : '',
    '</div>',
  ].join('');
}

export function conflictsSection(pack: ProofPack): Html {
  const c = pack.conflicts;
  const head = `<p>${num(c.total, 'conflicts.total')} conflict(s) found, ${num(c.open, 'conflicts.open')} open: target rows someone changed after Tern wrote them, handled by the plan’s policy.</p>`;
  const rows = c.list.map((x, i) => {
    const p = at('conflicts.list', i);
    return [
      txt(x.object, at(p, 'object')),
      txt(x.sourceId, at(p, 'sourceId')),
      txt(x.phase, at(p, 'phase')),
      txt(x.policy, at(p, 'policy')),
      txt(x.outcome, at(p, 'outcome')),
      when(x.detectedAt),
      x.resolvedAt === null ? '<span class="muted">open</span>' : when(x.resolvedAt),
    ];
  });
  const more =
    c.total > c.list.length ? `<p class="muted">the newest ${c.list.length} of ${c.total} are listed</p>` : '';
  return section(
    'conflicts',
    'Conflicts',
    head +
      (rows.length > 0
        ? table(['object', 'source id', 'phase', 'policy', 'outcome', 'detected', 'resolved'], rows)
        : '') +
      more,
  );
}

export function custodySection(pack: ProofPack): Html {
  const { head, verification: v } = pack.custody;
  const body = [
    `<p>audit chain: ${num(v.entries, 'custody.verification.entries')} entries, every keyed hash recomputed and every link checked, held to ${num(v.headsChecked, 'custody.verification.headsChecked')} head(s) recorded with the proofs ${mark(v.ok, { yes: 'verified', no: 'broken' })}</p>`,
    head
      ? `<p>head: entry #${num(head.seq, 'custody.head.seq')} (id ${num(head.id, 'custody.head.id')}, ${when(head.at)})</p><p class="hashline">${txt(head.hash, 'custody.head.hash', 'hash')}</p><p class="note">Keep it with the signed pack: <code>tern audit verify ${esc(pack.migration.id)} --head ${esc(`${head.seq}:${head.hash}`)}</code> holds the chain to this head later, so entries cut off after it are found.</p>`
      : none('The chain has no entry.'),
    `<p class="muted">signed with key(s) ${v.keyIds.length > 0 ? v.keyIds.map((k, i) => txt(k, at('custody.verification.keyIds', i))).join(', ') : '—'}${v.unkeyed > 0 ? `; ${num(v.unkeyed, 'custody.verification.unkeyed')} entries from before entries were keyed` : ''}</p>`,
    v.broken
      ? `<p class="failure">broken at entry #${num(v.broken.seq, 'custody.verification.broken.seq')}: ${txt(v.broken.problem, 'custody.verification.broken.problem')}</p>`
      : '',
  ].join('');
  return section(
    'custody',
    'Chain of custody',
    body,
    'Every action on this migration is an entry of a hash chain keyed outside the staging database; the head’s hash names the whole history up to it.',
  );
}

export function approvalsSection(pack: ProofPack): Html {
  const rows = pack.approvals.map((a, i) => {
    const p = at('approvals', i);
    return [txt(a.phase, at(p, 'phase')), txt(a.by, at(p, 'by')), txt(a.reason, at(p, 'reason')), when(a.at)];
  });
  return section(
    'approvals',
    'Approvals',
    rows.length > 0
      ? table(['what', 'by', 'why', 'when'], rows)
      : none('No phase was gated and no cutover decided: no approval was asked for or given.'),
  );
}

export function rollbackSection(pack: ProofPack): Html {
  const r = pack.rollback;
  if (!r) return section('rollback', 'Rollback rehearsal', none('No rollback has been rehearsed.'));
  const rows = r.objects.map((o, i) => {
    const p = at('rollback.objects', i);
    return [
      esc(o.object),
      num(o.removed, at(p, 'removed')),
      num(o.restored, at(p, 'restored')),
      num(o.mismatches, at(p, 'mismatches')),
      num(o.rounds, at(p, 'rounds')),
      num(o.leftoversRepaired, at(p, 'leftoversRepaired')),
    ];
  });
  return section(
    'rollback',
    'Rollback rehearsal',
    [
      `<p>${txt(r.status, 'rollback.status')} ${when(r.startedAt)}${r.seconds === null ? '' : ` in ${num(r.seconds, 'rollback.seconds')} s`}, asked by ${r.by === null ? '<span class="muted">—</span>' : txt(r.by, 'rollback.by')}: ${r.reason === null ? '<span class="muted">—</span>' : `“${txt(r.reason, 'rollback.reason')}”`} ${mark(r.ok, { yes: 'target back to its prior state', no: 'prior state not proven' })}</p>`,
      rows.length > 0
        ? table(['object', 'rows removed', 'rows restored', 'mismatches', 'rounds', 'leftovers repaired'], rows, {
            numeric: [1, 2, 3, 4, 5],
          })
        : '',
    ].join(''),
    'Undo what Tern wrote, in reverse dependency order, then read the target back: rows Tern created are gone, rows it overwrote equal their before-images.',
  );
}

export function signOffSection(pack: ProofPack): Html {
  const signer = (role: string) =>
    `<div class="signer"><p class="role">${esc(role)}</p><div class="line">name</div><div class="line">date</div><div class="line tall">signature</div></div>`;
  return section(
    'sign-off',
    'Sign-off',
    [
      `<p>I have read this proof pack of migration ${txt(pack.migration.id, 'migration.id')} (${txt(pack.migration.name, 'migration.name')}) and accept its outcome, including what it lists to accept:</p>`,
      verdictBlock(pack),
      `<p class="hashline">content hash ${txt(pack.contentHash, 'contentHash', 'hash')}</p>`,
      '<p class="note">The hash is the sha256 of the pack’s JSON (<code>tern report --json</code>) without the hash and the build time: the same migration state gives the same hash, so this signature can be checked against the pack later.</p>',
      `<div class="signers">${signer('Migration lead')}${signer('Business owner')}</div>`,
    ].join(''),
  );
}
