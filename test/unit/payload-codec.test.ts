import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadSettings } from '../../common/config';
import { generateKeyText, loadKeyRing, parseKeyRing } from '../../common/keys';
import {
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  PayloadEncryptionCodec,
} from '../../common/payload-codec';

const ring = (...keys: string[]) => parseKeyRing(keys.join(','), 'payload', 'TERN_PAYLOAD_KEY', 'set TERN_PAYLOAD_KEY');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const latin1 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('latin1');

const RECORD = { email: 'ada.lovelace@example.org', name: 'Ada Lovelace', body: 'Mon numéro: +44 20 7946 0958 ☎' };

describe('payload encryption (common/payload-codec.ts)', () => {
  const [keyA, keyB] = [generateKeyText(), generateKeyText()];

  it('gives back every payload exactly: its data and every metadata entry, the encoding included', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const payloads: Payload[] = [
      defaultPayloadConverter.toPayload(RECORD),
      defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
      defaultPayloadConverter.toPayload(undefined),
      defaultPayloadConverter.toPayload('x'.repeat(1_000_000)),
      { metadata: { encoding: new TextEncoder().encode('json/plain'), other: new Uint8Array([7]) }, data: undefined },
    ];
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => ({ metadata: p.metadata, data: Buffer.from(p.data ?? []) }))).toEqual(
      payloads.map((p) => ({ metadata: p.metadata, data: Buffer.from(p.data ?? []) })),
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(RECORD);
  });

  it('seals a payload whose bytes come as a plain array, as a null memo value reaches the codec from a workflow', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const fromProtobuf = [
      { metadata: { encoding: [...new TextEncoder().encode('binary/null')] }, data: [] },
      { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: [...new TextEncoder().encode('"x"')] },
    ] as unknown as Payload[];
    const [empty, json] = await codec.decode(await codec.encode(fromProtobuf));
    expect(defaultPayloadConverter.fromPayload(empty!)).toBeUndefined();
    expect(defaultPayloadConverter.fromPayload(json!)).toBe('x');
  });

  it('leaves nothing of the value readable: not its text, not its original encoding', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(RECORD)]);
    const visible = latin1(sealed!.data) + Object.values(sealed!.metadata!).map(latin1).join(' ');
    for (const value of [...Object.values(RECORD), 'json/plain', keyA]) expect(visible).not.toContain(value);
    expect(text(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata![KEY_ID_METADATA])).toBe(codec.currentKeyId);
  });

  it('seals the same value differently each time (a fresh nonce per payload)', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const payload = defaultPayloadConverter.toPayload(RECORD);
    const [one, two] = await codec.encode([payload, payload]);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
  });

  it('rotates: the new key seals, the old key still opens what it sealed, a ring without it says which key', async () => {
    const before = new PayloadEncryptionCodec(ring(keyA));
    const [old] = await before.encode([defaultPayloadConverter.toPayload(RECORD)]);
    const rotated = new PayloadEncryptionCodec(ring(keyA, keyB));
    expect(rotated.currentKeyId).not.toBe(before.currentKeyId);
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(RECORD)]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe(rotated.currentKeyId);
    for (const p of await rotated.decode([old!, fresh!]))
      expect(defaultPayloadConverter.fromPayload(p)).toEqual(RECORD);

    const withoutA = new PayloadEncryptionCodec(ring(keyB));
    await expect(withoutA.decode([old!])).rejects.toThrow(PayloadDecryptionError);
    await expect(withoutA.decode([old!])).rejects.toThrow(`encrypted with key ${before.currentKeyId}`);
  });

  it('refuses an altered payload, naming the key and the reason, never the content', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(RECORD)]);
    const altered = Buffer.from(sealed!.data!);
    altered[20] = altered[20]! ^ 1;
    const error = await codec.decode([{ ...sealed!, data: altered }]).then(
      () => new Error('decoded an altered payload'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toContain(codec.currentKeyId);
    for (const value of Object.values(RECORD)) expect(error.message).not.toContain(value);
    await expect(codec.decode([{ ...sealed!, data: altered.subarray(0, 10) }])).rejects.toThrow('truncated');
  });

  it('passes payloads written before encryption through as they are', async () => {
    const codec = new PayloadEncryptionCodec(ring(keyA));
    const plain = defaultPayloadConverter.toPayload(RECORD);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('is on for a newcomer: without TERN_PAYLOAD_KEY, a key file is created under the state folder, owner-only', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-payload-key-'));
    try {
      const source = loadSettings({ TERN_HOME: home }).temporal.payloadKey;
      const codec = new PayloadEncryptionCodec(loadKeyRing(source));
      const file = path.join(home, 'keys', 'payload.key');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(RECORD)]);
      // A second process reads the same file, so it opens what the first sealed.
      const again = new PayloadEncryptionCodec(loadKeyRing(loadSettings({ TERN_HOME: home }).temporal.payloadKey));
      expect(defaultPayloadConverter.fromPayload((await again.decode([sealed!]))[0]!)).toEqual(RECORD);
      // TERN_PAYLOAD_KEY wins over the file.
      const fromEnv = loadSettings({ TERN_HOME: home, TERN_PAYLOAD_KEY: keyA }).temporal.payloadKey;
      expect(new PayloadEncryptionCodec(loadKeyRing(fromEnv)).currentKeyId).toBe(ring(keyA).current.id);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
