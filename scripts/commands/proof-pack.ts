import { loadSettings, type TernSettings } from '../../common/config';
import { buildProofPack } from '../../report/load';
import type { ProofPack } from '../../report/model';
import { writeProofPack, type WrittenProofPack } from '../../report/write';
import { EXIT } from '../exit-codes';
import { resolveMigration, withStaging } from './shared';

/** `tern report <plan> --html <dir> | --json`: the proof pack of a migration, written or printed. */

/** Writes the packs of several migrations into `dir`, one page each, over one staging connection. */
export async function writeProofPacks(
  settings: TernSettings,
  migrationIds: string[],
  dir: string,
): Promise<WrittenProofPack[]> {
  return withStaging(settings, async (staging) => {
    const written: WrittenProofPack[] = [];
    for (const id of migrationIds) written.push(await writeProofPack(staging, id, dir));
    return written;
  });
}

/** The pack in a few lines, for the terminal. */
export function formatProofPackSummary(pack: ProofPack, written?: WrittenProofPack): string {
  const out = [
    `proof pack of ${pack.migration.id} (${pack.migration.name}): ${pack.verdict.ok ? 'every proof holds' : 'NOT every proof holds'}`,
  ];
  for (const f of pack.verdict.failures) out.push(`  fails: ${f}`);
  for (const a of pack.verdict.toAccept) out.push(`  to accept: ${a}`);
  out.push(`content hash ${pack.contentHash}`);
  if (written) out.push(`wrote ${written.html} (${written.bytes} bytes) and ${written.json}`);
  return out.join('\n');
}

export interface ProofPackCommandOptions {
  migration?: string;
  json?: boolean;
  html?: string;
  includeValues?: boolean;
}

/** The command: builds the pack once; writes it with --html, prints its JSON with --json, else a summary. */
export async function proofPackCommand(
  planFile: string,
  opts: ProofPackCommandOptions,
  say: (line: string) => void,
): Promise<number> {
  const { migrationId } = resolveMigration(planFile, opts.migration);
  const options = { includeValues: opts.includeValues };
  const { pack, written } = await withStaging(loadSettings(), async (staging) => {
    if (opts.html === undefined)
      return { pack: await buildProofPack(staging, migrationId, options), written: undefined };
    const w = await writeProofPack(staging, migrationId, opts.html, options);
    return { pack: w.pack, written: w };
  });
  if (opts.json) {
    console.log(JSON.stringify(pack));
    if (written) say(`wrote ${written.html}`);
  } else console.log(formatProofPackSummary(pack, written));
  return pack.verdict.ok ? EXIT.ok : EXIT.failed;
}
