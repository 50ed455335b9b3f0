import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../common/errors';
import type { Staging } from '../staging/db';
import { renderProofPackHtml } from './html/page';
import { buildProofPack, type BuildOptions } from './load';
import type { ProofPack } from './model';

export interface WrittenProofPack {
  pack: ProofPack;
  /** The HTML page: what a stakeholder opens, prints and signs. */
  html: string;
  /** The same content as JSON beside it, for a machine (and to check the content hash). */
  json: string;
  bytes: number;
}

/** File names of a migration's pack: its id, with anything a file system might refuse replaced. */
export const packFileName = (migrationId: string, ext: 'html' | 'json') =>
  `${migrationId.replace(/[^A-Za-z0-9_.-]/g, '_')}.proof-pack.${ext}`;

/** Builds the pack once and writes both renderings into `dir` (created when missing). */
export async function writeProofPack(
  staging: Staging,
  migrationId: string,
  dir: string,
  options: BuildOptions = {},
): Promise<WrittenProofPack> {
  const pack = await buildProofPack(staging, migrationId, options);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ConfigError(`cannot create ${dir}: ${(err as Error).message}`, 'pass --html a folder you can write to');
  }
  const html = path.resolve(dir, packFileName(migrationId, 'html'));
  const json = path.resolve(dir, packFileName(migrationId, 'json'));
  const page = renderProofPackHtml(pack);
  fs.writeFileSync(html, page);
  fs.writeFileSync(json, `${JSON.stringify(pack, null, 2)}\n`);
  return { pack, html, json, bytes: Buffer.byteLength(page) };
}
