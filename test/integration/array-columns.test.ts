import { discoverTable, PostgresTableWriter } from '../../connectors/postgres/target';
import { arrayElements, canonicalValue, parsePgArray, pgArrayLiteral } from '../../plan/target-values';
import { composeTransforms, standaloneContext } from '../../plan/transforms';
import type { Staging } from '../../staging/db';
import { testStaging, uniqueId } from '../support/harness';

/** Lists (what `split` produces) written into PostgreSQL array columns and read back canonically equal. */
describe('array columns', () => {
  let staging: Staging;
  const schema = uniqueId('arr');

  beforeAll(async () => {
    staging = await testStaging();
    await staging.sql.unsafe(`
      create schema "${schema}";
      create table "${schema}".accounts (
        id bigserial primary key,
        legacy_id text not null unique,
        tags text[],
        codes varchar(20)[],
        scores integer[]
      );`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await staging.close();
  });

  it('discovers array columns as the array kind', async () => {
    const table = await discoverTable(staging.sql, schema, 'accounts');
    expect(table.columns.map((c) => [c.name, c.dataType, c.udtName, c.kind])).toEqual([
      ['id', 'bigint', 'int8', 'integer'],
      ['legacy_id', 'text', 'text', 'text'],
      ['tags', 'ARRAY', '_text', 'array'],
      ['codes', 'ARRAY', '_varchar', 'array'],
      ['scores', 'ARRAY', '_int4', 'array'],
    ]);
  });

  it('writes JS lists element by element and reads them back canonically equal', async () => {
    const writer = new PostgresTableWriter(
      staging.sql,
      await discoverTable(staging.sql, schema, 'accounts'),
      'legacy_id',
    );
    const split = composeTransforms(['split']);
    const tricky = ['a', 'b c', 'with, comma', 'say "hi"', 'back\\slash', '{braces}', 'NULL', 'Zoë 東京 😀', ''];
    const payloads: Record<string, unknown>[] = [
      { legacy_id: 'A1', tags: split('VIP; "Smith, Jones", gold', standaloneContext()), codes: ['X1'], scores: [1, 2] },
      { legacy_id: 'A2', tags: tricky, codes: [], scores: null },
      { legacy_id: 'A3', tags: ['x', null, 'y'], codes: null, scores: [] },
    ];
    expect(payloads[0]!.tags).toEqual(['VIP', 'Smith, Jones', 'gold']);
    await writer.write(payloads, []);

    const rows = await writer.lookup(['A1', 'A2', 'A3']);
    // What PostgreSQL stored, element by element, in its own types (as JSON: postgres.js reads a NULL
    // element of a text[] as the string "NULL").
    const stored = await staging.sql<{ legacy_id: string; tags: string[] | null; scores: number[] | null }[]>`
      select legacy_id, array_to_json(tags) as tags, array_to_json(scores) as scores
      from ${staging.sql(schema)}.accounts order by legacy_id`;
    expect(stored.map((r) => [r.legacy_id, r.tags, r.scores])).toEqual([
      ['A1', ['VIP', 'Smith, Jones', 'gold'], [1, 2]],
      ['A2', tricky, null],
      ['A3', ['x', null, 'y'], []],
    ]);
    expect(rows.get('A2')!.tags).toBe(
      '{a,"b c","with, comma","say \\"hi\\"","back\\\\slash","{braces}","NULL","Zoë 東京 😀",""}',
    );
    for (const payload of payloads) {
      const columns = Object.keys(payload);
      const readBack = writer.canonicalReadBack(rows.get(payload.legacy_id as string)!, columns);
      expect(readBack).toEqual(writer.canonical(payload));
    }
    expect(writer.canonical(payloads[1]!).tags).toBe(JSON.stringify(tricky));
    expect(writer.canonical(payloads[2]!).codes).toBeNull();
  });

  it('updates array columns and still reads them back equal', async () => {
    const writer = new PostgresTableWriter(
      staging.sql,
      await discoverTable(staging.sql, schema, 'accounts'),
      'legacy_id',
    );
    const update = { legacy_id: 'A1', tags: ['only'], codes: ['Y2', 'Z3'] };
    await writer.write([], [update]);
    const row = (await writer.lookup(['A1'])).get('A1')!;
    expect(row.tags).toBe('{only}');
    expect(writer.canonicalReadBack(row, Object.keys(update))).toEqual(writer.canonical(update));
  });
});

describe('PostgreSQL array literals', () => {
  it('parses what ::text prints, including NULLs, escapes, nesting and bounds', () => {
    expect(parsePgArray('{a,"b c",NULL,"NULL","say \\"hi\\"","back\\\\slash"}')).toEqual([
      'a',
      'b c',
      null,
      'NULL',
      'say "hi"',
      'back\\slash',
    ]);
    expect(parsePgArray('{}')).toEqual([]);
    expect(parsePgArray('{{1,2},{3,4}}')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(parsePgArray('[0:1]={x,y}')).toEqual(['x', 'y']);
    for (const bad of ['', 'abc', '{a', '{a,}', '{"a}', '{a} b', `${'{'.repeat(100_000)}`])
      expect([bad.slice(0, 10), parsePgArray(bad)]).toEqual([bad.slice(0, 10), undefined]);
  });

  it('writes every element quoted so it reads back as the same text', () => {
    const elements = ['a', 'NULL', 'x,y', '"q"', '\\', null, ''];
    expect(pgArrayLiteral(elements)).toBe('{"a","NULL","x,y","\\"q\\"","\\\\",NULL,""}');
    expect(parsePgArray(pgArrayLiteral(elements))).toEqual(elements);
  });

  it('canonicalises lists, literals, JSON lists and scalars alike', () => {
    expect(canonicalValue('array', ['a', 1, true])).toBe('["a","1","true"]');
    expect(canonicalValue('array', '{a,1,t}')).toBe('["a","1","t"]');
    expect(canonicalValue('array', '["a","b"]')).toBe('["a","b"]');
    expect(canonicalValue('array', 'VIP')).toBe('["VIP"]');
    expect(canonicalValue('array', null)).toBeNull();
    expect(arrayElements('[not json')).toEqual(['[not json']);
  });
});
