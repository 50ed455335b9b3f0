import { ConfigError } from '../../common/errors';
import { parseFaultSpec, SANDBOXES, startSandbox } from '../../sandboxes';

export interface SandboxCommandOptions {
  port?: string;
  seed?: string;
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
  const sandbox = await startSandbox(definition, {
    port: positiveNumber(opts.port, '--port'),
    seed: positiveNumber(opts.seed, '--seed'),
    rate: positiveNumber(opts.rate, '--rate'),
    faults: parseFaultSpec(opts.faults),
    credentials: { tokens: [token] },
  });
  say(`${vendor} sandbox listening on ${sandbox.url}`);
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
