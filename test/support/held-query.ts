import { openSql } from '../../staging/db';

/**
 * A process standing in for a worker that dies mid-query: it opens a connection the way Tern does, prints its
 * backend pid, then runs an insert into the table named on the command line (which the test keeps locked) and
 * waits for it forever. The test kills it with SIGKILL.
 */
async function main(): Promise<void> {
  const [url, table] = process.argv.slice(2);
  if (!url || !table) throw new Error('usage: held-query.ts <database url> <schema.table>');
  const sql = await openSql(url, { max: 1, applicationName: 'tern-held-query' });
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  process.stdout.write(`${row!.pid}\n`);
  await sql.unsafe(`insert into ${table} default values`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
