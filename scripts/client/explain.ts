import { z } from 'zod';
import { canonicalJson } from '../../plan/checksum';
import { resolveIdentities, type MatchLink } from '../../plan/identity';
import { matchRuleSchema, type MatchRule } from '../../plan/merge-schema';
import { isBlankValue } from '../../plan/rules';
import type {
  MergeLedgerRow,
  MergeLineageRow,
  MergeMemberRow,
  MergeQuarantineRow,
  MergeStagedRow,
} from '../../staging/repos/merge';

/**
 * `tern explain`: the lineage of one merged record (docs/merge.md), assembled from staging's rows and rendered for a
 * person. Pure: the command (scripts/commands/explain.ts) reads the rows.
 */

/** What `tern explain` needs of a merged object's plan section; read leniently from the stored plan. */
export interface MergedObjectOutline {
  /** Source names in the order of `sources` (ties and anchors follow it). */
  sources: string[];
  /** Target fields in the order the sources' field maps first name them. */
  fields: string[];
  /** The match rules; null when the stored plan's rules cannot be read (the keys are then not shown). */
  match: MatchRule[] | null;
}

/**
 * The outline of a plan object fed by several sources, or undefined for a one-source object. A loaded plan keeps the
 * merged object's section (`sources`, `match`, …) under `merge`; the section as written has them at its top.
 */
export function mergedObjectOutline(planObject: unknown): MergedObjectOutline | undefined {
  if (planObject === null || typeof planObject !== 'object') return undefined;
  const { merge } = planObject as { merge?: unknown };
  const section = merge !== null && typeof merge === 'object' ? merge : planObject;
  const { sources, match } = section as { sources?: unknown; match?: unknown };
  if (!Array.isArray(sources)) return undefined;
  const names: string[] = [];
  const fields: string[] = [];
  for (const s of sources as unknown[]) {
    const source = s as { source?: unknown; fields?: unknown };
    if (typeof source.source === 'string') names.push(source.source);
    if (!Array.isArray(source.fields)) continue;
    for (const f of source.fields as unknown[]) {
      const to = (f as { to?: unknown } | null)?.to;
      if (typeof to === 'string' && !fields.includes(to)) fields.push(to);
    }
  }
  const rules = z.array(matchRuleSchema).safeParse(match ?? []);
  return { sources: names, fields, match: rules.success ? rules.data : null };
}

/** How the key given was found: a merged record's ref, a member's ref, or the id the target gave the record. */
export type FoundBy = 'merged ref' | 'member ref' | 'target id';

/** A source record a value came from. */
export interface LineageOrigin {
  ref: string;
  source: string;
  sourceId: string;
  /** The source column the value was mapped from; null for a constant field. */
  sourceField: string | null;
}

export interface ExplainedField {
  field: string;
  /** The survivorship rule that chose the value; null when the field is blank in every member. */
  rule: string | null;
  /** The merged value: null when blank everywhere; a list (its elements in order) for a union. */
  value: unknown;
  /** The records the value came from (several when a transform computed it from them); empty for a union. */
  from: LineageOrigin[];
  /** A union field: each element with the record it was first taken from. */
  elements?: { value: unknown; from: LineageOrigin[] }[];
  /** Members whose own non-blank value was not the one kept (not for unions: every value is kept). */
  others: { ref: string; value: unknown }[];
}

export interface ExplainedMember {
  ref: string;
  source: string;
  sourceId: string;
  /** single, merged, review or rejected. */
  status: string;
  matchRule: string | null;
  /** The record's last-modified time in its source (ISO), null when its source declares none. */
  updatedAt: string | null;
  /** The member holding the merged values, whose ref is the target key. */
  anchor: boolean;
  /** Its staged record's disposition (`deduplicated` into the merged record, …); null when nothing is staged. */
  staged: {
    disposition: string | null;
    reason: string | null;
    duplicateOf: string | null;
    deletedAt: string | null;
  } | null;
  /** Its own values mapped onto the target fields. */
  fields: Record<string, unknown>;
}

/** The ledger's word on a ref: written or not, and the target's id for it. */
export interface ExplainedLedger {
  ref: string;
  state: string;
  targetId: string | null;
  phase: string | null;
  at: string;
}

export interface ExplainedQuarantine {
  ref: string;
  stage: string;
  reason: string;
  field: string | null;
  message: string;
  at: string;
}

/** What `tern explain` prints (as one JSON object with `--json`). */
export interface MergeExplanation {
  migration: string;
  object: string;
  /** The key asked for, and how it was found. */
  asked: string;
  foundBy: FoundBy;
  mergedRef: string;
  groupId: string;
  /** The merged record's status (its anchor's): single, merged, review or rejected. */
  status: string;
  /** The first match rule that joined the group; null for a single record. */
  matchRule: string | null;
  /** The keys the members share, under the first rule that joined them (recomputed from their staged values). */
  links: { rule: string; key: string; members: string[] }[];
  /** Why `links` is empty though the record has several members, else null. */
  linksNote: string | null;
  members: ExplainedMember[];
  fields: ExplainedField[];
  /** The merged record's ledger row: null when it was never written. */
  target: ExplainedLedger | null;
  /** Ledger rows of the other members (one written before a delta regrouped it, …). */
  otherLedger: ExplainedLedger[];
  /** Open quarantine entries of its members. */
  quarantine: ExplainedQuarantine[];
}

export interface ExplanationInput {
  migration: string;
  object: string;
  asked: string;
  foundBy: FoundBy;
  mergedRef: string;
  outline: MergedObjectOutline;
  members: readonly MergeMemberRow[];
  lineage: readonly MergeLineageRow[];
  ledger: readonly MergeLedgerRow[];
  staged: readonly MergeStagedRow[];
  quarantine: readonly MergeQuarantineRow[];
}

const refOf = (source: string, sourceId: string): string => `${source}/${sourceId}`;
const blank = (v: unknown): boolean => (Array.isArray(v) ? v.every(blank) : isBlankValue(v));
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** Puts staging's rows of one merged record together: members in `sources` order, fields in the plan's order. */
export function lineageExplanation(input: ExplanationInput): MergeExplanation {
  const { outline, mergedRef } = input;
  const rank = (source: string): number => {
    const i = outline.sources.indexOf(source);
    return i < 0 ? outline.sources.length : i;
  };
  const members = [...input.members].sort(
    (a, b) =>
      Number(b.ref === mergedRef) - Number(a.ref === mergedRef) ||
      rank(a.source) - rank(b.source) ||
      (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0),
  );
  const anchor = members.find((m) => m.ref === mergedRef) ?? members[0];
  const staged = new Map(input.staged.map((s) => [s.ref, s]));
  const ledger = (r: MergeLedgerRow): ExplainedLedger => ({
    ref: r.ref,
    state: r.state,
    targetId: r.targetId,
    phase: r.runPhase,
    at: r.updatedAt.toISOString(),
  });

  const { links, note } = matchLinks(members, outline.match);
  return {
    migration: input.migration,
    object: input.object,
    asked: input.asked,
    foundBy: input.foundBy,
    mergedRef,
    groupId: anchor?.groupId ?? '',
    status: anchor?.status ?? 'unknown',
    matchRule: anchor?.matchRule ?? null,
    links,
    linksNote: note,
    members: members.map((m) => {
      const s = staged.get(m.ref);
      return {
        ref: m.ref,
        source: m.source,
        sourceId: m.sourceId,
        status: m.status,
        matchRule: m.matchRule,
        updatedAt: iso(m.sourceUpdatedAt),
        anchor: m.ref === mergedRef,
        staged: s
          ? {
              disposition: s.disposition,
              reason: s.dispositionReason,
              duplicateOf: s.duplicateOf,
              deletedAt: iso(s.sourceDeletedAt),
            }
          : null,
        fields: m.fields,
      };
    }),
    fields: explainFields(outline.fields, members, input.lineage),
    target: input.ledger.filter((r) => r.ref === mergedRef).map(ledger)[0] ?? null,
    otherLedger: input.ledger.filter((r) => r.ref !== mergedRef).map(ledger),
    quarantine: input.quarantine.map((q) => ({
      ref: q.ref,
      stage: q.stage,
      reason: q.reasonCode,
      field: q.field,
      message: q.message,
      at: q.createdAt.toISOString(),
    })),
  };
}

/**
 * The keys that joined the members, found again from their staged values under the plan's match rules (staging
 * keeps the rule, not the key): each under the first rule that joined records not yet one.
 */
function matchLinks(
  members: readonly MergeMemberRow[],
  rules: MatchRule[] | null,
): { links: MergeExplanation['links']; note: string | null } {
  if (members.length < 2) return { links: [], note: null };
  if (rules === null) return { links: [], note: "the stored plan's match rules could not be read" };
  const resolution = resolveIdentities(
    members.map((m) => ({ source: m.source, sourceId: m.sourceId, updatedAt: m.sourceUpdatedAt, fields: m.fields })),
    rules,
  );
  const links = resolution.groups
    .flatMap((g) => g.links)
    .map((l: MatchLink) => ({
      rule: l.rule,
      key: l.key,
      members: l.members.map((r) => refOf(r.source, r.sourceId)),
    }));
  return {
    links,
    note:
      links.length === 0
        ? "no key of the plan's match rules joins the members' staged values now (the plan's rules changed since, or a person merged them in the review file)"
        : null,
  };
}

function explainFields(
  planFields: readonly string[],
  members: readonly MergeMemberRow[],
  lineage: readonly MergeLineageRow[],
): ExplainedField[] {
  const byField = new Map<string, MergeLineageRow[]>();
  for (const row of lineage) {
    const rows = byField.get(row.field);
    if (rows) rows.push(row);
    else byField.set(row.field, [row]);
  }
  // The plan's fields first, in its order; then any field the lineage names that the plan no longer maps.
  const names = [...planFields, ...[...byField.keys()].filter((f) => !planFields.includes(f)).sort()];
  return names.map((field) => {
    const rows = [...(byField.get(field) ?? [])].sort((a, b) => a.position - b.position);
    const origin = (r: MergeLineageRow): LineageOrigin => ({
      ref: refOf(r.source, r.sourceId),
      source: r.source,
      sourceId: r.sourceId,
      sourceField: r.sourceField,
    });
    if (rows.length === 0) return { field, rule: null, value: null, from: [], others: [] };
    const rule = rows[0]!.rule;
    if (rule === 'union' || rows.some((r) => r.position > 0)) {
      const positions = [...new Set(rows.map((r) => r.position))];
      const elements = positions.map((p) => {
        const at = rows.filter((r) => r.position === p);
        return { value: at[0]!.value, from: at.map(origin) };
      });
      return { field, rule, value: elements.map((e) => e.value), from: [], elements, others: [] };
    }
    const value = rows[0]!.value;
    const from = rows.map(origin);
    const kept = canonicalJson(value ?? null);
    const others = members
      .filter((m) => !from.some((o) => o.ref === m.ref))
      .map((m) => ({ ref: m.ref, value: m.fields[field] }))
      .filter((o) => !blank(o.value) && canonicalJson(o.value) !== kept);
    return { field, rule, value, from, others };
  });
}

/** What a member's status means, for people. */
const STATUS_MEANING: Record<string, string> = {
  single: 'no record of another source matched it',
  merged: 'records of several sources merged into one',
  review: "awaiting a person's decision in the review file: not loaded until then",
  rejected: "its field map or the group's survivorship refused it: quarantined, not loaded",
};

/** What a ledger state means, for people. */
const LEDGER_MEANING: Record<string, string> = {
  pending: 'a write was attempted and its outcome is not known yet',
  written: 'written',
  refused: 'the target refused its first write: nothing of it there',
  set_aside: 'written once, then removed because the rules now set it aside',
  deleted: 'deleted from the target after its source deleted it',
  rolled_back: 'removed from the target by a rollback',
};

/** A value on one line: JSON, cut at 80 characters. */
export function shortValue(value: unknown): string {
  const text = value === undefined ? 'null' : JSON.stringify(value);
  return text.length <= 80 ? text : `${text.slice(0, 77)}… (${text.length} characters)`;
}

const originText = (o: LineageOrigin): string =>
  `${o.ref}${o.sourceField === null ? ' (constant)' : ` ${o.sourceField}`}`;

const ledgerText = (l: ExplainedLedger): string =>
  `${LEDGER_MEANING[l.state] ?? l.state}${l.targetId !== null ? `, target id ${l.targetId}` : ''} (${l.state}${l.phase ? `, ${l.phase} phase` : ''}, ${l.at})`;

/** The explanation as text for a terminal: the record, how it was joined, each field's origin, the target. */
export function formatExplanation(e: MergeExplanation): string {
  const out: string[] = [];
  out.push(`${e.object} ${e.mergedRef} (migration ${e.migration}): group ${e.groupId}, ${e.status}`);
  if (e.foundBy === 'member ref') out.push(`  ${e.asked} is a member of the merged record ${e.mergedRef}`);
  if (e.foundBy === 'target id') out.push(`  ${e.asked} is the target's id of the merged record ${e.mergedRef}`);
  if (STATUS_MEANING[e.status]) out.push(`  ${STATUS_MEANING[e.status]}`);

  if (e.members.length > 1) {
    out.push(`matched by ${e.matchRule ?? '(no rule recorded)'}`);
    for (const l of e.links) out.push(`  ${l.rule} ${JSON.stringify(l.key)}: ${l.members.join(', ')}`);
    if (e.linksNote) out.push(`  keys not shown: ${e.linksNote}`);
  }

  out.push(`members (${e.members.length}):`);
  const width = Math.max(...e.members.map((m) => m.ref.length));
  for (const m of e.members) {
    const role = m.anchor ? 'anchor (holds the merged values)' : `merged into ${e.mergedRef}`;
    const parts = [m.ref.padEnd(width), role, `updated ${m.updatedAt ?? 'unknown (its source declares no updatedAt)'}`];
    if (m.status !== e.status) parts.push(`status ${m.status}`);
    if (m.staged === null) parts.push('not staged');
    else {
      if (m.staged.disposition && !(m.staged.disposition === 'deduplicated' && m.staged.duplicateOf === e.mergedRef))
        parts.push(
          `staged ${m.staged.disposition}${m.staged.reason ? ` (${m.staged.reason})` : ''}${m.staged.duplicateOf ? ` into ${m.staged.duplicateOf}` : ''}`,
        );
      if (m.staged.deletedAt) parts.push(`deleted in its source ${m.staged.deletedAt}`);
    }
    out.push(`  ${parts.join('  ')}`);
  }

  out.push('fields (value ← source record and field, rule):');
  for (const f of e.fields) {
    if (f.rule === null) {
      out.push(`  ${f.field}: null (blank in every member)`);
      continue;
    }
    if (f.elements) {
      out.push(`  ${f.field}: ${f.elements.length} value(s) (${f.rule})`);
      for (const el of f.elements) out.push(`    ${shortValue(el.value)} ← ${el.from.map(originText).join(' + ')}`);
      continue;
    }
    out.push(`  ${f.field}: ${shortValue(f.value)} ← ${f.from.map(originText).join(' + ')} (${f.rule})`);
    for (const o of f.others) out.push(`    ${o.ref} had ${shortValue(o.value)}`);
  }

  out.push(
    e.target
      ? `target: ${ledgerText(e.target)}`
      : `target: not written (no ledger entry for ${e.mergedRef})${e.status === 'review' ? '; decide its group in the review file, then run the phase again' : ''}`,
  );
  for (const l of e.otherLedger) out.push(`  ${l.ref}: ${ledgerText(l)}`);

  if (e.quarantine.length === 0)
    out.push(
      e.members.length === 1 ? 'quarantine: not quarantined' : `quarantine: none of its ${e.members.length} members`,
    );
  else {
    out.push(`quarantine: ${e.quarantine.length} open`);
    for (const q of e.quarantine)
      out.push(`  ${q.ref}  ${q.stage}  ${q.reason}${q.field ? `  ${q.field}` : ''}: ${q.message}`);
  }
  return out.join('\n');
}
