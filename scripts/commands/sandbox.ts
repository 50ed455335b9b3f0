import { ConfigError } from '../../common/errors';
import { parseFaultSpec, SANDBOXES, startSandbox } from '../../sandboxes';

export interface SandboxCommandOptions {
  port?: string;
  seed?: string;
  tickets?: string;
  rate?: string;
  faults?: string;
  token?: string;
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError(`${flag} "${value}" is not a number`, `pass ${flag} with a number, e.g. ${flag} 10`);
  return n;
}

/** `tern sandbox <vendor>`: runs one vendor sandbox in the foreground until Ctrl-C. */
export async function runSandbox(
  vendor: string,
  opts: SandboxCommandOptions,
  say: (line: string) => void,
): Promise<void> {
  const definition = SANDBOXES[vendor];
  if (!definition)
    throw new ConfigError(`there is no sandbox for "${vendor}"`, `choose one of: ${Object.keys(SANDBOXES).join(', ')}`);
  const token = opts.token ?? `${vendor}-sandbox-token`;
  const tickets = positiveNumber(opts.tickets, '--tickets');
  if (tickets !== undefined && (vendor !== 'zendesk' || !Number.isInteger(tickets) || tickets < 1))
    throw new ConfigError(
      `--tickets ${opts.tickets} is not a number of tickets for the ${vendor} sandbox`,
      'pass --tickets with a whole number, to the zendesk sandbox only',
    );
  // HubSpot: a small CRM (500 deals, 1,000 contacts, 250 companies) from the legacy CRM generator.
  const generated = tickets !== undefined || vendor === 'hubspot';
  const started = Date.now();
  const sandbox = await startSandbox(definition, {
    port: positiveNumber(opts.port, '--port'),
    seed: positiveNumber(opts.seed, '--seed'),
    size: tickets,
    rate: positiveNumber(opts.rate, '--rate'),
    faults: parseFaultSpec(opts.faults),
    credentials: { tokens: [token] },
  });
  say(`${vendor} sandbox listening on ${sandbox.url}`);
  if (generated)
    say(
      `  data: ${Object.entries(
        Object.fromEntries(sandbox.store.names().map((n) => [n, sandbox.store.collection(n).size])),
      )
        .map(([n, size]) => `${size} ${n}`)
        .join(', ')} generated in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  say(
    vendor === 'zendesk'
      ? `  auth: Basic base64("<any email>/token:${token}") or Bearer ${token}`
      : `  auth: Authorization: Bearer ${token}`,
  );
  say(
    `  limits: ${opts.rate ? `${opts.rate} requests/s` : "the vendor's documented limits"}; faults: ${opts.faults ?? 'none'}`,
  );
  say(`  admin: ${sandbox.url}/__admin/records, /__admin/writes, /__admin/stats, /__admin/faults (GET/POST)`);
  say('  Ctrl-C stops it');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
}
