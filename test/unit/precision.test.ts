import { describeSchemaDrift, type GoldColumn, type GoldSchema } from '../../plan/gold';
import { parsePlan } from '../../plan/load';
import { precisionLossCheck, type FieldFinding } from '../../plan/precision';
import { checkPlanAgainstTarget, columnRejection } from '../../plan/target-check';

function col(name: string, dataType: string, overrides: Partial<GoldColumn> = {}): GoldColumn {
  return {
    name,
    dataType,
    udtName: dataType,
    nullable: true,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
    ...overrides,
  };
}

const COLUMNS = [
  col('legacy_id', 'text'),
  col('paid_at', 'timestamp with time zone', { datetimePrecision: 3 }),
  col('logged_at', 'timestamp without time zone', { datetimePrecision: 6 }),
  col('amount', 'numeric', { precision: 10, scale: 2 }),
  col('rate', 'numeric'),
  col('units', 'integer'),
  col('small', 'smallint'),
  col('big', 'bigint'),
];

const plan = parsePlan(
  `
version: 1
name: precision
source: { kind: postgres, urlEnv: SOURCE_DATABASE_URL }
target: { kind: postgres }
objects:
  - name: payments
    source: { table: payments, id: id }
    target: { table: payments, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: paid, to: paid_at, transform: [{ datetime: { zone: UTC } }] }
      - { from: logged, to: logged_at, transform: [{ datetime: { zone: UTC } }] }
      - { from: amount, to: amount, transform: [decimal] }
      - { from: rate, to: rate, transform: [decimal] }
      - { from: units, to: units, transform: [integer] }
`,
  '/tmp/plan.yaml',
).plan;
const payments = plan.objects[0]!;

describe('numbers a column cannot hold are refused before writing', () => {
  it('refuses integers beyond the range of their column type, naming field and fix', () => {
    expect(columnRejection({ units: '2147483648' }, COLUMNS)).toMatchObject({
      code: 'out_of_range',
      field: 'units',
      value: '2147483648',
    });
    expect(columnRejection({ units: '-2147483648' }, COLUMNS)).toBeUndefined();
    expect(columnRejection({ small: '32768' }, COLUMNS)?.fix).toMatch(/widen small to integer|bigint/);
    expect(columnRejection({ big: '9223372036854775807' }, COLUMNS)).toBeUndefined();
    expect(columnRejection({ big: '9223372036854775808' }, COLUMNS)?.code).toBe('out_of_range');
  });

  it('refuses decimals with more digits before the point than numeric(p, s) holds', () => {
    expect(columnRejection({ amount: '123456789.5' }, COLUMNS)).toMatchObject({
      code: 'out_of_range',
      field: 'amount',
    });
    expect(columnRejection({ amount: '-12345678.99' }, COLUMNS)).toBeUndefined();
    expect(columnRejection({ rate: '1234567890123456789012345.5' }, COLUMNS)).toBeUndefined();
  });
});

describe('precision the target would round away', () => {
  const check = precisionLossCheck(payments, COLUMNS);

  it('finds microseconds a timestamp(3) column rounds, from the source value even when the payload lost them', () => {
    const raw = { id: '1', paid: '2024-05-06 07:08:09.123456', logged: '2024-05-06 07:08:09.123456' };
    const losses = check(raw, { legacy_id: '1', paid_at: '2024-05-06T07:08:09.123Z' });
    expect(losses).toEqual([
      expect.objectContaining({ code: 'precision_loss', field: 'paid_at', value: '2024-05-06T07:08:09.123456Z' }),
    ]);
    expect(losses[0]!.fix).toMatch(/widen paid_at to timestamp\(6\).*round/);
    expect(check({ paid: '2024-05-06 07:08:09.120000' }, {})).toEqual([]);
  });

  it('finds decimal places numeric(10, 2) rounds, and lets trailing zeros pass', () => {
    expect(check({ amount: '12.3456' }, {})).toEqual([
      expect.objectContaining({ code: 'precision_loss', field: 'amount', value: '12.3456' }),
    ]);
    expect(check({ amount: '12.3400' }, {})).toEqual([]);
    expect(check({ rate: '0.123456789012345678' }, {})).toEqual([]);
  });

  it('reads the payload of fields the check cannot read from the source', () => {
    const opaque = precisionLossCheck(
      { fields: [{ from: 'amount', to: 'amount', transform: [{ custom_round: {} }] }] },
      COLUMNS,
    );
    expect(opaque({ amount: 'whatever' }, { amount: '1.005' })).toEqual([
      expect.objectContaining({ code: 'precision_loss', field: 'amount', value: '1.005' }),
    ]);
  });
});

describe('plan validation reports the dry run’s precision findings per field', () => {
  const gold: GoldSchema = {
    schema: 'public',
    tables: { payments: { exists: true, columns: COLUMNS, uniqueColumns: ['legacy_id'] } },
  };
  const finding = (field: string, code: string, records: number): FieldFinding => ({
    field,
    code,
    records,
    message: `${field} message`,
    fix: `${field} fix`,
    examples: [{ record: '7', value: 'x' }],
  });

  it('warns once per field with the count and the fix', () => {
    const profiles = new Map([
      [
        'payments',
        {
          object: 'payments',
          rows: 10,
          fields: [],
          preflight: [
            finding('paid_at', 'precision_loss', 9),
            finding('units', 'out_of_range', 2),
            finding('legacy_id', 'too_long', 1),
          ],
        },
      ],
    ]);
    const issues = checkPlanAgainstTarget(plan, gold, profiles).filter((i) => /records/.test(i.message));
    expect(issues).toEqual([
      {
        severity: 'warning',
        object: 'payments',
        path: 'objects.0.fields.1',
        message: 'paid → paid_at: 9 records: paid_at message (e.g. record 7)',
        fix: 'paid_at fix',
      },
      {
        severity: 'warning',
        object: 'payments',
        path: 'objects.0.fields.5',
        message: 'units → units: 2 records: units message (e.g. record 7)',
        fix: 'units fix',
      },
    ]);
  });
});

describe('gold schemas and timestamp precision', () => {
  const table = (columns: GoldColumn[]): GoldSchema => ({
    schema: 'public',
    tables: { payments: { exists: true, columns, uniqueColumns: [] } },
  });

  it('sees a timestamp column narrowed since the freeze, and no drift in a schema frozen before precision was recorded', () => {
    const ts = (p?: number) =>
      col('paid_at', 'timestamp with time zone', p === undefined ? {} : { datetimePrecision: p });
    expect(describeSchemaDrift(table([ts(6)]), table([ts(3)]))).toEqual(['public.payments.paid_at changed']);
    expect(describeSchemaDrift(table([ts()]), table([ts(6)]))).toEqual([]);
  });
});
