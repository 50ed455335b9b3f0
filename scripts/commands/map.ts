import fs from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { StoredProfile } from '../../activities/preferences';
import { ConfigError } from '../../common/errors';
import type { GoldSchema } from '../../plan/gold';
import type { LoadedPlan } from '../../plan/load';
import {
  mergeMappingFile,
  parseMappingFile,
  renderMappingFile,
  suggestPicklistMapping,
  type PicklistSuggestion,
} from '../../plan/suggest';
import { transformArgs, transformName } from '../../plan/transforms';
import type { StagingDb } from '../../staging/db';
import { migrations, profiles } from '../../staging/schema';

/** `tern map suggest`: a picklist mapping file proposed from the preferences profile and the target's options. */

export interface MapSuggestOptions {
  migrationId: string;
  /** Where to write (default: the picklist's aliasesFile, else mappings/<object>.<field>.yaml by the plan). */
  out?: string;
  /** Write a new file over an existing one (its edits are lost). */
  force?: boolean;
}

export interface MapSuggestOutcome {
  migrationId: string;
  object: string;
  field: string;
  to: string;
  /** The mapping file, absolute, and as the plan's `aliasesFile` would name it (relative to the plan). */
  file: string;
  aliasesFile: string;
  /** Whether the file was written (false: it existed and had every profiled value already). */
  written: boolean;
  /** Whether an existing file was extended (its entries kept) rather than written anew. */
  merged: boolean;
  optionsFrom: 'target' | 'plan';
  /** The profile held every distinct value (a picklist candidate), not only the most frequent ones. */
  complete: boolean;
  values: number;
  records: number;
  mappedByRule: number;
  kept: number;
  added: number;
  /** Values a person must map (null in the file). */
  needPerson: string[];
  /** Whether the plan's picklist already reads this file. */
  planUsesFile: boolean;
  suggestion: PicklistSuggestion;
}

const looseKey = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Proposes (or extends) the mapping file of one picklist field: `target` is `<object>.<field>`, the field
 * being the source field (`from`) or, failing that, the target field (`to`) of a field mapping.
 */
export async function suggestMapping(
  loaded: LoadedPlan,
  target: string,
  db: StagingDb,
  options: MapSuggestOptions,
): Promise<MapSuggestOutcome> {
  const { plan } = loaded;
  const dot = target.indexOf('.');
  const objectName = dot > 0 ? target.slice(0, dot) : '';
  const fieldName = dot > 0 ? target.slice(dot + 1) : '';
  if (!objectName || !fieldName)
    throw new ConfigError(
      `"${target}" is not <object>.<field>`,
      'name the field as its object and source field, e.g. deals.status',
    );
  const object = plan.objects.find((o) => o.name === objectName);
  if (!object)
    throw new ConfigError(
      `the plan has no object "${objectName}"`,
      `use one of: ${plan.objects.map((o) => o.name).join(', ')}`,
    );
  const mapping =
    object.fields.find((f) => f.from === fieldName) ?? object.fields.find((f) => f.to === fieldName && !f.from);
  if (!mapping?.from)
    throw new ConfigError(
      `${objectName} maps no source field "${fieldName}"`,
      `name one of its source fields: ${object.fields.flatMap((f) => (f.from ? [f.from] : [])).join(', ')}`,
    );
  const field = mapping.from;
  const picklist = mapping.transform.find((t) => transformName(t) === 'picklist');
  if (!picklist)
    throw new ConfigError(
      `${objectName}.${field} → ${mapping.to} is not mapped through a picklist`,
      `add { picklist: { options: [<the target's options>] } } to its transforms, then run \`tern map suggest\` again`,
    );
  const args = transformArgs(picklist);

  const [row] = await db
    .select()
    .from(profiles)
    .where(and(eq(profiles.migrationId, options.migrationId), eq(profiles.object, objectName)));
  if (!row)
    throw new ConfigError(
      `migration ${options.migrationId} has no preferences profile of ${objectName} yet`,
      `run \`tern run preferences <plan>\` first (or pass the migration it ran under with --migration)`,
    );
  const profile = row.profile as StoredProfile;
  const fieldProfile = profile.fields.find((f) => f.field === field);
  if (!fieldProfile)
    throw new ConfigError(
      `the preferences profile of ${objectName} (${options.migrationId}) has no field "${field}"`,
      'run `tern run preferences <plan>` again: the profile predates this field, or the source has no such column',
    );

  const [migration] = await db
    .select({ gold: migrations.goldSchema })
    .from(migrations)
    .where(eq(migrations.id, options.migrationId));
  const gold = migration?.gold as GoldSchema | null | undefined;
  const column = gold?.tables[object.target.table]?.columns.find((c) => c.name === mapping.to);
  const planOptions = Array.isArray(args.options) ? args.options.map(String) : [];
  const optionsFrom = column?.options && column.options.length > 0 ? 'target' : 'plan';
  const optionList = optionsFrom === 'target' ? column!.options! : planOptions;
  if (optionList.length === 0)
    throw new ConfigError(
      `no options known for ${objectName}.${field} → ${mapping.to}`,
      'list them in the picklist (options: [...]), or run `tern run preferences <plan>` to read them from the target',
    );

  const named = typeof args.aliasesFile === 'string' ? path.resolve(loaded.baseDir, args.aliasesFile) : undefined;
  const file = options.out
    ? path.resolve(options.out)
    : (named ?? path.join(loaded.baseDir, 'mappings', `${objectName}.${field}.yaml`));
  const values = fieldProfile.values ?? fieldProfile.top;
  const existing = fs.existsSync(file) && !options.force ? fs.readFileSync(file, 'utf8') : undefined;

  const decided = new Map<string, string | null>();
  if (existing !== undefined) {
    const read = parseMappingFile(existing);
    const problem = read.issues[0];
    if (problem)
      throw new ConfigError(
        `${path.relative(process.cwd(), file)}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`,
        'correct the file, or pass --force to write a new one (its edits are then lost)',
      );
    const byKey = new Map(read.entries.map((e) => [looseKey(e.value), e.option]));
    for (const { value } of values)
      if (byKey.has(looseKey(value))) decided.set(value.trim(), byKey.get(looseKey(value))!);
  }
  const suggestion = suggestPicklistMapping(values, optionList, decided);
  const additions = suggestion.values.filter((v) => v.reason !== 'kept');
  const origin = {
    field: `${objectName}.${field} → ${mapping.to}`,
    source: `the preferences profile of ${options.migrationId} (${row.createdAt.toISOString().slice(0, 10)}, ${profile.rows} records${fieldProfile.values ? '' : `; only the ${values.length} most frequent of ${fieldProfile.distinct} values`})`,
    optionsFrom:
      optionsFrom === 'target'
        ? `the target's options of ${object.target.table}.${mapping.to}, as preferences froze them`
        : "the plan's picklist options",
  };
  let written = false;
  if (existing === undefined) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, renderMappingFile(suggestion, origin));
    written = true;
  } else if (additions.length > 0) {
    fs.writeFileSync(file, mergeMappingFile(existing, additions, optionList));
    written = true;
  }
  const kept = suggestion.values.length - additions.length;
  return {
    migrationId: options.migrationId,
    object: objectName,
    field,
    to: mapping.to,
    file,
    aliasesFile: path.relative(loaded.baseDir, file).split(path.sep).join('/'),
    written,
    merged: existing !== undefined,
    optionsFrom,
    complete: fieldProfile.values !== undefined,
    values: suggestion.values.length,
    records: suggestion.values.reduce((n, v) => n + v.count, 0),
    mappedByRule: additions.filter((v) => v.option !== null).length,
    kept,
    added: existing === undefined ? 0 : additions.length,
    needPerson: suggestion.unmapped,
    planUsesFile: named !== undefined && named === file,
    suggestion,
  };
}

/** The summary for people: what was written, how much a rule placed, what is left, and what to do next. */
export function formatMapSuggestOutcome(outcome: MapSuggestOutcome, planFile: string, cwd = process.cwd()): string {
  const shown = shownPath(outcome.file, cwd);
  const lines = [
    `${shown}: ${outcome.values} values (${outcome.records} records) of ${outcome.object}.${outcome.field} → ${outcome.to}, options from the ${outcome.optionsFrom === 'target' ? 'target' : 'plan'}: ${outcome.mappedByRule} mapped by rule, ${outcome.kept} kept from the file, ${outcome.needPerson.length} need a person${outcome.written ? (outcome.merged ? ` (${outcome.added} added)` : '') : ' (already up to date; not written)'}`,
  ];
  if (!outcome.complete)
    lines.push(
      `note: ${outcome.object}.${outcome.field} is not a picklist candidate: only its most frequent values are profiled`,
    );
  if (outcome.needPerson.length > 0)
    lines.push(
      `need a person: ${outcome.needPerson
        .slice(0, 10)
        .map((v) => JSON.stringify(v))
        .join(', ')}${outcome.needPerson.length > 10 ? ', …' : ''} (replace null in the file)`,
    );
  if (!outcome.planUsesFile)
    lines.push(
      `next: add \`aliasesFile: ${outcome.aliasesFile}\` to the picklist of ${outcome.object}.${outcome.field} in ${planFile} (the path is relative to the plan's folder)`,
    );
  lines.push(`then: \`tern plan validate ${planFile}\``);
  return lines.join('\n');
}

/**
 * A file as a person finds it from where they typed the command: relative to the working folder when it is
 * inside it, else absolute (never a climb of `../..` out of the working folder).
 */
export function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? path.resolve(file) : relative;
}
