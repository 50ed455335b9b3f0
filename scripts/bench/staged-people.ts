import type { Client, WorkflowHandle } from '@temporalio/client';
import { parsePlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { objectWorkflowId, type objectLoadWorkflow } from '../../workflows/phase';

/**
 * People staged straight into staging (no source read) under a plan that writes them to an Attio workspace:
 * what the governor bench and the exactly-once test load through Tern's one write protocol.
 */
export interface StagedPeople {
  migrationId: string;
  count: number;
  /** The Attio workspace (a sandbox's URL) and the environment variable holding its token. */
  baseUrl: string;
  tokenEnv: string;
  rate: number;
  concurrency?: number;
  pageSize?: number;
}

export function peopleId(i: number): string {
  return `p${String(i).padStart(7, '0')}`;
}

export async function stagePeople(staging: Staging, people: StagedPeople): Promise<void> {
  const yaml = `
version: 1
name: People ${people.migrationId}
source: { kind: csv, directory: . }
target:
  kind: attio
  baseUrl: ${people.baseUrl}
  credentials: { kind: bearer, tokenEnv: ${people.tokenEnv} }
  budget: { ratePerSecond: ${people.rate}, concurrency: ${people.concurrency ?? 8}, exceedDocumented: true }
objects:
  - name: people
    source: { file: people.csv, id: id }
    target: { resource: people, key: tern_id }
    pageSize: ${people.pageSize ?? 100}
    fields:
      - { from: id, to: tern_id }
      - { from: name, to: name }
      - { from: job_title, to: job_title }
`;
  const loaded = parsePlan(yaml, 'people.yaml');
  await saveMigration(staging.db, {
    id: people.migrationId,
    plan: loaded.plan,
    planHash: loaded.hash,
    actor: 'bench',
  });
  await staging.sql`
    insert into staged_records (migration_id, object, source_id, raw, source_hash)
    select ${people.migrationId}, 'people', 'p' || lpad(i::text, 7, '0'),
           jsonb_build_object('id', 'p' || lpad(i::text, 7, '0'), 'name', 'Person ' || i, 'job_title', 'Title ' || (i % 17)),
           md5(i::text)
    from generate_series(1, ${people.count}) as i`;
}

/** Starts the load of the staged people (the full phase's object workflow, on the Attio task queue). */
export async function startPeopleLoad(
  client: Client,
  taskQueue: string,
  migrationId: string,
): Promise<WorkflowHandle<typeof objectLoadWorkflow>> {
  return client.workflow.start<typeof objectLoadWorkflow>('objectLoadWorkflow', {
    taskQueue,
    workflowId: objectWorkflowId(migrationId, 'full', 'people'),
    args: [{ migrationId, phase: 'full', object: 'people', targetKind: 'attio' }],
  });
}

export type { ObjectReconciliation };
