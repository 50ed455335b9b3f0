import { ConfigError } from '../../common/errors';
import { explainMergedRecord } from '../../scripts/commands/explain';
import type { MergeExplanation } from '../../scripts/client/explain';
import { idMap, mergeLineage, mergeMembers, migrations, quarantine, stagedRecords } from '../../staging/schema';
import { testEnv, uniqueId, useTernEnvironment } from '../support/harness';
import { runTern } from '../support/processes';

/**
 * `tern explain` over real PostgreSQL: a migration whose companies were merged from HubSpot and the legacy CRM, its
 * staging rows (members, lineage, ledger, staged records, quarantine) written as the merge engine writes them, read
 * back by the command's function and by the CLI as an operator runs it.
 */
describe('tern explain', () => {
  const env = useTernEnvironment();
  // Inside: its afterAll (dropping the migration) runs before the environment's closes staging.
  describe('on companies merged from HubSpot and the legacy CRM', () => {
    const migrationId = uniqueId('mig_explain');
    const cli = () => ({ DATABASE_URL: testEnv().databaseUrl });

    const plan = {
      version: 1,
      name: `Explain ${migrationId}`,
      sources: {
        hubspot: { kind: 'hubspot', baseUrl: 'http://127.0.0.1:9', credentials: { kind: 'bearer', tokenEnv: 'HS' } },
        legacy: { kind: 'postgres', urlEnv: 'LEGACY_CRM_URL', schema: 'crm' },
      },
      target: { kind: 'postgres', urlEnv: 'MERGE_TARGET_URL', schema: 'merged' },
      objects: [
        {
          // As a loaded plan stores a merged object: what the load reads, and the merged section under `merge`.
          name: 'companies',
          source: { id: '_ref', encoding: 'utf8', delimiter: ',' },
          target: { table: 'companies', key: 'merge_ref' },
          fields: ['merge_ref', 'name', 'domain', 'phone', 'tags'].map((to) => ({
            from: to === 'merge_ref' ? '_ref' : to,
            to,
            transform: [],
          })),
          merge: {
            name: 'companies',
            target: { table: 'companies', key: 'merge_ref' },
            sources: [
              {
                source: 'hubspot',
                object: 'companies',
                id: 'id',
                updatedAt: 'hs_lastmodifieddate',
                fields: [
                  { from: 'name', to: 'name', transform: [] },
                  { from: 'domain', to: 'domain', transform: [] },
                  { from: 'phone', to: 'phone', transform: [] },
                  { from: 'tags', to: 'tags', transform: [] },
                ],
              },
              {
                source: 'legacy',
                object: 'accounts',
                id: 'account_id',
                updatedAt: 'modified_at',
                fields: [
                  { from: 'account_name', to: 'name', transform: [] },
                  { from: 'website', to: 'domain', transform: [] },
                  { from: 'tel', to: 'phone', transform: [] },
                  { from: 'labels', to: 'tags', transform: [] },
                ],
              },
            ],
            match: [
              { kind: 'domain', field: 'domain' },
              { kind: 'phone', field: 'phone', defaultCountry: 'US' },
            ],
            survivorship: { name: { rule: 'priority', sources: ['legacy'] }, tags: { rule: 'union' } },
          },
        },
        {
          name: 'deals',
          source: { from: 'legacy', table: 'deals', id: 'deal_id' },
          target: { table: 'deals', key: 'legacy_id' },
          fields: [{ from: 'deal_id', to: 'legacy_id', transform: [] }],
        },
      ],
    };

    const member = (
      ref: string,
      mergedRef: string,
      groupId: string,
      status: string,
      matchRule: string | null,
      fields: Record<string, unknown>,
      updatedAt: string,
    ) => {
      const [source, sourceId] = ref.split('/') as [string, string];
      const sourceUpdatedAt = new Date(updatedAt);
      return {
        migrationId,
        object: 'companies',
        ref,
        source,
        sourceId,
        mergedRef,
        groupId,
        status,
        matchRule,
        fields,
        sourceUpdatedAt,
      };
    };
    const lineageRow = (
      field: string,
      position: number,
      value: unknown,
      ref: string,
      sourceField: string,
      rule: string,
    ) => {
      const [source, sourceId] = ref.split('/') as [string, string];
      return {
        migrationId,
        object: 'companies',
        mergedRef: 'hubspot/123',
        field,
        position,
        value,
        source,
        sourceId,
        sourceField,
        rule,
      };
    };
    const staged = (ref: string, extra: Partial<typeof stagedRecords.$inferInsert> = {}) => ({
      migrationId,
      object: 'companies',
      sourceId: ref,
      raw: { ref },
      sourceHash: `h-${ref}`,
      ...extra,
    });

    beforeAll(async () => {
      const { db } = env.staging;
      await db.insert(migrations).values({
        id: migrationId,
        name: plan.name,
        plan,
        planHash: 'explain-test',
        sourceKind: 'multi',
        targetKind: 'postgres',
      });
      await db.insert(mergeMembers).values([
        member(
          'hubspot/123',
          'hubspot/123',
          'mg_00aa11bb22cc33dd',
          'merged',
          'domain on domain',
          { name: 'Acme Inc', domain: 'acme.com', phone: '+1 212 555 0123', tags: ['vip'] },
          '2026-03-01T10:00:00.000Z',
        ),
        member(
          'legacy/9',
          'hubspot/123',
          'mg_00aa11bb22cc33dd',
          'merged',
          'domain on domain',
          { name: 'ACME Corp', domain: 'https://www.acme.com/', phone: '(212) 555-0123', tags: ['partner', 'VIP'] },
          '2025-11-20T08:30:00.000Z',
        ),
        // A group under review: two legacy accounts met on one switchboard phone.
        member(
          'hubspot/200',
          'hubspot/200',
          'mg_99ee88ff77aa66bb',
          'review',
          'phone on phone',
          { name: 'Globex', phone: '+1 415 555 0100' },
          '2026-02-01T00:00:00.000Z',
        ),
        member(
          'legacy/31',
          'hubspot/200',
          'mg_99ee88ff77aa66bb',
          'review',
          'phone on phone',
          { name: 'Globex West', phone: '415-555-0100' },
          '2025-01-01T00:00:00.000Z',
        ),
        member(
          'legacy/32',
          'hubspot/200',
          'mg_99ee88ff77aa66bb',
          'review',
          'phone on phone',
          { name: 'Globex East', phone: '(415) 555 0100' },
          '2025-01-02T00:00:00.000Z',
        ),
      ]);
      await db
        .insert(mergeLineage)
        .values([
          lineageRow('name', 0, 'ACME Corp', 'legacy/9', 'account_name', 'priority'),
          lineageRow('domain', 0, 'acme.com', 'hubspot/123', 'domain', 'priority'),
          lineageRow('phone', 0, '+1 212 555 0123', 'hubspot/123', 'phone', 'priority'),
          lineageRow('tags', 0, 'vip', 'hubspot/123', 'tags', 'union'),
          lineageRow('tags', 1, 'partner', 'legacy/9', 'labels', 'union'),
        ]);
      await db.insert(stagedRecords).values([
        staged('hubspot/123'),
        staged('legacy/9', {
          disposition: 'deduplicated',
          dispositionReason: 'merged: domain on domain',
          duplicateOf: 'hubspot/123',
        }),
        staged('hubspot/200'),
        staged('legacy/31'),
        staged('legacy/32'),
      ]);
      await db.insert(idMap).values({
        migrationId,
        object: 'companies',
        sourceId: 'hubspot/123',
        targetId: 'cmp_42',
        state: 'written',
        attempt: 1,
        runPhase: 'full',
        createdByTern: true,
      });
      await db.insert(quarantine).values(
        ['hubspot/200', 'legacy/31', 'legacy/32'].map((recordKey) => ({
          migrationId,
          object: 'companies',
          recordKey,
          stage: 'load',
          reasonCode: 'merge_review_pending',
          field: null,
          message: 'its merge group mg_99ee88ff77aa66bb awaits a decision in companies.merge-review.yaml',
        })),
      );
    });
    afterAll(async () => {
      // Members, lineage, ledger, staged records and quarantine go with the migration (on delete cascade).
      await env.staging.sql`delete from migrations where id = ${migrationId}`;
    });

    const explain = (object: string, key: string) => explainMergedRecord(env.staging, migrationId, object, key);

    it('explains a merged record by its ref: members, the key that joined them, each value and its origin, the write', async () => {
      const e = await explain('companies', 'hubspot/123');
      expect(e).toMatchObject({
        object: 'companies',
        foundBy: 'merged ref',
        mergedRef: 'hubspot/123',
        groupId: 'mg_00aa11bb22cc33dd',
        status: 'merged',
        matchRule: 'domain on domain',
        links: [{ rule: 'domain on domain', key: 'acme.com', members: ['hubspot/123', 'legacy/9'] }],
        target: { ref: 'hubspot/123', state: 'written', targetId: 'cmp_42', phase: 'full' },
        otherLedger: [],
        quarantine: [],
      });
      expect(e.members.map((m) => [m.ref, m.anchor, m.updatedAt, m.staged?.disposition ?? null])).toEqual([
        ['hubspot/123', true, '2026-03-01T10:00:00.000Z', null],
        ['legacy/9', false, '2025-11-20T08:30:00.000Z', 'deduplicated'],
      ]);
      expect(e.fields.map((f) => [f.field, f.value, f.rule, f.from.map((o) => `${o.ref} ${o.sourceField}`)])).toEqual([
        ['name', 'ACME Corp', 'priority', ['legacy/9 account_name']],
        ['domain', 'acme.com', 'priority', ['hubspot/123 domain']],
        ['phone', '+1 212 555 0123', 'priority', ['hubspot/123 phone']],
        ['tags', ['vip', 'partner'], 'union', []],
      ]);
      expect(
        e.fields[3]!.elements!.map((el) => `${String(el.value)} ← ${el.from[0]!.ref} ${el.from[0]!.sourceField}`),
      ).toEqual(['vip ← hubspot/123 tags', 'partner ← legacy/9 labels']);
    });

    it('finds the merged record of a member ref, and of the id the target gave it', async () => {
      const byMember = await explain('companies', 'legacy/9');
      expect([byMember.foundBy, byMember.mergedRef, byMember.members.length]).toEqual(['member ref', 'hubspot/123', 2]);
      const byTarget = await explain('companies', ' cmp_42 ');
      expect([byTarget.foundBy, byTarget.mergedRef, byTarget.asked]).toEqual(['target id', 'hubspot/123', 'cmp_42']);
    });

    it('shows a group under review as unwritten, its members quarantined, and the key they met on', async () => {
      const e = await explain('companies', 'legacy/32');
      expect(e).toMatchObject({ mergedRef: 'hubspot/200', status: 'review', target: null, foundBy: 'member ref' });
      expect(e.members.map((m) => m.ref)).toEqual(['hubspot/200', 'legacy/31', 'legacy/32']);
      expect(e.links).toEqual([
        { rule: 'phone on phone', key: '+14155550100', members: ['hubspot/200', 'legacy/31', 'legacy/32'] },
      ]);
      expect(e.quarantine.map((q) => [q.ref, q.reason])).toEqual([
        ['hubspot/200', 'merge_review_pending'],
        ['legacy/31', 'merge_review_pending'],
        ['legacy/32', 'merge_review_pending'],
      ]);
    });

    it('refuses a key that names nothing, a one-source object and an unknown object, each in one line with its fix', async () => {
      const refusal = async (object: string, key: string) => {
        const err = await explain(object, key).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).toLine();
      };
      expect(await refusal('companies', 'hubspot/999')).toBe(
        `companies has no merged record or member "hubspot/999" in migration ${migrationId} — fix: name a merged record's ref (its target key) or a member's ref, as <source>/<source id> with a source of hubspot, legacy, e.g. hubspot/123, hubspot/200`,
      );
      expect(await refusal('deals', 'legacy/5')).toBe(
        "deals is not a merged object (it has one source): `tern explain` reads the lineage of merged objects' records — fix: name a merged object: companies",
      );
      expect(await refusal('contacts', 'hubspot/1')).toMatch(
        /^object "contacts" is not in plan .* — fix: name a merged object: companies$/,
      );
    });

    it('prints the lineage from the CLI, as one JSON object with --json, and exits 2 on a key that names nothing', async () => {
      const human = await runTern(['explain', migrationId, 'companies', 'legacy/9'], cli());
      expect(human.stderr).toBe('');
      expect(human.code).toBe(0);
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines.slice(0, 2)).toEqual([
        `companies hubspot/123 (migration ${migrationId}): group mg_00aa11bb22cc33dd, merged`,
        '  legacy/9 is a member of the merged record hubspot/123',
      ]);
      expect(lines).toEqual(
        expect.arrayContaining([
          '  domain on domain "acme.com": hubspot/123, legacy/9',
          '  legacy/9     merged into hubspot/123  updated 2025-11-20T08:30:00.000Z',
          '  name: "ACME Corp" ← legacy/9 account_name (priority)',
          '    hubspot/123 had "Acme Inc"',
          '    "partner" ← legacy/9 labels',
          'quarantine: none of its 2 members',
        ]),
      );
      expect(lines.find((l) => l.startsWith('target: '))).toMatch(
        /^target: written, target id cmp_42 \(written, full phase, \d{4}-\d\d-\d\dT[\d:.]+Z\)$/,
      );

      const json = await runTern(['explain', migrationId, 'companies', 'hubspot/123', '--json'], cli());
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as MergeExplanation;
      expect(parsed).toEqual(await explain('companies', 'hubspot/123'));

      const missing = await runTern(['explain', migrationId, 'companies', 'legacy/404'], cli());
      expect(missing.code).toBe(2);
      expect(missing.stdout).toBe('');
      expect(missing.stderr.trimEnd().split('\n')).toEqual([
        `tern: companies has no merged record or member "legacy/404" in migration ${migrationId} — fix: name a merged record's ref (its target key) or a member's ref, as <source>/<source id> with a source of hubspot, legacy, e.g. hubspot/123, hubspot/200`,
      ]);
    });
  });
});
