import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { loadPlanFile } from '../../plan/load';
import type { ObjectPlan } from '../../plan/schema';
import {
  CRM_OBJECTS,
  DEAL_STAGES,
  DEAL_STATUSES,
  LEGACY_CRM_COLUMNS,
  generateLegacyCrm,
  type CrmFacts,
  type CrmObject,
  type DateClassFacts,
  type ObjectFacts,
} from '../../scripts/generate/legacy-crm';
import { uniqueId } from '../support/harness';

/**
 * The legacy CRM generator plants anomalies by construction and records them as facts. Here every fact is
 * recomputed from the generated tables by independent SQL, following docs/preferences.md and the rules of
 * examples/legacy-crm.yaml, so that the preferences phase can be held to them exactly.
 */

const ROOT = path.join(__dirname, '../..');
const PLAN_FILE = path.join(ROOT, 'examples/legacy-crm.yaml');
const DATE_CLASSES: (keyof DateClassFacts)[] = [
  'iso',
  'monthFirst',
  'dayFirst',
  'ambiguous',
  'sameDayMonth',
  'invalid',
];
const KINDS = ['number', 'date', 'boolean', 'email', 'text'] as const;

/** SQL helpers implementing the definitions of docs/preferences.md, installed in the generated schema. */
function helpersDdl(s: string): string {
  return String.raw`
    create function ${s}.crm_trim(v text) returns text language sql immutable as $$
      select regexp_replace(v, '^\s+|\s+$', '', 'g') $$;
    create function ${s}.crm_blank(v text) returns boolean language sql immutable as $$
      select v is null or v ~ '^\s*$' $$;
    create function ${s}.crm_key(v text) returns text language sql immutable as $$
      select nullif(lower(regexp_replace(${s}.crm_trim(v), '\s+', ' ', 'g')), '') $$;
    create function ${s}.crm_real_date(y int, m int, d int) returns boolean language sql immutable as $$
      select case when y >= 1 and m between 1 and 12 and d >= 1
        then d <= extract(day from make_date(y, m, 1) + interval '1 month' - interval '1 day')::int
        else false end $$;
    -- The kind of a trimmed non-blank value.
    create function ${s}.crm_kind(t text) returns text language sql immutable as $$
      select case
        when t ~ '^-?\d+(\.\d+)?$' then 'number'
        when t ~ '^\d{4}-\d{2}-\d{2}' or t ~ '^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$' then 'date'
        when lower(t) in ('true', 'false', 'yes', 'no', 'y', 'n', 't', 'f') then 'boolean'
        when t ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' then 'email'
        else 'text' end $$;
    create function ${s}.crm_date_class(v text) returns text language plpgsql immutable as $$
      declare
        t text := ${s}.crm_trim(v);
        p text[];
        a int; b int; y int;
      begin
        if t is null or t = '' then return null; end if;
        p := regexp_match(t, '^(\d{4})-(\d{2})-(\d{2})');
        if p is not null then
          return case when ${s}.crm_real_date(p[1]::int, p[2]::int, p[3]::int) then 'iso' else 'invalid' end;
        end if;
        p := regexp_match(t, '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$');
        if p is null then return 'invalid'; end if;
        a := p[1]::int; b := p[2]::int; y := p[3]::int;
        if a <= 12 and b > 12 then
          return case when ${s}.crm_real_date(y, a, b) then 'monthFirst' else 'invalid' end;
        elsif b <= 12 and a > 12 then
          return case when ${s}.crm_real_date(y, b, a) then 'dayFirst' else 'invalid' end;
        elsif a <= 12 and b <= 12 and a <> b then
          return case when ${s}.crm_real_date(y, a, b) and ${s}.crm_real_date(y, b, a) then 'ambiguous' else 'invalid' end;
        elsif a = b and a <= 12 then
          return case when ${s}.crm_real_date(y, a, b) then 'sameDayMonth' else 'invalid' end;
        end if;
        return 'invalid';
      end $$;
    -- date: { format: MM/DD/YYYY } accepts ISO and month-first slashed dates that exist.
    create function ${s}.crm_mdy_ok(v text) returns boolean language sql immutable as $$
      select case
        when p_iso is not null then ${s}.crm_real_date(p_iso[1]::int, p_iso[2]::int, p_iso[3]::int)
        when p_us is not null then ${s}.crm_real_date(p_us[3]::int, p_us[1]::int, p_us[2]::int)
        else false end
      from (select regexp_match(${s}.crm_trim(v), '^(\d{4})-(\d{2})-(\d{2})') as p_iso,
                   regexp_match(${s}.crm_trim(v), '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$') as p_us) x $$;
  `;
}

/** The dry run of examples/legacy-crm.yaml in SQL: one outcome per record, in a table per object. */
function dryRunDdl(s: string, plan: { junk: string; system: string[] }): string {
  const systemKinds = plan.system.map((k) => `'${k.toLowerCase().replace(/'/g, "''")}'`).join(', ');
  return String.raw`
    create table ${s}.o_accounts as
      with a as (
        select id::text as id, id as ord,
          coalesce(${s}.crm_trim(name) ~ '${plan.junk.replace(/'/g, "''")}', false) as junk, ${s}.crm_key(name) as k, created
        from ${s}.accounts),
      r as (select *, first_value(id) over (partition by case when not junk then k end order by ord) as survivor
            from a)
      select id, case when not junk and k is not null then survivor end as survivor, case
          when junk then 'filtered:junk-accounts'
          when k is not null and survivor <> id then 'deduplicated'
          when k is null then 'quarantined:required_missing'
          when not ${s}.crm_blank(created) and not ${s}.crm_mdy_ok(created) then 'quarantined:invalid_date'
          else 'loaded' end as outcome
      from r;
    -- Accounts a reference resolves to: loaded ones, and duplicates whose survivor is loaded.
    create table ${s}.r_accounts as
      select o.id from ${s}.o_accounts o left join ${s}.o_accounts sv on sv.id = o.survivor
      where o.outcome = 'loaded' or (o.outcome = 'deduplicated' and sv.outcome = 'loaded');
    create table ${s}.o_contacts as
      with c as (select id::text as id, id as ord, updated_at, account_id, email, created, ${s}.crm_key(email) as k
                 from ${s}.contacts),
      r as (select *, first_value(id) over (partition by k order by updated_at desc, ord) as survivor from c)
      select id, case
          when k is not null and survivor <> id then 'deduplicated'
          when not ${s}.crm_blank(account_id)
            and ${s}.crm_trim(account_id) not in (select id from ${s}.r_accounts) then 'quarantined:orphan_reference'
          when not ${s}.crm_blank(email)
            and not lower(${s}.crm_trim(email)) ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' then 'quarantined:invalid_email'
          when not ${s}.crm_blank(created) and not ${s}.crm_mdy_ok(created) then 'quarantined:invalid_date'
          else 'loaded' end as outcome
      from r;
    create table ${s}.o_deals as
      select id::text as id, amount, case
          when not ${s}.crm_blank(account_id)
            and ${s}.crm_trim(account_id) not in (select id from ${s}.r_accounts) then 'quarantined:orphan_reference'
          when ${s}.crm_blank(status) then 'quarantined:required_missing'
          when not ${s}.crm_blank(amount)
            and not ${s}.crm_trim(amount) ~ '^\d+(\.\d{1,2})?$' then 'quarantined:invalid_currency'
          when ${s}.crm_date_class(close_date) = 'ambiguous' then 'quarantined:ambiguous_date'
          when ${s}.crm_date_class(close_date) = 'invalid' then 'quarantined:invalid_date'
          else 'loaded' end as outcome
      from ${s}.deals;
    create table ${s}.o_activities as
      select id::text as id, case
          when lower(${s}.crm_trim(kind)) in (${systemKinds}) then 'filtered:system-activities'
          when not ${s}.crm_blank(deal_id) and ${s}.crm_trim(deal_id) not in
            (select id from ${s}.o_deals where outcome = 'loaded') then 'quarantined:orphan_reference'
          when ${s}.crm_blank(kind) then 'quarantined:required_missing'
          when not ${s}.crm_blank(occurred_at)
            and not ${s}.crm_trim(occurred_at) ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$' then 'quarantined:invalid_datetime'
          else 'loaded' end as outcome
      from ${s}.activities;
  `;
}

/** Case-insensitive, whitespace-collapsed matching, as picklist and map do. */
const looseKey = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();

function transformArgsOf(object: ObjectPlan, to: string, transform: string): Record<string, unknown> {
  const field = object.fields.find((f) => f.to === to);
  const spec = field?.transform.find((t) => typeof t === 'object' && transform in t) as
    Record<string, Record<string, unknown>> | undefined;
  if (!spec) throw new Error(`no ${transform} transform on ${object.name}.${to}`);
  return spec[transform]!;
}

describe('legacy CRM generator', () => {
  let sql: postgres.Sql;
  const schemas: string[] = [];
  let schema: string;
  let facts: CrmFacts;
  let seconds: number;
  const plan = loadPlanFile(PLAN_FILE).plan;
  const objectPlan = (name: CrmObject) => plan.objects.find((o) => o.name === name)!;

  const newSchema = (prefix: string) => {
    const s = uniqueId(prefix);
    schemas.push(s);
    return s;
  };
  const ints = async (query: string): Promise<Record<string, number>> => {
    const [row] = await sql.unsafe<Record<string, string | number | null>[]>(query);
    return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v ?? 0)]));
  };

  beforeAll(async () => {
    sql = postgres(process.env.TERN_TEST_DATABASE_URL!, { max: 4, onnotice: () => undefined });
    schema = newSchema('crm');
    const started = performance.now();
    facts = await generateLegacyCrm(sql, { schema });
    seconds = (performance.now() - started) / 1000;
    await sql.unsafe(helpersDdl(schema));
  });

  afterAll(async () => {
    for (const s of schemas) await sql.unsafe(`drop schema if exists "${s}" cascade`);
    await sql.end({ timeout: 5 });
  });

  it('generates at least 50,000 rows in a few seconds, as many as the facts say', async () => {
    console.log(`legacy CRM generated in ${seconds.toFixed(1)}s: ${JSON.stringify(summary(facts))}`);
    expect(seconds).toBeLessThan(30);
    expect(facts).toMatchObject({ seed: 20261125, schema });
    let total = 0;
    for (const object of CRM_OBJECTS) {
      const n = (await ints(`select count(*)::int as n from ${schema}.${object}`)).n!;
      expect({ object, rows: n }).toEqual({ object, rows: facts.objects[object].rows });
      total += n;
    }
    expect(total).toBe(facts.totalRows);
    expect(total).toBeGreaterThanOrEqual(50_000);
    expect(facts.objects.accounts.rows).toBe(5000);
    expect(facts.objects.contacts.rows).toBe(20000);
    expect(facts.objects.deals.rows).toBe(10000);
    expect(facts.objects.activities.rows).toBe(20000);
  });

  it('has exactly 105 distinct deal statuses, each mapped by the plan to its stage', async () => {
    const rows = await sql.unsafe<{ status: string; n: number }[]>(
      `select ${schema}.crm_trim(status) as status, count(*)::int as n from ${schema}.deals
       where not ${schema}.crm_blank(status) group by 1`,
    );
    expect(rows).toHaveLength(105);
    expect(DEAL_STATUSES).toHaveLength(105);
    expect(facts.objects.deals.fields.status!.distinct).toBe(105);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(DEAL_STATUSES.map((s) => s.value)));

    const picklist = transformArgsOf(objectPlan('deals'), 'stage', 'picklist') as {
      options: string[];
      aliases: Record<string, string>;
    };
    expect(picklist.options).toEqual(DEAL_STAGES);
    const lookup = new Map<string, string>(picklist.options.map((o) => [looseKey(o), o]));
    for (const [alias, option] of Object.entries(picklist.aliases)) lookup.set(looseKey(alias), option);
    const mapped = DEAL_STATUSES.map((s) => ({ value: s.value, stage: lookup.get(looseKey(s.value)) }));
    expect(mapped).toEqual(DEAL_STATUSES.map((s) => ({ value: s.value, stage: s.stage })));
    expect(new Set(mapped.map((m) => m.stage))).toEqual(new Set(DEAL_STAGES));
  });

  it('counts blanks, distinct values, multi-value values and type anomalies of every column exactly', async () => {
    for (const object of CRM_OBJECTS) {
      const columns = await sql.unsafe<{ name: string }[]>(
        `select column_name as name from information_schema.columns
         where table_schema = '${schema}' and table_name = '${object}' order by ordinal_position`,
      );
      expect(columns.map((c) => c.name)).toEqual([...LEGACY_CRM_COLUMNS[object]]);
      expect(Object.keys(facts.objects[object].fields)).toEqual([...LEGACY_CRM_COLUMNS[object]]);
      const typeAnomalies: Record<string, number> = {};
      const dateFields: string[] = [];
      for (const column of LEGACY_CRM_COLUMNS[object]) {
        const got = await ints(`
          select count(*) filter (where b) as blank,
                 count(distinct t) filter (where not b) as distinct,
                 count(*) filter (where not b and t ~ '[,;]') as multi,
                 ${KINDS.map((k) => `count(*) filter (where k = '${k}') as ${k}`).join(', ')},
                 count(*) as rows
          from (select b, t, case when not b then ${schema}.crm_kind(t) end as k
                from (select ${schema}.crm_blank(v) as b, ${schema}.crm_trim(v) as t
                      from (select "${column}"::text as v from ${schema}.${object}) r) x) y`);
        expect({ object, column, blank: got.blank, distinct: got.distinct, multiValue: got.multi }).toEqual({
          object,
          column,
          ...facts.objects[object].fields[column],
        });
        const nonBlank = got.rows! - got.blank!;
        const dominant = KINDS.filter((k) => k !== 'text').find((k) => got[k]! >= 0.9 * nonBlank);
        if (nonBlank > 0 && dominant) typeAnomalies[column] = nonBlank - got[dominant]!;
        if (nonBlank > 0 && got.date! >= 0.5 * nonBlank) dateFields.push(column);
      }
      expect({ object, typeAnomalies }).toEqual({ object, typeAnomalies: facts.objects[object].typeAnomalies });
      expect({ object, dateFields: dateFields.sort() }).toEqual({
        object,
        dateFields: Object.keys(facts.objects[object].dates ?? {}).sort(),
      });
    }
    // The planted ones, by name.
    expect(facts.objects.contacts.typeAnomalies!.email).toBe(facts.objects.contacts.planted.invalidEmails);
    expect(facts.objects.deals.typeAnomalies!.amount).toBe(facts.objects.deals.planted.invalidAmounts);
    expect(facts.objects.accounts.fields.industry!.blank).toBe(facts.objects.accounts.planted.blankIndustries);
    expect(facts.objects.contacts.fields.email!.blank).toBe(facts.objects.contacts.planted.blankEmails);
    expect(facts.objects.contacts.fields.tags!.multiValue).toBe(facts.objects.contacts.planted.multiValueTags);
    expect(facts.objects.contacts.fields.tags!.multiValue).toBeGreaterThan(1000);
  });

  it('classifies every date value as the facts say', async () => {
    let ambiguous = 0;
    for (const object of CRM_OBJECTS) {
      for (const [field, expected] of Object.entries(facts.objects[object].dates ?? {})) {
        const rows = await sql.unsafe<{ c: string | null; n: number }[]>(
          `select ${schema}.crm_date_class("${field}"::text) as c, count(*)::int as n from ${schema}.${object} group by 1`,
        );
        const got = Object.fromEntries(DATE_CLASSES.map((c) => [c, rows.find((r) => r.c === c)?.n ?? 0]));
        expect(rows.every((r) => r.c === null || (DATE_CLASSES as string[]).includes(r.c))).toBe(true);
        expect({ object, field, ...got }).toEqual({ object, field, ...expected });
        if (object === 'deals' && field === 'close_date') ambiguous = got.ambiguous!;
      }
    }
    const close = facts.objects.deals.dates!.close_date!;
    expect(close.monthFirst).toBeGreaterThan(0);
    expect(close.dayFirst).toBeGreaterThan(0);
    expect(close.sameDayMonth).toBeGreaterThan(0);
    expect(close.invalid).toBeGreaterThan(0);
    expect(ambiguous).toBe(facts.objects.deals.planted.ambiguousCloseDates);
  });

  it('plants duplicate groups and orphans exactly as counted', async () => {
    for (const [object, field] of [
      ['accounts', 'name'],
      ['contacts', 'email'],
    ] as const) {
      const got = await ints(`
        select count(*) as groups, coalesce(sum(n), 0) as records from (
          select count(*) as n from ${schema}.${object} where ${schema}.crm_key(${field}) is not null
          group by ${schema}.crm_key(${field}) having count(*) > 1) g`);
      expect(facts.objects[object].duplicates).toEqual({
        key: [field],
        groups: got.groups,
        records: got.records,
        excess: got.records! - got.groups!,
      });
      expect(got.groups).toBeGreaterThan(50);
    }
    const orphans = async (object: CrmObject, field: string, referenced: CrmObject) =>
      (
        await ints(`
          select count(*) as n from ${schema}.${object} x
          where not ${schema}.crm_blank(x.${field})
            and not exists (select 1 from ${schema}.${referenced} r where r.id::text = ${schema}.crm_trim(x.${field}))`)
      ).n;
    expect(facts.objects.accounts.orphans).toBeUndefined();
    expect(facts.objects.contacts.orphans).toEqual({ account_id: await orphans('contacts', 'account_id', 'accounts') });
    expect(facts.objects.deals.orphans).toEqual({ account_id: await orphans('deals', 'account_id', 'accounts') });
    expect(facts.objects.activities.orphans).toEqual({
      deal_id: await orphans('activities', 'deal_id', 'deals'),
      contact_id: await orphans('activities', 'contact_id', 'contacts'),
    });
    for (const object of ['contacts', 'deals', 'activities'] as const)
      for (const n of Object.values(facts.objects[object].orphans!)) expect(n).toBeGreaterThan(50);
  });

  it('predicts the dry run of the example plan for every record, and the sum of loaded amounts', async () => {
    const accounts = objectPlan('accounts');
    const activities = objectPlan('activities');
    const junk = accounts.filters.find((f) => f.name === 'junk-accounts')?.matches;
    const system = activities.filters.find((f) => f.name === 'system-activities')?.in;
    expect(junk).toBeDefined();
    expect(system).toBeDefined();
    await sql.unsafe(dryRunDdl(schema, { junk: junk!, system: system! }));
    for (const object of CRM_OBJECTS) {
      const rows = await sql.unsafe<{ outcome: string; n: number }[]>(
        `select outcome, count(*)::int as n from ${schema}.o_${object} group by outcome order by outcome`,
      );
      const got: ObjectFacts['expected'] = { filtered: {}, deduplicated: 0, quarantined: {}, loaded: 0 };
      for (const { outcome, n } of rows) {
        const [kind, name] = outcome.split(':') as [string, string | undefined];
        if (kind === 'loaded') got.loaded = n;
        else if (kind === 'deduplicated') got.deduplicated = n;
        else if (kind === 'filtered') got.filtered[name!] = n;
        else got.quarantined[name!] = n;
      }
      const expected = facts.objects[object].expected;
      expect({ object, ...got }).toEqual({ object, ...expected });
      const quarantined = Object.values(expected.quarantined).reduce((a, b) => a + b, 0);
      const filtered = Object.values(expected.filtered).reduce((a, b) => a + b, 0);
      expect(expected.loaded + quarantined + filtered + expected.deduplicated).toBe(facts.objects[object].rows);
    }
    // Records that point at duplicate accounts load (the reference follows to the survivor).
    const viaDuplicates = await ints(`
      select count(*) as n from ${schema}.o_deals d join ${schema}.deals x on x.id::text = d.id
      join ${schema}.o_accounts a on a.id = ${schema}.crm_trim(x.account_id)
      where d.outcome = 'loaded' and a.outcome = 'deduplicated'`);
    expect(viaDuplicates.n).toBeGreaterThan(50);
    const [sum] = await sql.unsafe<{ total: string }[]>(
      `select coalesce(sum(${schema}.crm_trim(amount)::numeric), 0)::numeric(20, 2)::text as total
       from ${schema}.o_deals where outcome = 'loaded' and not ${schema}.crm_blank(amount)`,
    );
    expect(facts.objects.deals.sums).toEqual({ amount: sum!.total });
  });

  it('maps every legacy country to a 2-letter code through the plan', async () => {
    const rows = await sql.unsafe<{ country: string }[]>(
      `select distinct upper(${schema}.crm_trim(country)) as country from ${schema}.accounts
       where not ${schema}.crm_blank(country)`,
    );
    const map = transformArgsOf(objectPlan('accounts'), 'country', 'map') as { values: Record<string, string> };
    const codes = new Map(Object.entries(map.values).map(([k, v]) => [looseKey(k), v]));
    for (const { country } of rows) expect(codes.get(looseKey(country)) ?? country).toMatch(/^[A-Z]{2}$/);
  });

  it('is deterministic: the same seed gives the same database and facts, another seed other data', async () => {
    const again = newSchema('crm');
    const factsAgain = await generateLegacyCrm(sql, { schema: again, seed: 20261125 });
    expect({ ...factsAgain, schema }).toEqual(facts);
    const digest = async (s: string, object: CrmObject) =>
      (
        await sql.unsafe<{ d: string }[]>(
          `select md5(string_agg(t::text, E'\n' order by t.id)) as d from ${s}.${object} t`,
        )
      )[0]!.d;
    for (const object of CRM_OBJECTS) expect(await digest(again, object)).toBe(await digest(schema, object));

    const other = newSchema('crm');
    const otherFacts = await generateLegacyCrm(sql, { schema: other, seed: 7, scale: 0.1 });
    expect(otherFacts.totalRows).toBe(5500);
    expect(otherFacts.objects.contacts.expected).not.toEqual(facts.objects.contacts.expected);
    await sql.unsafe(`drop schema "${other}" cascade`);
    await sql.unsafe(`drop schema "${again}" cascade`);
  });

  it('has a target schema the plan maps onto, and a plan that parses', async () => {
    const target = newSchema('crm_target');
    const ddl = fs.readFileSync(path.join(ROOT, 'examples/crm-target.sql'), 'utf8').replace(/crm_target/g, target);
    await sql.unsafe(ddl);
    await sql.unsafe(ddl); // idempotent
    expect(plan.source).toMatchObject({ kind: 'postgres', urlEnv: 'LEGACY_CRM_URL', schema: 'legacy_crm' });
    expect(plan.target).toMatchObject({ kind: 'postgres', schema: 'crm_target' });
    expect(plan.target.kind === 'postgres' && plan.target.urlEnv).toBeUndefined();
    expect(plan.objects.map((o) => o.name)).toEqual(CRM_OBJECTS);
    for (const object of plan.objects) {
      const name = object.name as CrmObject;
      expect(object.source).toMatchObject({ table: name, id: 'id', updatedAt: 'updated_at' });
      expect(object.target).toEqual({ table: name, key: 'legacy_id' });
      const columns = await sql.unsafe<{ name: string }[]>(
        `select column_name as name from information_schema.columns
         where table_schema = '${target}' and table_name = '${object.target.table}'`,
      );
      const targetColumns = new Set(columns.map((c) => c.name));
      for (const field of object.fields) {
        expect({ object: name, to: field.to, exists: targetColumns.has(field.to) }).toMatchObject({ exists: true });
        expect(LEGACY_CRM_COLUMNS[name]).toContain(field.from);
      }
      const [unique] = await sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from pg_index i
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
         where i.indrelid = '"${target}"."${object.target.table}"'::regclass and i.indisunique
           and i.indnatts = 1 and a.attname = 'legacy_id'`,
      );
      expect(unique!.n).toBeGreaterThanOrEqual(1);
    }
    expect(objectPlan('accounts').dedupe).toMatchObject({ key: ['name'], survivor: 'first', match: 'all' });
    expect(objectPlan('contacts').dedupe).toMatchObject({ key: ['email'], survivor: 'latest_updated', match: 'all' });
    expect(objectPlan('deals').sums).toEqual(['amount']);
    await sql.unsafe(`drop schema "${target}" cascade`);
  });
});

function summary(facts: CrmFacts) {
  return Object.fromEntries(CRM_OBJECTS.map((o) => [o, { rows: facts.objects[o].rows, ...facts.objects[o].expected }]));
}
