import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlanError } from '../../common/errors';
import { parsePlan } from '../../plan/load';
import {
  editDistance,
  mergeMappingFile,
  normaliseValue,
  parseMappingFile,
  renderMappingFile,
  suggestPicklistMapping,
  type PicklistSuggestion,
} from '../../plan/suggest';
import { picklistFinding } from '../../plan/target-check';
import { formatMapSuggestOutcome, type MapSuggestOutcome } from '../../scripts/commands/map';
import { buildTransform, standaloneContext, transformArgs, type TransformSpec } from '../../plan/transforms';
import { DEAL_STAGES, DEAL_STATUSES, type DealStage } from '../../scripts/generate/legacy-crm';

const PROFILED = DEAL_STATUSES.map((s) => ({ value: s.value, count: s.weight }));
const ORIGIN = { field: 'deals.status → stage', source: 'a test profile', optionsFrom: 'the test' };

/** How a suggestion fares against the stage each legacy status truly maps to. */
function score(suggestion: PicklistSuggestion, optionOf: (stage: DealStage) => string) {
  const truth = new Map(DEAL_STATUSES.map((s) => [s.value, optionOf(s.stage)]));
  const placed = suggestion.values.filter((v) => v.option !== null);
  const wrong = placed.filter((v) => v.option !== truth.get(v.value));
  return {
    values: suggestion.values.length,
    correct: placed.length - wrong.length,
    wrong: wrong.map((v) => `${v.value} → ${v.option} (${v.reason})`),
    wrongHighConfidence: wrong.filter((v) => v.confidence === 'high').length,
    unmapped: suggestion.unmapped.length,
  };
}

describe('picklist mapping suggestions for the 105 legacy deal statuses', () => {
  it('places 87 of 105 on their true stage against [New, Qualified, Proposal, Negotiation, Won, Lost], none wrongly', () => {
    const suggestion = suggestPicklistMapping(PROFILED, DEAL_STAGES);
    expect(score(suggestion, (stage) => stage)).toEqual({
      values: 105,
      correct: 87,
      wrong: [],
      wrongHighConfidence: 0,
      unmapped: 18,
    });
    expect(suggestion.mapped).toBe(87);
  });

  it('places the same 87 against Attio-like statuses with an emoji, and maps New/Open to Lead, Dead to Lost', () => {
    const attio = ['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Won 🎉', 'Lost'];
    const suggestion = suggestPicklistMapping(PROFILED, attio);
    const optionOf = (stage: DealStage) => attio[DEAL_STAGES.indexOf(stage)]!;
    expect(score(suggestion, optionOf)).toEqual({
      values: 105,
      correct: 87,
      wrong: [],
      wrongHighConfidence: 0,
      unmapped: 18,
    });
    const by = new Map(suggestion.values.map((v) => [v.value, v]));
    expect(by.get('Closed Won')).toMatchObject({ option: 'Won 🎉', reason: 'synonym', confidence: 'high' });
    expect(by.get('WON!')).toMatchObject({ option: 'Won 🎉', reason: 'case/punctuation' });
    expect(by.get('New')).toMatchObject({ option: 'Lead', reason: 'synonym' });
    expect(by.get('open')).toMatchObject({ option: 'Lead', reason: 'synonym' });
    // "dead" is one letter from "lead": the synonym wins over the typo.
    expect(by.get('Dead')).toMatchObject({ option: 'Lost', reason: 'synonym' });
  });

  it('gives each value a reason a person can check', () => {
    const by = new Map(suggestPicklistMapping(PROFILED, DEAL_STAGES).values.map((v) => [v.value, v]));
    expect(by.get('Won')).toMatchObject({ option: 'Won', reason: 'exact', confidence: 'high' });
    expect(by.get('3 - Proposal')).toMatchObject({ option: 'Proposal', reason: 'case/punctuation' });
    expect(by.get('ClosedWon')).toMatchObject({ option: 'Won', reason: 'synonym', note: 'synonym of Won' });
    expect(by.get('Qualfied')).toMatchObject({ option: 'Qualified', reason: 'typo', confidence: 'medium' });
    expect(by.get('Lsot')).toMatchObject({ option: 'Lost', reason: 'typo', note: 'typo of Lost' });
    expect(by.get('Propsal sent')).toMatchObject({ option: 'Proposal', reason: 'typo' });
    expect(by.get('Lost - competitor')).toMatchObject({ option: 'Lost', reason: 'contains', note: 'contains "lost"' });
    expect(by.get('Redlines')).toMatchObject({ option: null, reason: 'none', confidence: 'none' });
    expect(by.get('Redlines')!.note).toBe('unmapped: fill in');
  });

  it('lists values most frequent first, with their counts', () => {
    const { values } = suggestPicklistMapping(PROFILED, DEAL_STAGES);
    expect(values.slice(0, 3).map((v) => v.count)).toEqual([30, 30, 30]);
    expect(values.map((v) => v.count)).toEqual([...values.map((v) => v.count)].sort((a, b) => b - a));
  });
});

describe('suggestion rules on dirty values', () => {
  const options = ['New', 'Won', 'Lost'];
  const one = (value: string, opts: string[] = options) =>
    suggestPicklistMapping([{ value, count: 1 }], opts).values[0];

  it('normalises case, accents, punctuation, emoji, separators, numbering and camel case', () => {
    expect(normaliseValue('  5 - Closed_Won!! 🎉 ')).toBe('closed won');
    expect(normaliseValue('ClosedWon')).toBe('closed won');
    expect(normaliseValue('Négociation')).toBe('negociation');
    expect(normaliseValue("won't")).toBe('wont');
    expect(normaliseValue('(2) Qualified')).toBe('qualified');
    expect(normaliseValue('🎉')).toBe('');
    expect(normaliseValue('')).toBe('');
    expect(normaliseValue('2024')).toBe('2024');
  });

  it('measures Damerau-Levenshtein distance with transpositions, and stops past the bound', () => {
    expect(editDistance('lsot', 'lost')).toBe(1);
    expect(editDistance('qualfied', 'qualified')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('a'.repeat(10_000), 'b', 2)).toBe(3);
    expect(editDistance('🎉a', 'a🎉')).toBe(1);
  });

  it('skips blanks, merges values equal once trimmed, and handles an empty profile', () => {
    const s = suggestPicklistMapping(
      [
        { value: ' Won', count: 2 },
        { value: 'Won ', count: 3 },
        { value: '   ', count: 9 },
      ],
      options,
    );
    expect(s.values).toEqual([expect.objectContaining({ value: 'Won', count: 5, option: 'Won' })]);
    expect(suggestPicklistMapping([], options)).toEqual({ options, values: [], mapped: 0, unmapped: [] });
  });

  it('leaves word order and word-order typos to the option ("Won Closed", "Won - Closed")', () => {
    expect(one('Won Closed', ['Closed Won', 'Closed Lost'])).toMatchObject({
      option: 'Closed Won',
      reason: 'case/punctuation',
    });
  });

  it('does not place a negated stage, nor a value holding two stages', () => {
    expect(one('not won')).toMatchObject({ option: null, reason: 'none' });
    expect(one('Won/Lost')).toMatchObject({ option: null, note: 'unmapped: ambiguous (Won or Lost); fill in' });
  });

  it('gives no synonym when two options share a stage', () => {
    expect(one('Prospect', ['New', 'Open', 'Won'])).toMatchObject({ option: null });
    expect(one('open', ['New', 'Open', 'Won'])).toMatchObject({ option: 'Open', reason: 'case/punctuation' });
  });

  it('allows no typo in words under 4 letters, and leaves emoji-only or huge values unplaced', () => {
    expect(one('wan')).toMatchObject({ option: null });
    expect(one('🎉🎉')).toMatchObject({ option: null });
    expect(one('x'.repeat(100_000))).toMatchObject({ option: null });
  });

  it('keeps an earlier decision, even one a rule would make differently, and an undecided null', () => {
    const s = suggestPicklistMapping(
      [
        { value: 'Closed Won', count: 4 },
        { value: 'Redlines', count: 1 },
        { value: 'Signed', count: 2 },
      ],
      options,
      new Map([
        ['Closed Won', 'Lost'],
        ['Redlines', null],
      ]),
    );
    expect(s.values.map((v) => [v.value, v.option, v.reason])).toEqual([
      ['Closed Won', 'Lost', 'kept'],
      ['Signed', 'Won', 'synonym'],
      ['Redlines', null, 'kept'],
    ]);
    expect(s.unmapped).toEqual(['Redlines']);
  });
});

describe('the mapping file', () => {
  const suggestion = suggestPicklistMapping(PROFILED, DEAL_STAGES);
  const text = renderMappingFile(suggestion, ORIGIN);

  it('says how it was made and how to edit it, lists the options, and a line per value with count and reason', () => {
    expect(text).toMatch(/^# Picklist mapping of deals\.status → stage, proposed by `tern map suggest` from a test/);
    expect(text).toContain('replace every null with an option');
    expect(text).toContain('options: ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]');
    expect(text).toContain('  # 18 values need a person:');
    expect(text).toContain('  "Redlines": null # 1 record · unmapped: fill in');
    expect(text).toContain('  "Closed Won": "Won" # 25 records · synonym of Won');
    expect(text).toContain('  "Qualfied": "Qualified" # 1 record · typo of Qualified');
  });

  it('reads back as the suggestion: every value, its option or null', () => {
    const read = parseMappingFile(text, DEAL_STAGES);
    expect(read.issues).toEqual([]);
    expect(read.options).toEqual(DEAL_STAGES);
    expect(new Map(read.entries.map((e) => [e.value, e.option]))).toEqual(
      new Map(suggestion.values.map((v) => [v.value, v.option])),
    );
  });

  it('adds new values to an edited file and keeps every edit and comment', () => {
    const edited = text
      .replace('"Redlines": null # 1 record · unmapped: fill in', '"Redlines": "Negotiation" # legal asked for changes')
      .replace('"Sold": "Won"', '"Sold": "Negotiation"');
    const merged = mergeMappingFile(
      edited,
      [{ value: 'On hold', count: 3, option: null, reason: 'none', confidence: 'none', note: 'unmapped: fill in' }],
      DEAL_STAGES,
    );
    expect(merged).toContain('"Redlines": "Negotiation" # legal asked for changes');
    expect(merged).toContain('# Picklist mapping of deals.status');
    expect(merged).toContain('"On hold": null # new · 3 records · unmapped: fill in');
    const read = parseMappingFile(merged, DEAL_STAGES);
    expect(read.issues).toEqual([]);
    const entries = new Map(read.entries.map((e) => [e.value, e.option]));
    expect(entries.get('Sold')).toBe('Negotiation');
    expect(entries.get('On hold')).toBeNull();
    expect(entries.size).toBe(106);
  });

  it('reports problems with their lines: syntax, an option that does not exist, a repeated value, a bad shape', () => {
    const syntax = parseMappingFile('values:\n  "a": [\n', DEAL_STAGES).issues[0]!;
    expect(syntax.line).toBeGreaterThanOrEqual(2);
    expect(syntax.message).toMatch(/^YAML syntax error/);
    expect(parseMappingFile('values:\n  "Closed Won": Wonn\n', DEAL_STAGES).issues).toEqual([
      {
        line: 2,
        message:
          '"Closed Won" maps to "Wonn", which is not among the options; use one of: New, Qualified, Proposal, Negotiation, Won, Lost (or null to leave it unmapped)',
      },
    ]);
    expect(parseMappingFile('values:\n  won: Won\n  " WON": Lost\n', DEAL_STAGES).issues).toEqual([
      {
        line: 3,
        message: '" WON" and "won" are the same value (case and spaces are ignored) but map differently; keep one',
      },
    ]);
    expect(parseMappingFile('values: [a, b]\n').issues[0]!.message).toMatch(/`values` must map each legacy value/);
    expect(parseMappingFile('options: [A]\n').issues[0]!.message).toMatch(/`values` is missing/);
    expect(parseMappingFile('- a\n').issues[0]!.message).toMatch(/a mapping file is a map/);
    expect(parseMappingFile('values:\n  x: { a: 1 }\n').issues[0]).toMatchObject({ line: 2 });
  });

  it('matches options case-insensitively and spells them as the options do; reads plain keys as written', () => {
    const read = parseMappingFile('values:\n  closed won: won\n  1.50: lost\n  true: New\n', DEAL_STAGES);
    expect(read.issues).toEqual([]);
    expect(read.entries.map((e) => [e.value, e.option])).toEqual([
      ['closed won', 'Won'],
      ['1.50', 'Lost'],
      ['true', 'New'],
    ]);
  });
});

describe('picklist aliasesFile in a plan', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-aliases-'));
    fs.mkdirSync(path.join(dir, 'mappings'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const plan = (picklist: string, policy = '') => `version: 1
name: Deals
source: { kind: csv, directory: data }
target: { kind: postgres, schema: crm }
objects:
  - name: deals
    source: { file: deals.csv, id: id }
    target: { table: deals, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - from: status
        to: stage
        transform:
          - picklist: { ${picklist}${policy} }
`;
  const load = (text: string, options = {}) => parsePlan(text, path.join(dir, 'plan.yaml'), options);
  const mapping = (text: string) => fs.writeFileSync(path.join(dir, 'mappings/deals.status.yaml'), text);
  const problems = (text: string): string => {
    try {
      load(text);
    } catch (err) {
      if (err instanceof PlanError) return err.message;
      throw err;
    }
    throw new Error('expected the plan to be invalid');
  };
  const picklistOf = (text: string) => load(text).plan.objects[0]!.fields[1]!.transform[0] as TransformSpec;
  const FILE = 'options: [New, Won, Lost], aliasesFile: mappings/deals.status.yaml';
  const LINE = 14;

  it('fills aliases from the file (relative to the plan), keeps inline aliases, and lists null entries as unfilled', () => {
    mapping('values:\n  "Closed Won": Won\n  "dead": lost\n  "Redlines": null\n  "Sold": null\n');
    const spec = picklistOf(plan(`${FILE}, aliases: { Sold: Won }`));
    expect(transformArgs(spec)).toMatchObject({
      aliases: { 'Closed Won': 'Won', dead: 'Lost', Sold: 'Won' },
      unfilled: ['Redlines'],
      aliasesFile: 'mappings/deals.status.yaml',
    });
    const picklist = buildTransform(spec);
    expect(picklist('closed  won', standaloneContext())).toBe('Won');
    expect(picklist('DEAD', standaloneContext())).toBe('Lost');
    expect(() => picklist('Redlines', standaloneContext())).toThrow(
      '"Redlines" is not one of the 3 picklist options; map it to an option in mappings/deals.status.yaml or set picklist.unmapped: default',
    );
  });

  it('takes the options from the file when the plan lists none', () => {
    mapping('options: [New, Won, Lost]\nvalues:\n  "Closed Won": Won\n');
    expect(transformArgs(picklistOf(plan('aliasesFile: mappings/deals.status.yaml')))).toMatchObject({
      options: ['New', 'Won', 'Lost'],
      aliases: { 'Closed Won': 'Won' },
    });
  });

  it('names the missing file, its resolved path and the command that creates it', () => {
    const message = problems(plan(FILE));
    expect(message).toContain(
      `plan.yaml:${LINE} objects.0.fields.1.transform.0.picklist.aliasesFile: cannot read mapping file mappings/deals.status.yaml (${path.join(dir, 'mappings/deals.status.yaml')}: ENOENT); create it with \`tern map suggest <plan> deals.status\`, or correct the path (relative to the plan file)`,
    );
  });

  it('loads a plan whose mapping file does not exist yet when asked (for `tern map suggest`)', () => {
    const { plan: loaded } = load(plan(FILE), { allowMissingAliasesFiles: true });
    expect(transformArgs(loaded.objects[0]!.fields[1]!.transform[0]!).aliases).toBeUndefined();
  });

  it('names the mapping file and line of a value mapped to something not among the options', () => {
    mapping('values:\n  "Closed Won": Won\n  "Signed": Booked\n');
    expect(problems(plan(FILE))).toContain(
      `plan.yaml:${LINE} objects.0.fields.1.transform.0.picklist.aliasesFile: mappings/deals.status.yaml:3: "Signed" maps to "Booked", which is not among the options; use one of: New, Won, Lost (or null to leave it unmapped)`,
    );
  });

  it('names the mapping file and line of a YAML syntax error', () => {
    mapping('values:\n  "Closed Won": Won\n  "Signed: Won\n');
    expect(problems(plan(FILE))).toMatch(/aliasesFile: mappings\/deals\.status\.yaml:\d+: YAML syntax error/);
  });

  it('refuses a value the file and the inline aliases map to different options', () => {
    mapping('values:\n  "Signed": Won\n');
    expect(problems(plan(`${FILE}, aliases: { signed: Lost }`))).toContain(
      'mappings/deals.status.yaml:2: "Signed" maps to "Won" there and to "Lost" in picklist.aliases; keep one',
    );
  });

  it('makes null entries an error under unmapped: strict, listing them, and a warning otherwise', () => {
    mapping('values:\n  "Closed Won": Won\n  "Redlines": null\n  "Verbal": null\n');
    const strict = transformArgs(picklistOf(plan(FILE, ', unmapped: strict')));
    expect(picklistFinding(strict, 'deals.status')).toEqual({
      severity: 'error',
      message: '2 status value(s) are left null in mappings/deals.status.yaml: "Redlines", "Verbal"',
      fix: 'map each to an option in mappings/deals.status.yaml (replace null; `tern map suggest <plan> deals.status` adds values it has not listed yet), or set picklist.unmapped: quarantine | default',
    });
    const quarantine = transformArgs(picklistOf(plan(FILE)));
    const warning = picklistFinding(quarantine, 'deals.status')!;
    expect(warning.severity).toBe('warning');
    expect(warning.message).toMatch(/; they will be handled by unmapped: quarantine$/);
  });

  it('counts profiled values that neither the file nor the options cover, beside the null entries', () => {
    mapping('values:\n  "Closed Won": Won\n  "Redlines": null\n');
    const args = transformArgs(picklistOf(plan(FILE, ', unmapped: strict')));
    const profile = {
      field: 'status',
      blank: 0,
      blankPercent: 0,
      distinct: 4,
      top: [],
      picklistCandidate: true,
      values: [
        { value: 'Closed Won', count: 7 },
        { value: 'Redlines', count: 2 },
        { value: 'On hold', count: 3 },
        { value: 'won', count: 1 },
      ],
      maxLength: 10,
      multiValue: 0,
      types: { number: 0, date: 0, boolean: 0, email: 0, text: 4 },
      dominantType: 'text' as const,
      typeAnomalies: 0,
    };
    expect(picklistFinding(args, 'deals.status', profile)).toMatchObject({
      severity: 'error',
      message:
        '2 status value(s) in the source match no picklist option or alias (5 records): "Redlines" (2), "On hold" (3)',
    });
  });
});

describe('spelling variants are not typos', () => {
  const ratings = ['G', 'PG', 'PG-13', 'R', 'NC-17'];
  const place = (value: string, options = ratings) => suggestPicklistMapping([{ value, count: 1 }], options).values[0]!;

  it.each([
    ['PG13', 'PG-13'],
    ['pg 13', 'PG-13'],
    ['NC17', 'NC-17'],
    ['N.C.-17', 'NC-17'],
  ])('places %s as a spelling variant of %s, with high confidence', (value, option) => {
    expect(place(value)).toMatchObject({
      option,
      reason: 'case/punctuation',
      confidence: 'high',
      note: `spelling variant of ${option}`,
    });
  });

  it('still calls a changed letter a typo', () => {
    expect(place('Qualfied', ['Qualified', 'Lost'])).toMatchObject({ reason: 'typo', note: 'typo of Qualified' });
  });

  it('joins a spacing variant of a placed value as a variant of it, not a typo', () => {
    const s = suggestPicklistMapping(
      [
        { value: 'Lost to competitor', count: 5 },
        { value: 'Lostto competitor', count: 1 },
      ],
      ['Won', 'Lost'],
    );
    const by = new Map(s.values.map((v) => [v.value, v]));
    expect(by.get('Lost to competitor')).toMatchObject({ option: 'Lost', reason: 'contains' });
    expect(by.get('Lostto competitor')).toMatchObject({
      option: 'Lost',
      reason: 'case/punctuation',
      note: 'spelling variant of "Lost to competitor"',
    });
  });
});

describe('map suggest output path', () => {
  const outcome = (file: string): MapSuggestOutcome => ({
    migrationId: 'mig_x',
    object: 'films',
    field: 'rating',
    to: 'rating',
    file,
    aliasesFile: 'mappings/films.rating.yaml',
    written: true,
    merged: false,
    optionsFrom: 'plan',
    complete: true,
    values: 2,
    records: 3,
    mappedByRule: 2,
    kept: 0,
    added: 0,
    needPerson: [],
    planUsesFile: false,
    suggestion: { options: [], values: [], mapped: 0, unmapped: [] },
  });
  const first = (text: string) => text.split('\n')[0]!.split(': ')[0];

  it('prints a file inside the working folder relative to it', () => {
    const cwd = path.join(os.tmpdir(), 'work');
    const text = formatMapSuggestOutcome(
      outcome(path.join(cwd, 'plans', 'mappings', 'films.rating.yaml')),
      'p.yaml',
      cwd,
    );
    expect(first(text)).toBe(path.join('plans', 'mappings', 'films.rating.yaml'));
  });

  it('prints a file outside the working folder absolute, never as ../..', () => {
    const cwd = path.join(os.tmpdir(), 'work', 'deep');
    const file = path.join(os.tmpdir(), 'elsewhere', 'mappings', 'films.rating.yaml');
    const text = formatMapSuggestOutcome(outcome(file), 'p.yaml', cwd);
    expect(first(text)).toBe(file);
    expect(text).not.toContain('..');
    expect(text).toContain("(the path is relative to the plan's folder)");
  });
});
