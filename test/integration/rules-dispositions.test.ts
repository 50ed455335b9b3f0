import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../activities/deps';
import { extractObject } from '../../activities/extract';
import { applyRules, type RulesResult } from '../../activities/preferences';
import type { Staging } from '../../staging/db';
import { testStaging } from '../support/harness';
import { dropJsonlScenario, jsonlScenario, replacePlan, type JsonlScenario } from '../support/jsonl-scenario';

/**
 * The rules stage against the real PostgreSQL: each staged record's disposition (filtered, deduplicated with its
 * survivor, or to migrate) is what the plan's rules decide, whatever an earlier run with other rules had written,
 * and a run whose rules decide what staging already holds writes nothing.
 */

const RULES: Record<string, string> = {
  churnedLatestKept: `    filters: [{ field: status, in: [churned] }]\n    dedupe: { key: [email], survivor: last }\n`,
  trialFirstKept: `    filters: [{ field: status, in: [trial] }]\n    dedupe: { key: [email], survivor: first }\n`,
  dedupeOnly: `    dedupe: { key: [email, country], survivor: most_complete, match: any }\n`,
  none: '',
};

/** 3,000 records: three statuses, 700 distinct emails (so duplicate groups), some countries blank. */
function lines(): string[] {
  return [...Array(3000).keys()].map((i) =>
    JSON.stringify({
      id: `r${i + 1}`,
      status: ['active', 'churned', 'trial'][i % 3],
      email: `user${(i * 7) % 700}@example.com`,
      country: i % 11 === 0 ? '' : ['GB', 'FR', 'DE', 'US'][i % 4],
      note: i % 5 === 0 ? null : `note ${i}`,
    }),
  );
}

interface Held {
  source_id: string;
  disposition: string | null;
  disposition_reason: string | null;
  duplicate_of: string | null;
  version: string;
}

describe('applyRules', () => {
  let staging: Staging;
  let ctx: ActivityContext;
  const scenarios: JsonlScenario[] = [];

  const rules = (s: JsonlScenario): Promise<RulesResult> =>
    new MockActivityEnvironment().run(() => applyRules(ctx, { migrationId: s.migrationId, object: 'items' }));
  /** Each staged record's disposition, and its row version (xmin: a new one for every write of the row). */
  const held = (s: JsonlScenario) => staging.sql<Held[]>`
    select source_id, disposition, disposition_reason, duplicate_of, xmin::text as version
    from staged_records where migration_id = ${s.migrationId} order by source_id`;
  const decided = async (s: JsonlScenario) => (await held(s)).map(({ version: _, ...d }) => d);

  async function extracted(plan: string): Promise<JsonlScenario> {
    const scenario = await jsonlScenario(staging, lines(), RULES[plan]);
    scenarios.push(scenario);
    await new MockActivityEnvironment().run(() =>
      extractObject(ctx, { migrationId: scenario.migrationId, object: 'items', phase: 'full' }),
    );
    return scenario;
  }

  beforeAll(async () => {
    staging = await testStaging();
    ctx = new ActivityContext({ staging });
  });
  afterAll(async () => {
    for (const s of scenarios) await dropJsonlScenario(staging, s);
    await staging.close();
  });

  it('applied again with the same rules, writes no staged record and reports the same', async () => {
    const scenario = await extracted('churnedLatestKept');
    const first = await rules(scenario);
    const before = await held(scenario);
    expect(first.deduplicated).toBeGreaterThan(0);
    expect(first.filtered).toEqual({ 'status in [churned]': 1000 });

    const again = await rules(scenario);

    expect(again).toEqual(first);
    expect(await held(scenario)).toEqual(before);
  });

  it('after the rules changed, gives every record the disposition the new rules decide from scratch', async () => {
    const moving = await extracted('churnedLatestKept');
    await rules(moving);
    for (const plan of ['trialFirstKept', 'none', 'dedupeOnly', 'churnedLatestKept']) {
      await replacePlan(staging, moving, RULES[plan]!);
      const result = await rules(moving);

      const fresh = await extracted(plan);
      expect(result).toEqual(await rules(fresh));
      expect(await decided(moving)).toEqual(await decided(fresh));
    }
  });
});
