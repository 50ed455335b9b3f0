import { isMap, isSeq, LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { checksum } from './checksum';
import { matchRuleName, type MatchRule } from './merge-schema';
import { keyNormalisers, normaliseKeyPart } from './rules';
import { buildTransform, RecordRejection, standaloneContext, type TransformFn } from './transforms';

/**
 * Identity resolution across sources (docs/merge.md): which records of different sources are one real-world
 * record. Records are indexed by each match rule's normalised keys and joined with a union-find, so the work
 * grows with the number of records and keys, never with pairs of records. Pure: no I/O.
 */

/** One record of one source, its fields already mapped onto the merged object's target fields. */
export interface SourceRecord {
  source: string;
  sourceId: string;
  /** The record's last-modified time (the source's `updatedAt` column), null when it has none. */
  updatedAt: Date | null;
  fields: Record<string, unknown>;
}

export interface RecordRef {
  source: string;
  sourceId: string;
}

/** A key shared by records of one group, under the first rule (in plan order) that joined them. */
export interface MatchLink {
  rule: string;
  key: string;
  members: RecordRef[];
}

export interface MergeGroup {
  /** `mg_` and 16 hex digits of the hash of its members: the same records always give the same id. */
  id: string;
  /** Sorted by source, then source id. */
  members: RecordRef[];
  /** single: matched nothing; merged: one record; review: two records of one source met, a person decides. */
  status: 'single' | 'merged' | 'review';
  /** The first rule (in plan order) that joined any of its members; null for a single record. */
  rule: string | null;
  links: MatchLink[];
}

/** A group Tern will not merge on its own: two or more of its records come from the same source. */
export interface ReviewItem {
  group: string;
  members: RecordRef[];
  /** Each source that has two or more records in the group, with their ids. */
  sameSource: { source: string; sourceIds: string[] }[];
  links: MatchLink[];
}

export interface IdentityFigures {
  records: number;
  /** Groups of two or more records merged into one. */
  mergedGroups: number;
  /** Records in those groups. */
  mergedRecords: number;
  reviewGroups: number;
  reviewRecords: number;
  /** Records that matched no other. */
  single: number;
}

export interface Resolution {
  /** Every record in exactly one group, groups in order of their first member. */
  groups: MergeGroup[];
  review: ReviewItem[];
  figures: IdentityFigures;
}

const compareRefs = (a: RecordRef, b: RecordRef): number =>
  a.source !== b.source
    ? a.source < b.source
      ? -1
      : 1
    : a.sourceId < b.sourceId
      ? -1
      : a.sourceId > b.sourceId
        ? 1
        : 0;

const refText = (r: RecordRef): string => `${r.source}/${r.sourceId}`;

/** The values of a field one by one: a list's elements, or the value itself. */
const elementsOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Runs a normalising transform on one value; a value it rejects, or blank, has no key. */
function normalisedText(fn: TransformFn, value: unknown): string | null {
  let out: unknown;
  try {
    out = fn(value, standaloneContext());
  } catch (err) {
    if (err instanceof RecordRejection) return null;
    throw err;
  }
  const text = normaliseKeyPart(out);
  return text === '' ? null : text;
}

/** Compiles a match rule to the function giving a record's keys under it (none when its fields are blank). */
export function compileMatchRule(rule: MatchRule): (fields: Record<string, unknown>) => string[] {
  if (rule.kind === 'block') {
    const normalise = keyNormalisers(rule.normalise);
    return (fields) => {
      const parts = rule.fields.map((f) => normaliseKeyPart(normalise(f, fields[f])));
      // A blank part would make "Acme" in no city one with "Acme" in Paris: such records have no blocking key.
      return parts.some((p) => p === '') ? [] : [parts.join(' + ')];
    };
  }
  // Tern's own transforms normalise: one meaning of "the same email/domain/phone" across the plan.
  const fn = buildTransform(
    rule.kind === 'email'
      ? 'email'
      : rule.kind === 'domain'
        ? { domain: { onInvalid: 'null' } }
        : { phone: { defaultCountry: rule.defaultCountry, onInvalid: 'null' } },
  );
  return (fields) => {
    const keys = new Set<string>();
    for (const element of elementsOf(fields[rule.field])) {
      const key = normalisedText(fn, element);
      if (key !== null) keys.add(key);
    }
    return [...keys];
  };
}

/**
 * Groups records of several sources by the match rules. Deterministic: the records are sorted first, so the same
 * records in any order give the same groups, ids and links. Matches are transitive (A~B by email and B~C by phone
 * make one group); a group holding two records of one source is not merged but listed for review.
 */
export function resolveIdentities(input: readonly SourceRecord[], rules: readonly MatchRule[]): Resolution {
  const records = [...input].sort(compareRefs);
  for (let i = 1; i < records.length; i++)
    if (compareRefs(records[i - 1]!, records[i]!) === 0)
      throw new Error(`record ${refText(records[i]!)} is given twice; each source record is resolved once`);

  const parent = records.map((_, i) => i);
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    // Path compression keeps later lookups short.
    for (let at = i; at !== r;) {
      const next = parent[at]!;
      parent[at] = r;
      at = next;
    }
    return r;
  };
  const links: { rule: string; key: string; members: number[] }[] = [];

  for (const rule of rules) {
    const keysOf = compileMatchRule(rule);
    const index = new Map<string, number[]>();
    records.forEach((record, i) => {
      for (const key of keysOf(record.fields)) {
        const holders = index.get(key);
        if (holders) holders.push(i);
        else index.set(key, [i]);
      }
    });
    const name = matchRuleName(rule);
    for (const [key, holders] of index) {
      if (holders.length < 2) continue;
      let joined = false;
      for (const i of holders.slice(1)) {
        const a = root(holders[0]!);
        const b = root(i);
        if (a === b) continue;
        // The smaller index is the root, so roots do not depend on the order keys are met in.
        parent[Math.max(a, b)] = Math.min(a, b);
        joined = true;
      }
      // First match wins: a key of a later rule between records already one group explains nothing new.
      if (joined) links.push({ rule: name, key, members: holders });
    }
  }

  const byRoot = new Map<number, { members: number[]; links: MatchLink[] }>();
  records.forEach((_, i) => {
    const r = root(i);
    const group = byRoot.get(r);
    if (group) group.members.push(i);
    else byRoot.set(r, { members: [i], links: [] });
  });
  const ref = (i: number): RecordRef => ({ source: records[i]!.source, sourceId: records[i]!.sourceId });
  for (const link of links)
    byRoot.get(root(link.members[0]!))!.links.push({ rule: link.rule, key: link.key, members: link.members.map(ref) });

  const groups = [...byRoot.values()].map(({ members, links: groupLinks }) =>
    groupOf(members.map(ref), groupLinks, members.length === 1 ? 'single' : undefined),
  );
  return resolutionOf(groups);
}

const groupId = (members: readonly RecordRef[]): string => `mg_${checksum(members.map(refText)).slice(0, 16)}`;

/** A group of these members: merged, or under review when two come from one source, unless `status` is given. */
function groupOf(members: RecordRef[], links: MatchLink[], status?: MergeGroup['status']): MergeGroup {
  return {
    id: groupId(members),
    members,
    status: status ?? (members.length === 1 ? 'single' : sameSourceMembers(members).length > 0 ? 'review' : 'merged'),
    rule: links[0]?.rule ?? null,
    links,
  };
}

/** The groups with their review list and figures. */
function resolutionOf(groups: MergeGroup[]): Resolution {
  const figures: IdentityFigures = {
    records: 0,
    mergedGroups: 0,
    mergedRecords: 0,
    reviewGroups: 0,
    reviewRecords: 0,
    single: 0,
  };
  const review: ReviewItem[] = [];
  for (const g of groups) {
    figures.records += g.members.length;
    if (g.status === 'single') figures.single += 1;
    else if (g.status === 'merged') {
      figures.mergedGroups += 1;
      figures.mergedRecords += g.members.length;
    } else {
      figures.reviewGroups += 1;
      figures.reviewRecords += g.members.length;
      review.push({ group: g.id, members: g.members, sameSource: sameSourceMembers(g.members), links: g.links });
    }
  }
  return { groups, review, figures };
}

function sameSourceMembers(members: readonly RecordRef[]): { source: string; sourceIds: string[] }[] {
  const bySource = new Map<string, string[]>();
  for (const m of members) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m.sourceId]);
  return [...bySource].filter(([, ids]) => ids.length > 1).map(([source, sourceIds]) => ({ source, sourceIds }));
}

/**
 * The review file of a merged object (like `map suggest`'s mapping file): every group Tern would not merge, how
 * its records matched, and a `decision` a person fills in.
 */
export function renderReviewFile(object: string, review: readonly ReviewItem[]): string {
  const header = [
    `# Merge review of ${object}: groups whose matches joined two or more records of the same source.`,
    '# Tern merges none of them on its own. For each group, replace `decision: null` with',
    '# - `decision: merge`: the whole group becomes one record (the same source held duplicates), or',
    '# - `decision: { split: [[hubspot/1, legacy/9], [hubspot/7]] }`: these groups instead, each record in one.',
    '# A record is written source/source id; `matched` says which rule and key joined which records. A group whose',
    '# records change gets another id, so a decision never applies to records it was not made for.',
  ];
  const groups = review.map((item) => ({
    group: item.group,
    members: item.members.map(refText),
    sameSource: item.sameSource.map((s) => `${s.source}: ${s.sourceIds.join(', ')}`),
    matched: item.links.map((l) => `${l.rule} "${l.key}": ${l.members.map(refText).join(', ')}`),
    decision: null,
  }));
  return `${header.join('\n')}\n${stringify({ groups }, { lineWidth: 0 })}`;
}

/** What a person decided for a group under review. */
export type ReviewDecision = { kind: 'merge' } | { kind: 'split'; parts: RecordRef[][] };

/** A review file as read: decisions by group id, groups still undecided, and problems with their lines. */
export interface ReviewFile {
  decisions: Map<string, ReviewDecision>;
  pending: string[];
  issues: { line?: number; message: string }[];
}

const refSchema = z
  .string()
  .regex(/^[^/]+\/.+$/, 'is not a record; write it source/source id, e.g. hubspot/1')
  .transform((text): RecordRef => {
    const slash = text.indexOf('/');
    return { source: text.slice(0, slash), sourceId: text.slice(slash + 1) };
  });
const reviewEntrySchema = z.looseObject({
  group: z.string().regex(/^mg_[0-9a-f]{16}$/, 'is not a group id (mg_ and 16 hex digits); keep the id Tern wrote'),
  decision: z.union(
    [
      z.null(),
      z.literal('merge'),
      z.strictObject({ split: z.array(z.array(refSchema).min(1)).min(2, 'a split makes at least two groups') }),
    ],
    { error: 'decision is null (undecided), merge, or { split: [[source/id, ...], ...] }' },
  ),
});

/** Reads a review file's text. Never throws: problems come back with their lines; good entries are still read. */
export function parseReviewFile(text: string): ReviewFile {
  const out: ReviewFile = { decisions: new Map(), pending: [], issues: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    out.issues = doc.errors.map((e) => ({
      line: lineCounter.linePos(e.pos[0]).line,
      message: `YAML syntax error: ${e.message.split('\n')[0]}`,
    }));
    return out;
  }
  const groups = isMap(doc.contents) ? doc.get('groups', true) : undefined;
  if (!isSeq(groups)) {
    out.issues.push({ line: 1, message: 'a review file is a map with `groups: [...]`, as Tern writes it' });
    return out;
  }
  const entries = (doc.toJS() as { groups: unknown[] }).groups;
  groups.items.forEach((node, i) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const line = range ? lineCounter.linePos(range[0]).line : undefined;
    const parsed = reviewEntrySchema.safeParse(entries[i]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        out.issues.push({ line, message: `groups.${i}.${issue.path.map(String).join('.')}: ${issue.message}` });
      return;
    }
    const { group, decision } = parsed.data;
    if (out.decisions.has(group) || out.pending.includes(group))
      out.issues.push({ line, message: `group ${group} is listed twice; keep one decision` });
    else if (decision === null) out.pending.push(group);
    else if (decision === 'merge') out.decisions.set(group, { kind: 'merge' });
    else out.decisions.set(group, { kind: 'split', parts: decision.split });
  });
  return out;
}

/**
 * The resolution with a person's decisions applied: a group decided `merge` is merged whole; a group decided
 * `split` becomes the groups given (each keeps the links among its own records). A decision for a group that is
 * not under review (its records changed since the file was written) or a split that does not list each of the
 * group's records exactly once is reported, and the group stays under review.
 */
export function applyReviewDecisions(
  resolution: Resolution,
  decisions: ReadonlyMap<string, ReviewDecision>,
): { resolution: Resolution; issues: string[] } {
  const issues: string[] = [];
  const underReview = new Set(resolution.review.map((r) => r.group));
  for (const group of decisions.keys())
    if (!underReview.has(group))
      issues.push(`group ${group} is not under review: its records changed since the file was written; decide again`);
  const groups = resolution.groups.flatMap((g): MergeGroup[] => {
    const decision = g.status === 'review' ? decisions.get(g.id) : undefined;
    if (!decision) return [g];
    if (decision.kind === 'merge') return [{ ...g, status: 'merged' }];
    const problem = splitProblem(g.members, decision.parts);
    if (problem) {
      issues.push(`group ${g.id}: ${problem}`);
      return [g];
    }
    return decision.parts.map((part) => {
      const members = [...part].sort(compareRefs);
      const inPart = new Set(members.map(refText));
      const links = g.links
        .map((l) => ({ ...l, members: l.members.filter((m) => inPart.has(refText(m))) }))
        .filter((l) => l.members.length > 1);
      // The person's split stands as written, even where two records of one source stay together.
      return groupOf(members, links, members.length === 1 ? 'single' : 'merged');
    });
  });
  return { resolution: resolutionOf(groups), issues };
}

/** Why a split is not a partition of the group's records, or null. */
function splitProblem(members: readonly RecordRef[], parts: readonly RecordRef[][]): string | null {
  const expected = new Set(members.map(refText));
  const seen = new Set<string>();
  for (const ref of parts.flat()) {
    const text = refText(ref);
    if (!expected.has(text)) return `the split names ${text}, which is not in the group; list only its records`;
    if (seen.has(text)) return `the split lists ${text} twice; put each record in one part`;
    seen.add(text);
  }
  const missing = [...expected].filter((t) => !seen.has(t));
  return missing.length > 0 ? `the split leaves out ${missing.join(', ')}; put each record in one part` : null;
}
