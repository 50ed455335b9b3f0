import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { uniqueId } from './harness';

/** A JSON-lines source of one object, `items` (source id `id`), and a migration whose plan reads it. */
export interface JsonlScenario {
  migrationId: string;
  dir: string;
}

/** The plan of a JSON-lines scenario; `rules` is YAML added to the object (filters, dedupe), indented 4 spaces. */
export function jsonlPlan(migrationId: string, dir: string, rules = ''): string {
  return `
version: 1
name: Items ${migrationId}
source: { kind: jsonl, directory: ${JSON.stringify(dir)} }
target: { kind: postgres, schema: ${migrationId} }
objects:
  - name: items
    source: { file: items.jsonl, id: id }
    target: { table: items, key: legacy_id }
${rules}    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
`;
}

/** Writes the lines as the source file and saves a migration with the plan reading it. */
export async function jsonlScenario(staging: Staging, lines: string[], rules = ''): Promise<JsonlScenario> {
  const migrationId = uniqueId('mig_items');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-items-'));
  fs.writeFileSync(path.join(dir, 'items.jsonl'), lines.join('\n') + '\n');
  await replacePlan(staging, { migrationId, dir }, rules);
  return { migrationId, dir };
}

/** Saves the scenario's plan again with other rules (as `tern` does when a plan file changed). */
export async function replacePlan(staging: Staging, scenario: JsonlScenario, rules: string): Promise<void> {
  const loaded = parsePlan(jsonlPlan(scenario.migrationId, scenario.dir, rules), path.join(scenario.dir, 'plan.yaml'));
  await saveMigration(staging.db, {
    id: scenario.migrationId,
    plan: loaded.plan,
    planHash: loaded.hash,
    actor: 'test',
  });
}

export async function dropJsonlScenario(staging: Staging, scenario: JsonlScenario): Promise<void> {
  await staging.sql`delete from migrations where id = ${scenario.migrationId}`;
  await staging.sql`delete from audit_log where migration_id = ${scenario.migrationId}`;
  fs.rmSync(scenario.dir, { recursive: true, force: true });
}
