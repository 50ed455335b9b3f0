import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Scalar } from 'yaml';

/**
 * Picklist mapping: proposes, for every profiled legacy value of a field, the target option it stands for,
 * and reads and writes the mapping file (`mappings/<object>.<field>.yaml`) a person reviews. Pure: no I/O.
 *
 * A value is placed by the first rule that fits, in this order (the reason says which):
 * - `exact`: the value is an option as written;
 * - `case/punctuation`: a spelling variant, equal once case, accents, punctuation, emoji, separators (-, _, /),
 *   spacing ("PG13" is "PG-13"), a leading numbering ("3 - ") and word order are ignored;
 * - `synonym`: the value is a known word for the stage of exactly one option (won/closed won/signed…);
 * - `typo`: within a small edit distance of one option or synonym (1 edit for 4–7 characters, 2 from 8);
 * - `contains`: the value's words hold one option or synonym (and no other one), not after a negation;
 * - `typo` (of a value): a near-duplicate of a value already placed by a rule above;
 * - `none`: a person decides; the suggestion is left empty.
 * `exact`, `case/punctuation` and `synonym` are high confidence; `typo` and `contains` medium.
 */

export interface ProfiledValue {
  value: string;
  count: number;
}

export type SuggestionReason = 'exact' | 'case/punctuation' | 'synonym' | 'typo' | 'contains' | 'kept' | 'none';
export type SuggestionConfidence = 'high' | 'medium' | 'none';

export interface ValueSuggestion {
  value: string;
  count: number;
  /** The proposed option, or null when a person must decide. */
  option: string | null;
  reason: SuggestionReason;
  confidence: SuggestionConfidence;
  /** For people: `typo of "Qualified"`, `synonym of Won`, `contains "lost"`, `ambiguous: Won or Lost`. */
  note: string;
}

export interface PicklistSuggestion {
  options: string[];
  values: ValueSuggestion[];
  /** Values placed by a rule (or kept from an earlier file), and values a person must fill in. */
  mapped: number;
  unmapped: string[];
}

/**
 * Words for the stages most pipelines share, kept small and domain-generic on purpose: a wrong guess
 * costs more than a value left for a person. Phrases are in normalised form (see `normaliseValue`).
 */
const SYNONYMS: readonly (readonly string[])[] = [
  ['won', 'win', 'closed won', 'signed', 'booked', 'sold'],
  ['lost', 'lose', 'closed lost', 'dead', 'no decision'],
  ['new', 'open', 'lead', 'new lead', 'prospect', 'prospecting', 'inbound', 'not contacted'],
  ['qualified', 'qualification', 'qualifying'],
  ['proposal', 'proposal sent', 'quote', 'quoted', 'quote sent', 'estimate'],
  ['negotiation', 'negotiating', 'in negotiation', 'contract sent', 'pending signature'],
];

/** Words that turn "won" into its opposite when they come right before it. */
const NEGATIONS = new Set(['no', 'not', 'non', 'never', 'un']);

/**
 * The comparison form of a value: compatibility-normalised, camel case split ("ClosedWon" → "closed won"),
 * lower-cased, accents dropped, apostrophes inside words dropped ("won't" → "wont"), every other run of
 * non-letters/digits (punctuation, emoji, - _ /) a single space, and a leading numbering ("3 - ") removed.
 */
export function normaliseValue(value: string): string {
  const spaced = value
    .normalize('NFKC')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  const unnumbered = spaced.replace(/^\d{1,3} (?=\p{L})/u, '');
  return unnumbered;
}

/** Words of a normalised value in alphabetical order, each once: "won closed" and "closed won" agree. */
const tokenSet = (key: string): string => [...new Set(key.split(' '))].sort().join(' ');

/**
 * Two normalised values spell the same thing: equal, equal in another word order, or equal once spaces are
 * dropped ("pg13" and "pg 13"). A difference of punctuation or spacing is a spelling variant, never a typo.
 */
const sameSpelling = (a: string, b: string): boolean =>
  a === b || tokenSet(a) === tokenSet(b) || a.replace(/ /g, '') === b.replace(/ /g, '');

/**
 * Damerau-Levenshtein distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of adjacent characters), on code points; stops early once it exceeds `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  const s = Array.from(a);
  const t = Array.from(b);
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[t.length]!;
}

/** Edits tolerated as a typo: none below 4 characters ("won"/"new" are too close to other words), 1, then 2. */
const typoBudget = (key: string): number => {
  const n = Array.from(key.replace(/ /g, '')).length;
  return n < 4 ? 0 : n < 8 ? 1 : 2;
};

/** Something a value can be recognised as: an option's own form, or a synonym of the stage an option has. */
interface Form {
  key: string;
  option: string;
  synonym: boolean;
}

function formsOf(options: readonly string[]): Form[] {
  const forms: Form[] = options.map((option) => ({ key: normaliseValue(option), option, synonym: false }));
  for (const group of SYNONYMS) {
    const holders = options.filter((o) => group.includes(normaliseValue(o)));
    // A stage two options share (e.g. both "New" and "Open" exist) gives no synonym: a person chooses.
    if (holders.length !== 1) continue;
    for (const phrase of group) forms.push({ key: phrase, option: holders[0]!, synonym: true });
  }
  return forms.filter((f) => f.key !== '');
}

type Placement = Pick<ValueSuggestion, 'option' | 'reason' | 'confidence' | 'note'>;

const NONE: Placement = { option: null, reason: 'none', confidence: 'none', note: 'unmapped: fill in' };

/** The single option among candidates, or undefined when they disagree (or there are none). */
function single(candidates: readonly Form[]): string | undefined {
  const options = new Set(candidates.map((c) => c.option));
  return options.size === 1 ? candidates[0]!.option : undefined;
}

/** Whether `words` holds `phrase` as consecutive words (each allowed a typo when long), not after a negation. */
function holds(words: readonly string[], phrase: readonly string[]): boolean {
  for (let i = 0; i + phrase.length <= words.length; i++) {
    const fits = phrase.every((p, k) => {
      const w = words[i + k]!;
      return w === p || (p.length >= 5 && w.length >= 5 && editDistance(w, p, 1) <= 1);
    });
    if (fits && !(i > 0 && NEGATIONS.has(words[i - 1]!))) return true;
  }
  return false;
}

function placeByRules(value: string, key: string, options: readonly string[], forms: readonly Form[]): Placement {
  const exact = options.find((o) => o === value.trim());
  if (exact !== undefined) return { option: exact, reason: 'exact', confidence: 'high', note: 'exact' };
  if (key === '') return NONE;
  const own = forms.filter((f) => !f.synonym);
  const same = single(own.filter((f) => sameSpelling(f.key, key)));
  if (same !== undefined)
    return { option: same, reason: 'case/punctuation', confidence: 'high', note: `spelling variant of ${same}` };
  const synonymHits = forms.filter((f) => f.synonym && sameSpelling(f.key, key));
  const synonym = single(synonymHits);
  if (synonym !== undefined)
    return { option: synonym, reason: 'synonym', confidence: 'high', note: `synonym of ${synonym}` };

  const budget = typoBudget(key);
  if (budget > 0) {
    const scored = forms
      .map((f) => ({ form: f, d: editDistance(key, f.key, budget) }))
      .filter((x) => x.d <= budget && typoBudget(x.form.key) > 0);
    const nearest = Math.min(...scored.map((x) => x.d));
    const typo = single(scored.filter((x) => x.d === nearest).map((x) => x.form));
    if (typo !== undefined) {
      const form = scored.find((x) => x.d === nearest)!.form;
      return {
        option: typo,
        reason: 'typo',
        confidence: 'medium',
        note: form.synonym ? `typo of "${form.key}" (synonym of ${typo})` : `typo of ${typo}`,
      };
    }
  }

  const words = key.split(' ');
  const contained = forms.filter((f) => holds(words, f.key.split(' ')));
  // "Proposal sent" holds both "proposal" and "proposal sent": the longer phrase speaks for the value.
  const longest = contained.filter(
    (f) => !contained.some((g) => g !== f && g.key.length > f.key.length && g.key.includes(f.key)),
  );
  const within = single(longest);
  if (within !== undefined) {
    const phrase = longest.find((f) => f.option === within)!.key;
    return { option: within, reason: 'contains', confidence: 'medium', note: `contains "${phrase}"` };
  }
  if (longest.length > 0) {
    const named = [...new Set(longest.map((f) => f.option))];
    return { ...NONE, note: `unmapped: ambiguous (${named.join(' or ')}); fill in` };
  }
  return NONE;
}

/**
 * Proposes a mapping of profiled values to target options. Values are taken as given (trimmed, each once,
 * counts of equal trimmed values added); `decided` holds an earlier file's entries (value → option or
 * null), kept as they are with reason `kept`. Values come out most frequent first.
 */
export function suggestPicklistMapping(
  profiled: readonly ProfiledValue[],
  options: readonly string[],
  decided: ReadonlyMap<string, string | null> = new Map(),
): PicklistSuggestion {
  const counts = new Map<string, number>();
  for (const { value, count } of profiled) {
    const v = value.trim();
    if (v !== '') counts.set(v, (counts.get(v) ?? 0) + count);
  }
  const forms = formsOf(options);
  const entries = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const placed = new Map<string, Placement>();
  for (const [value] of entries) {
    if (decided.has(value)) {
      const option = decided.get(value) ?? null;
      placed.set(value, {
        option,
        reason: 'kept',
        confidence: option === null ? 'none' : 'high',
        note: option === null ? 'unmapped: fill in' : 'kept from the file',
      });
    } else placed.set(value, placeByRules(value, normaliseValue(value), options, forms));
  }
  // Near-duplicates of values already placed join their cluster ("Propsal sent" beside "Proposal sent").
  const anchors = entries
    .filter(([v]) => placed.get(v)!.option !== null)
    .map(([v]) => ({ value: v, key: normaliseValue(v), option: placed.get(v)!.option! }));
  for (const [value] of entries) {
    const current = placed.get(value)!;
    if (current.option !== null || decided.has(value) || current.note.includes('ambiguous')) continue;
    const key = normaliseValue(value);
    const budget = typoBudget(key);
    if (budget === 0) continue;
    const near = anchors.filter((a) => editDistance(key, a.key, budget) <= budget);
    const option = single(near.map((a) => ({ key: a.key, option: a.option, synonym: false })));
    if (option === undefined) continue;
    const variant = near.find((a) => sameSpelling(a.key, key));
    placed.set(
      value,
      variant
        ? { option, reason: 'case/punctuation', confidence: 'medium', note: `spelling variant of "${variant.value}"` }
        : { option, reason: 'typo', confidence: 'medium', note: `typo of "${near[0]!.value}"` },
    );
  }
  const values = entries.map(([value, count]) => ({ value, count, ...placed.get(value)! }));
  const unmapped = values.filter((v) => v.option === null).map((v) => v.value);
  return { options: [...options], values, mapped: values.length - unmapped.length, unmapped };
}

// ---------------------------------------------------------------------------------------------------------
// The mapping file
// ---------------------------------------------------------------------------------------------------------

/** Where a mapping file came from, for its header. */
export interface MappingFileOrigin {
  /** `deals.status → stage`. */
  field: string;
  /** `the preferences profile of mig_legacy_crm (2026-05-01)`. */
  source: string;
  /** Where the options came from: `the target's status attribute stage`, `the plan's picklist options`. */
  optionsFrom: string;
}

const quote = (s: string): string => JSON.stringify(s);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function entryComment(v: ValueSuggestion): string {
  return `${plural(v.count, 'record')} · ${v.note}`;
}

function entryLine(v: ValueSuggestion): string {
  return `  ${quote(v.value)}: ${v.option === null ? 'null' : quote(v.option)} # ${entryComment(v)}`;
}

/**
 * The text of a new mapping file: a header saying how it was made and how to edit it, the options, and one
 * line per value with its count and reason; values a person must fill in first, then by option.
 */
export function renderMappingFile(suggestion: PicklistSuggestion, origin: MappingFileOrigin): string {
  const header = [
    `# Picklist mapping of ${origin.field}, proposed by \`tern map suggest\` from ${origin.source}.`,
    `# Options: ${origin.optionsFrom}.`,
    '#',
    '# Each line maps a legacy value (left, as the source holds it) to one of the options (right). To edit:',
    "# - replace every null with an option; a value left null is unmapped, and the picklist's `unmapped`",
    '#   policy decides (quarantine by default; `strict` makes `tern plan validate` fail until it is filled);',
    '# - correct any suggestion you disagree with (the comment says why it was made: exact, case/punctuation,',
    '#   synonym, typo, contains); matching ignores case and extra whitespace.',
    '# Use it in the plan: picklist: { options: [...], aliasesFile: <this file, relative to the plan> }.',
    '# Running `tern map suggest` again keeps every line here and only adds values seen since (--force redoes all).',
  ];
  const unmapped = suggestion.values.filter((v) => v.option === null);
  const lines = [...header, `options: [${suggestion.options.map(quote).join(', ')}]`, 'values:'];
  if (unmapped.length > 0) {
    lines.push(`  # ${plural(unmapped.length, 'value needs', 'values need')} a person:`);
    for (const v of unmapped) lines.push(entryLine(v));
  }
  for (const option of suggestion.options) {
    const group = suggestion.values.filter((v) => v.option === option);
    if (group.length === 0) continue;
    lines.push(`  # → ${option}`);
    for (const v of group) lines.push(entryLine(v));
  }
  const stray = suggestion.values.filter((v) => v.option !== null && !suggestion.options.includes(v.option));
  for (const v of stray) lines.push(entryLine(v));
  if (suggestion.values.length === 0) lines.push('  {}');
  return `${lines.join('\n')}\n`;
}

/**
 * An existing mapping file with new values added at the end of `values` (each with its comment), and its
 * `options` set to the current ones; everything a person wrote (entries, comments) stays as it is.
 */
export function mergeMappingFile(
  text: string,
  additions: readonly ValueSuggestion[],
  options: readonly string[],
): string {
  const doc = parseDocument(text);
  const optionsNode = doc.createNode([...options]);
  optionsNode.flow = true;
  doc.set('options', optionsNode);
  let values = doc.get('values', true);
  if (!isMap(values) || values.items.length === 0) {
    values = doc.createNode({});
    doc.set('values', values);
  }
  if (!isMap(values)) throw new Error('unreachable: values is a map');
  values.flow = false;
  for (const v of additions) {
    const pair = doc.createPair<Scalar, Scalar>(v.value, v.option);
    pair.key.type = 'QUOTE_DOUBLE';
    if (v.option !== null) pair.value!.type = 'QUOTE_DOUBLE';
    pair.value!.comment = ` new · ${entryComment(v)}`;
    values.items.push(pair);
  }
  return doc.toString({ lineWidth: 0 });
}

/** One problem in a mapping file: its line and what to do. */
export interface MappingFileIssue {
  line?: number;
  message: string;
}

/** A mapping file as read: its options (when it lists them), its entries with their lines, and problems. */
export interface MappingFile {
  options?: string[];
  entries: { value: string; option: string | null; line: number }[];
  issues: MappingFileIssue[];
}

const looseKey = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Reads a mapping file's text. With `options`, every entry must name one of them (case and whitespace
 * ignored; the entry is given the option as the list spells it) or be null. Never throws: problems come back
 * with their lines, and the entries that are fine are still returned.
 */
export function parseMappingFile(text: string, options?: readonly string[]): MappingFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  if (doc.errors.length > 0)
    return {
      entries: [],
      issues: doc.errors.map((e) => ({
        line: lineCounter.linePos(e.pos[0]).line,
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      })),
    };
  const issues: MappingFileIssue[] = [];
  if (!isMap(doc.contents))
    return {
      entries: [],
      issues: [{ line: 1, message: 'a mapping file is a map with `options: [...]` and `values: { legacy: option }`' }],
    };
  let listed: string[] | undefined;
  const optionsNode = doc.get('options', true);
  if (optionsNode !== undefined) {
    if (isSeq(optionsNode) && optionsNode.items.every((i) => isScalar(i) && typeof i.value === 'string'))
      listed = optionsNode.items.map((i) => String((i as Scalar).value));
    else issues.push({ line: lineOf(optionsNode), message: '`options` must be a list of option names' });
  }
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key !== 'options' && key !== 'values')
      issues.push({
        line: lineOf(pair.key),
        message: `unknown key ${quote(String(key))}; a mapping file has options and values`,
      });
  }
  const valuesNode = doc.get('values', true);
  const entries: MappingFile['entries'] = [];
  if (valuesNode === undefined || valuesNode === null) {
    issues.push({ line: 1, message: '`values` is missing; list the legacy values as { legacy: option }' });
    return { options: listed, entries, issues };
  }
  if (!isMap(valuesNode)) {
    issues.push({ line: lineOf(valuesNode), message: '`values` must map each legacy value to an option (or null)' });
    return { options: listed, entries, issues };
  }
  const allowed = options ?? listed;
  const byKey = new Map((allowed ?? []).map((o) => [looseKey(o), o]));
  const seen = new Map<string, { option: string | null; value: string }>();
  for (const pair of valuesNode.items) {
    const line = lineOf(pair.key) ?? lineOf(valuesNode)!;
    // A plain key such as 1.50 or true is read as written, not as the number or boolean YAML makes of it.
    const value = isScalar(pair.key)
      ? typeof pair.key.value === 'string'
        ? pair.key.value
        : typeof pair.key.value === 'number' || typeof pair.key.value === 'boolean'
          ? (pair.key.source ?? String(pair.key.value))
          : undefined
      : undefined;
    if (value === undefined || value.trim() === '') {
      issues.push({ line, message: 'each entry is a legacy value (quoted text) followed by `: option`' });
      continue;
    }
    const rawOption = isScalar(pair.value) ? pair.value.value : pair.value === null ? null : undefined;
    if (rawOption !== null && typeof rawOption !== 'string') {
      issues.push({
        line,
        message: `${quote(value)} maps to something that is not an option name; write one of the options, or null to leave it unmapped`,
      });
      continue;
    }
    let option: string | null = rawOption;
    if (option !== null && allowed !== undefined) {
      const known = byKey.get(looseKey(option));
      if (known === undefined) {
        issues.push({
          line,
          message: `${quote(value)} maps to ${quote(option)}, which is not among the options; use one of: ${allowed.join(', ')} (or null to leave it unmapped)`,
        });
        continue;
      }
      option = known;
    }
    const earlier = seen.get(looseKey(value));
    if (earlier !== undefined && earlier.option !== option) {
      issues.push({
        line,
        message: `${quote(value)} and ${quote(earlier.value)} are the same value (case and spaces are ignored) but map differently; keep one`,
      });
      continue;
    }
    seen.set(looseKey(value), { option, value });
    entries.push({ value, option, line });
  }
  return { options: listed, entries, issues };
}
