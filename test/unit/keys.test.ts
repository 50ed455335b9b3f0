import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { generateKeyText, keyId, loadKeyRing } from '../../common/keys';

describe('key rings (common/keys.ts)', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-keys-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const auditSource = (env: NodeJS.ProcessEnv = {}) => loadSettings({ TERN_HOME: home, ...env }).auditKey;

  it('creates the default key file on first use, readable by its owner only, and reads the same key after', () => {
    const first = loadKeyRing(auditSource());
    const file = path.join(home, 'keys', 'audit.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const again = loadKeyRing(auditSource());
    expect(again.current.id).toBe(first.current.id);
    expect(again.current.secret.equals(first.current.secret)).toBe(true);
    expect(first.current.secret.length).toBeGreaterThanOrEqual(32);
    expect(first.origin).toBe(file);
  });

  it('never replaces a key file that exists (another process may have just created it)', () => {
    const file = path.join(home, 'keys', 'audit.key');
    fs.mkdirSync(path.dirname(file), { mode: 0o700 });
    const theirs = generateKeyText();
    fs.writeFileSync(file, `${theirs}\n`, { mode: 0o600 });
    expect(loadKeyRing(auditSource()).current.id).toBe(keyId(Buffer.from(theirs)));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['audit.key']);
  });

  it('takes the ring from TERN_AUDIT_KEY first, the last key signing and every key verifying', () => {
    const [old, current] = [generateKeyText(), generateKeyText()];
    const ring = loadKeyRing(auditSource({ TERN_AUDIT_KEY: `${old},${current}` }));
    expect(ring.current.id).toBe(keyId(Buffer.from(current)));
    expect([...ring.byId.keys()].sort()).toEqual([keyId(Buffer.from(old)), keyId(Buffer.from(current))].sort());
    expect(ring.origin).toBe('TERN_AUDIT_KEY');
    expect(fs.existsSync(path.join(home, 'keys'))).toBe(false);
  });

  it('reads a rotated key file: one key per line, comments skipped, the last one in use', () => {
    const file = path.join(home, 'ring.key');
    const [old, current] = [generateKeyText(), generateKeyText()];
    fs.writeFileSync(file, `# rotated 2026-12\n${old}\n\n${current}\n`, { mode: 0o600 });
    const ring = loadKeyRing(auditSource({ TERN_AUDIT_KEY_FILE: file }));
    expect(ring.current.id).toBe(keyId(Buffer.from(current)));
    expect(ring.byId.size).toBe(2);
  });

  it('refuses a named key file that does not exist instead of creating one', () => {
    const file = path.join(home, 'missing.key');
    expect(() => loadKeyRing(auditSource({ TERN_AUDIT_KEY_FILE: file }))).toThrow(ConfigError);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a key file other users can read, naming the fix', () => {
    const file = path.join(home, 'open.key');
    fs.writeFileSync(file, `${generateKeyText()}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const refused = (() => {
      try {
        loadKeyRing(auditSource({ TERN_AUDIT_KEY_FILE: file }));
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).toLine()).toBe(
      `the audit key file ${file} can be read or written by other users (mode 0644) — fix: chmod 600 ${file}`,
    );
  });

  it('refuses a key shorter than 32 characters and an empty ring', () => {
    expect(() => loadKeyRing(auditSource({ TERN_AUDIT_KEY: 'too-short' }))).toThrow(/9 characters long/);
    const file = path.join(home, 'empty.key');
    fs.writeFileSync(file, '# nothing yet\n', { mode: 0o600 });
    expect(() => loadKeyRing(auditSource({ TERN_AUDIT_KEY_FILE: file }))).toThrow(/holds no audit key/);
  });

  it('names a key by a fingerprint that does not contain it, and never prints the key with the settings', () => {
    const key = generateKeyText();
    expect(keyId(Buffer.from(key))).toMatch(/^[0-9a-f]{16}$/);
    expect(key).not.toContain(keyId(Buffer.from(key)));
    expect(JSON.stringify(loadSettings({ TERN_HOME: home, TERN_AUDIT_KEY: key }))).not.toContain(key);
  });
});
