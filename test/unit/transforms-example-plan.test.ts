import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { GoldColumn, GoldSchema } from '../../plan/gold';
import { compileObjectMapper } from '../../plan/compile';
import { loadPlanFile } from '../../plan/load';
import { checkPlanAgainstTarget } from '../../plan/target-check';
import { validatePlan } from '../../scripts/commands/validate-plan';

const examples = join(__dirname, '..', '..', 'examples');
const planFile = join(examples, 'integer-keys.yaml');

const column = (name: string, udtName: string, extra: Partial<GoldColumn> = {}): GoldColumn => ({
  name,
  dataType: udtName,
  udtName,
  nullable: true,
  hasDefault: false,
  maxLength: null,
  precision: null,
  scale: null,
  ...extra,
});

/** examples/integer-keys-target.sql as the target check sees it. */
const gold: GoldSchema = {
  schema: 'integer_keys_target',
  tables: {
    accounts: {
      exists: true,
      uniqueColumns: ['id'],
      columns: [
        column('id', 'int8', { dataType: 'bigint', nullable: false }),
        column('name', 'text', { nullable: false }),
        column('credit_limit', 'numeric', { precision: 12, scale: 2 }),
        column('opened_at', 'timestamptz', { dataType: 'timestamp with time zone', datetimePrecision: 6 }),
      ],
    },
    contacts: {
      exists: true,
      uniqueColumns: ['id'],
      columns: [
        column('id', 'int8', { dataType: 'bigint', nullable: false }),
        column('account_id', 'int8', { dataType: 'bigint', nullable: false }),
        column('full_name', 'text'),
        column('email', 'text'),
      ],
    },
  },
};

const rows = (file: string) =>
  parse<Record<string, string>>(readFileSync(join(examples, 'data', 'integer-keys', file)), { columns: true });

describe('examples/integer-keys.yaml: integer keys and integer foreign keys', () => {
  const loaded = loadPlanFile(planFile);

  it('passes plan validate (offline)', async () => {
    const outcome = await validatePlan(loaded, { offline: true, env: {} });
    expect(outcome.findings).toEqual([]);
  });

  it('fits the integer columns of its target schema', () => {
    expect(checkPlanAgainstTarget(loaded.plan, gold).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('needs integer after reference: the reference alone is text that an integer column refuses', () => {
    const withoutInteger = structuredClone(loaded.plan);
    const field = withoutInteger.objects[1]!.fields.find((f) => f.to === 'account_id')!;
    field.transform = field.transform.filter((t) => t !== 'integer');
    const issues = checkPlanAgainstTarget(withoutInteger, gold).filter((i) => i.severity === 'error');
    expect(issues.map((i) => i.path)).toEqual(['objects.1.fields.1.transform']);
  });

  it('maps its data exactly: 64-bit ids, scales, microseconds; an orphan contact is quarantined', () => {
    const [accountsPlan, contactsPlan] = loaded.plan.objects;
    const accounts = rows('accounts.csv').map((r) => compileObjectMapper(accountsPlan!)(r));
    expect(accounts).toEqual([
      {
        ok: true,
        payload: {
          id: '1',
          name: 'Acme Corporation',
          credit_limit: '1500.50',
          opened_at: '2019-04-01T09:30:00.123456Z',
        },
      },
      {
        ok: true,
        payload: { id: '2', name: 'Acme Europe', credit_limit: '1200.00', opened_at: '2020-01-15T07:00:00.000Z' },
      },
      { ok: true, payload: { id: '3', name: 'Globex', credit_limit: '0.10', opened_at: '2021-07-30T21:45:12.500Z' } },
      {
        ok: true,
        payload: {
          id: '9007199254740993',
          name: 'Initech (imported with a 64-bit id)',
          credit_limit: '250.00',
          opened_at: '2022-11-02T10:00:00.000Z',
        },
      },
    ]);
    // The target id of an account is its key: the legacy id.
    const loadedIds = new Set(accounts.flatMap((a) => (a.ok ? [String(a.payload.id)] : [])));
    const resolve = (object: string, id: string) =>
      object === 'accounts' && loadedIds.has(id) ? { found: true, targetId: id } : { found: false };
    const contacts = rows('contacts.csv').map((r) => compileObjectMapper(contactsPlan!)(r, resolve));
    expect(contacts.map((c) => (c.ok ? c.payload.account_id : c.code))).toEqual([
      '1',
      '2',
      '9007199254740993',
      'orphan_reference',
    ]);
  });
});
