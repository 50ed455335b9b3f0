// A process that opens the embedded database on a data folder, writes rows, says `ready` and holds the database
// open until told (SIGTERM) to stop: another Tern process beside it, for the embedded database's tests.
import postgres from 'postgres';
import { startEmbeddedDatabase } from '../../staging/embedded';

async function main(): Promise<void> {
  const [dataDir, rows] = process.argv.slice(2);
  const db = await startEmbeddedDatabase({ dataDir: dataDir! });
  const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
  await sql`create table if not exists held (id serial primary key, v text)`;
  for (let i = 0; i < Number(rows); i++) await sql`insert into held (v) values (${`row ${i}`})`;
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  await sql.end();
  await db.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
