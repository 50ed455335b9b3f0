import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';

/**
 * Tern's secret keys, held outside the staging database: the audit chain's key (and any other key a purpose
 * needs) comes from an environment variable, else from a key file, else — the embedded default — from a file
 * Tern creates on first use under its git-ignored state folder, readable by its owner only.
 *
 * A key is text of at least 32 characters (Tern generates 32 random bytes, base64url). Its id is a fingerprint
 * (never the key), recorded beside what the key signed or sealed, so keys can rotate: a key ring holds every
 * key still needed to verify, and the last one is the one in use. In a file, keys are separated by line breaks
 * (`#` starts a comment line); in the variable, by commas. Rotating is appending a new key at the end.
 */

/** Where one purpose's key ring comes from (common/config.ts builds it: `keySource`). */
export interface KeySource {
  /** What the key is for, in words people read: `audit`. */
  purpose: string;
  /**
   * The variable holding the key ring itself, and its value when set: read through a function, so a settings
   * object printed or logged never carries a key.
   */
  variable: string;
  inline: () => string | undefined;
  /** The key file, and the variable that named it (undefined: the default file under Tern's state folder). */
  file: string;
  fileVariable: string;
  fileNamed: boolean;
}

export interface SecretKey {
  /** The key's fingerprint: 16 hex digits of a hash of the key. */
  id: string;
  secret: Buffer;
}

export interface KeyRing {
  purpose: string;
  /** The key new entries are signed (or sealed) with: the ring's last. */
  current: SecretKey;
  /** Every key of the ring by id, the current one included. */
  byId: ReadonlyMap<string, SecretKey>;
  /** Where the ring came from, for messages: the variable, or the file's path. */
  origin: string;
}

export const MIN_KEY_LENGTH = 32;

/** The id a key is known by: a fingerprint that says which key, and nothing of the key itself. */
export function keyId(secret: Buffer): string {
  return createHash('sha256').update('tern-key-id\0').update(secret).digest('hex').slice(0, 16);
}

/** Parses a key ring's text (a file's lines, or a variable's comma-separated keys); the last key is current. */
export function parseKeyRing(text: string, purpose: string, origin: string, fix: string): KeyRing {
  const keys = text
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('#'))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((token) => token.length > 0)
    .map((token, index) => {
      if (token.length < MIN_KEY_LENGTH)
        throw new ConfigError(
          `the ${purpose} key #${index + 1} in ${origin} is ${token.length} characters long; a key needs at least ${MIN_KEY_LENGTH}`,
          fix,
        );
      const secret = Buffer.from(token, 'utf8');
      return { id: keyId(secret), secret };
    });
  const current = keys[keys.length - 1];
  if (!current) throw new ConfigError(`${origin} holds no ${purpose} key`, fix);
  return { purpose, current, byId: new Map(keys.map((k) => [k.id, k])), origin };
}

/** A new key's text: 32 random bytes, base64url. */
export function generateKeyText(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Loads a purpose's key ring: the variable when set; else the key file, created with one new key (mode 0600,
 * in a 0700 folder) when it is Tern's default file and does not exist yet. A file others can read is refused.
 */
export function loadKeyRing(source: KeySource): KeyRing {
  const fix = `set ${source.variable} to a key of at least ${MIN_KEY_LENGTH} characters, or ${source.fileVariable} to a file holding one per line (e.g. \`openssl rand -base64 32\`)`;
  const inline = source.inline();
  if (inline !== undefined) return parseKeyRing(inline, source.purpose, source.variable, fix);
  if (!fs.existsSync(source.file)) {
    if (source.fileNamed)
      throw new ConfigError(`${source.fileVariable} names ${source.file}, which does not exist`, fix);
    createKeyFile(source.file, source.purpose);
  }
  assertOwnerOnly(source.file, source.purpose);
  return parseKeyRing(fs.readFileSync(source.file, 'utf8'), source.purpose, source.file, fix);
}

/**
 * Writes a new key file without ever exposing a partial one: the key goes to a private temporary file that is
 * then linked into place, which fails when another process created the file first (its key is then the one).
 */
function createKeyFile(file: string, purpose: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const header = `# Tern's ${purpose} key ring: one key per line, the last one in use. Keep a copy; never commit it.\n`;
  fs.writeFileSync(temporary, `${header}${generateKeyText()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temporary, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function assertOwnerOnly(file: string, purpose: string): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ConfigError(
      `the ${purpose} key file ${file} can be read or written by other users (mode ${mode.toString(8).padStart(4, '0')})`,
      `chmod 600 ${file}`,
    );
}
