import { PlanError } from '../../common/errors';
import { parsePlan } from '../../plan/load';
import { sourceQueryProblem, statementText, tokenizeSql, type SqlDialect } from '../../plan/source-query';

/** A plan reading one object of a SQL source through `query` (YAML block scalar, so any text fits). */
function planWithQuery(query: string, kind: SqlDialect = 'postgres'): string {
  return `version: 1
name: legacy orders
source: { kind: ${kind}, urlEnv: LEGACY_URL }
target: { kind: postgres }
objects:
  - name: orders
    source:
      id: id
      query: |
${query
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}
    target: { table: orders, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
`;
}

function refusal(query: string, kind: SqlDialect = 'postgres'): string {
  try {
    parsePlan(planWithQuery(query, kind), 'orders.yaml');
  } catch (err) {
    if (err instanceof PlanError) return err.message;
    throw err;
  }
  throw new Error(`expected the plan to be refused for: ${query}`);
}

const QUERY_LINE = 9;

describe('a plan’s source query', () => {
  it.each([
    ['an UPDATE', 'update orders set total = 0', /starts with "UPDATE", not SELECT or WITH/],
    [
      'a DELETE after a SELECT',
      'select 1 as id; delete from orders',
      /more than one statement \("DELETE" after the ';' on line 1/,
    ],
    [
      'a COMMIT inside',
      'select id from orders;\ncommit;\ndelete from orders',
      /more than one statement \("COMMIT" after the ';' on line 1/,
    ],
    [
      'a data-modifying WITH part',
      'with gone as (delete from orders returning *)\nselect * from gone',
      /data-modifying statement \("DELETE" on line 1 of the query\)/,
    ],
    [
      'a materialized data-modifying WITH part',
      'with a as (select 1), b as materialized (\n  update orders set total = 0 returning id\n) select id from b',
      /data-modifying statement \("UPDATE" on line 2 of the query\)/,
    ],
    [
      'a WITH whose statement writes',
      'with x as (select id from orders)\ninsert into archive select * from x',
      /INTO|statement is "INSERT"/,
    ],
    [
      'a WITH whose statement deletes',
      'with x as (select id from orders)\ndelete from orders using x',
      /WITH whose statement is "DELETE" \(on line 2/,
    ],
    [
      'a SELECT … INTO',
      'select * into orders_copy from orders',
      /has INTO on line 1 of the query: SELECT … INTO writes/,
    ],
    ['a row lock', 'select id from orders\nfor update', /locks the rows it reads \("FOR" "UPDATE" on line 2/],
    ['a share lock', 'select id from orders for no key update nowait', /locks the rows it reads \("FOR" "NO"/],
    [
      'a statement in a subquery',
      'select * from (delete from orders returning id) s',
      /data-modifying statement \("DELETE"/,
    ],
    ['only a comment', '-- select 1', /holds no statement/],
    ['an unterminated string', "select 'oops as id from orders", /unterminated string starting on line 1/],
    [
      'an unterminated dollar quote',
      'select $body$ never closed as id',
      /unterminated dollar-quoted string \(\$body\$\)/,
    ],
    ['an unterminated nested comment', 'select 1 as id /* outer /* inner */ still open', /unterminated comment/],
    ['COPY', 'copy orders to stdout', /starts with "COPY"/],
  ])('refuses %s at plan load, naming the file, the field and the fix', (_what, query, reason) => {
    const message = refusal(query);
    expect(message).toMatch(new RegExp(`orders\\.yaml:${QUERY_LINE} objects\\.0\\.source\\.query: the source query `));
    expect(message).toMatch(reason);
    expect(message).toMatch(/write one SELECT \(or WITH … SELECT\) that only reads/);
    expect(message).toMatch(/\(1 problem\)/);
  });

  it.each([
    ['a plain SELECT', 'select id, total from orders'],
    ['a SELECT with a trailing semicolon and comment', 'select id from orders; -- all of them\n;'],
    [
      'a WITH … SELECT',
      "with recent as (select * from orders where placed > now() - interval '1 year')\nselect * from recent",
    ],
    ['a parenthesised UNION', '(select id from orders) union all (select id from archive)'],
    ['statements inside strings', "select id, 'x; delete from orders; commit' as note from orders"],
    [
      'statements inside dollar quotes',
      'select id, $q$ ; update orders set x = 1; $q$ as note, $$;$$ as semi from orders',
    ],
    ['statements inside E-strings', "select id, E'it\\'s; delete from orders' as note from orders"],
    ['statements inside comments', 'select id /* ; delete from orders; */ from orders -- ; drop table orders'],
    ['nested comments', 'select id /* a /* ; delete */ still comment; */ from orders'],
    ['quoted names that look like keywords', 'select "update", "for" as "into" from orders'],
    ['a column named like a keyword, qualified', 'select o.update, o.delete from orders o'],
    ['a string function named insert', "select id, (insert(name, 1, 1, 'X')) as name from orders"],
    ['substring … for n', 'select id, substring(name from 1 for 3) as short from orders'],
    ['a parameter-like $1 inside a string', "select id from orders where note <> '$1'"],
    ['a name with a dollar', 'select id, total$eur from orders'],
  ])('accepts %s', (_what, query) => {
    expect(sourceQueryProblem(query, 'postgres')).toBeNull();
    expect(() => parsePlan(planWithQuery(query), 'orders.yaml')).not.toThrow();
  });

  describe('of a MySQL source', () => {
    it.each([
      ['a backslash-escaped quote hiding nothing', "select id from orders where note = 'it\\'s; fine'", null],
      ['a double-quoted string', 'select id, "a; delete from orders" as note from orders', null],
      ['a # comment', 'select id from orders # ; delete from orders', null],
      ['a -- comment', 'select id from orders -- ; delete from orders', null],
      ['backtick names', 'select `update`, `a``b` from orders', null],
      ['two statements', 'select id from orders; update orders set x = 1', /more than one statement \("UPDATE"/],
      ['an executable comment', 'select id from orders /*!50000 ; delete from orders */', /executable comment/],
      ['a share lock', 'select id from orders lock in share mode', /locks the rows it reads \("LOCK" "IN"/],
      ['INTO OUTFILE', "select id from orders into outfile '/tmp/x'", /has INTO/],
      ['a --comment without a space (minus minus)', 'select 1--1 as id', null],
    ])('%s', (_what, query, expected) => {
      const problem = sourceQueryProblem(query, 'mysql');
      if (expected === null) expect(problem).toBeNull();
      else expect(problem).toMatch(expected);
    });

    it('refuses a writing query at plan load', () => {
      expect(refusal('select 1 as id; delete from orders', 'mysql')).toMatch(
        /orders\.yaml:9 objects\.0\.source\.query: the source query holds more than one statement/,
      );
    });
  });

  it('tokenizes strings, quoted names and dollar quotes as one token each', () => {
    const tokenized = tokenizeSql(`select 'a;b' as "x;y", $t$ c; $t$, E'\\'' from t -- ;`, 'postgres');
    expect(tokenized.ok && tokenized.tokens.map((t) => t.text)).toEqual([
      'select',
      "'a;b'",
      'as',
      '"x;y"',
      ',',
      '$t$ c; $t$',
      ',',
      "E'\\''",
      'from',
      't',
    ]);
  });

  it('embeds the statement without the semicolons and comments after it', () => {
    expect(statementText('  select 1 as id ;; -- done\n', 'postgres')).toBe('select 1 as id');
    expect(statementText("select ';' as id; # done", 'mysql')).toBe("select ';' as id");
  });
});
