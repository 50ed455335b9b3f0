import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import type { RunnablePhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontSandbox } from '../../sandboxes/front';
import { zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import { runPhase, testClient, testSettings, testStaging, uniqueId } from './harness';

/**
 * A Zendesk → Front migration for integration tests: both sandboxes (seeded, limits raised), the example plan
 * pointed at them, and each phase run to its end in a worker of the test's own.
 */
export interface ZendeskFrontRig {
  staging: Staging;
  client: Client;
  settings: TernSettings;
  zendesk: RunningSandbox;
  front: RunningSandbox;
  /** The example plan; a test may narrow its objects or page sizes before the first phase. */
  loaded: LoadedPlan;
  migrationId: string;
  run<P extends RunnablePhase>(phase: P): ReturnType<typeof runPhase<P>>;
  close(): Promise<void>;
}

export async function zendeskFrontRig(options: {
  prefix: string;
  seed: number;
  size: number;
}): Promise<ZendeskFrontRig> {
  const staging = await testStaging();
  const settings = testSettings();
  const client = await testClient(settings);
  const zendesk = await startSandbox(zendeskSandbox, { seed: options.seed, size: options.size, rate: 2000 });
  const front = await startSandbox(frontSandbox, { seed: options.seed, rate: 2000 });
  Object.assign(process.env, SANDBOX_CREDENTIALS);
  const migrationId = uniqueId(options.prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tern-${options.prefix}-`));
  const loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
  return {
    staging,
    client,
    settings,
    zendesk,
    front,
    loaded,
    migrationId,
    run: (phase) => runPhase({ staging, client, settings, loaded, migrationId }, phase),
    async close() {
      await zendesk.close();
      await front.close();
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
