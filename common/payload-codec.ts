import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { ConfigError } from './errors';
import type { KeyRing, SecretKey } from './keys';

/**
 * Encrypts every payload Tern hands to Temporal (workflow and activity inputs and results, heartbeats, queries,
 * updates, signals, memo, encoded failure attributes) with AES-256-GCM, so the Temporal server's database, its UI
 * and anyone reading a history without the key see ciphertext only. The key's id (a fingerprint, never the key)
 * is written in the payload's metadata: a ring holding the old keys beside the new one still decrypts what the
 * old keys sealed, which is how keys rotate.
 *
 * What stays readable by design: workflow ids and types, activity types, task queues, search attributes (the
 * server indexes them), timestamps and event types.
 */

/** `encoding` of a payload this codec sealed. Payloads without it (written before encryption) pass as they are. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key a payload was sealed with. */
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload could not be decrypted: said by key id and reason, never with its bytes. */
export class PayloadDecryptionError extends ConfigError {}

/** The AES key a ring key stands for: HKDF-SHA256 of the key's text, so any text of 32+ characters serves. */
function aesKey(key: SecretKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), 'tern payload encryption v1', 32));
}

/**
 * The plaintext sealed for one payload: its metadata (JSON, values base64) and its data, so the codec restores
 * the payload exactly, encoding included. Layout: 4-byte big-endian metadata length, metadata, data.
 */
function frame(payload: Payload): Buffer {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, bytes(v).toString('base64')]),
  );
  const head = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, bytes(payload.data)]);
}

/**
 * A payload's bytes as Temporal hands them over: a Uint8Array, or a plain array of numbers, or nothing. A payload
 * with no data (`binary/null`, e.g. a memo value set to null) arrives with the protobuf default for bytes, which
 * can be a plain empty array.
 */
function bytes(value: Uint8Array | ArrayLike<number> | null | undefined): Buffer {
  return Buffer.from(value ?? []);
}

function unframe(plain: Buffer): Payload {
  const length = plain.readUInt32BE(0);
  const metadata = JSON.parse(plain.subarray(4, 4 + length).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(plain.subarray(4 + length)),
  };
}

export class PayloadEncryptionCodec implements PayloadCodec {
  private readonly aesKeys = new Map<string, Buffer>();

  constructor(private readonly ring: KeyRing) {
    for (const [id, key] of ring.byId) this.aesKeys.set(id, aesKey(key));
  }

  /** The id of the key new payloads are sealed with. */
  get currentKeyId(): string {
    return this.ring.current.id;
  }

  // Synchronous work (AES-GCM in OpenSSL); a payload that fails rejects the promise.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() => payloads.map((p) => this.seal(p)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() => payloads.map((p) => this.open(p)));
  }

  seal(payload: Payload): Payload {
    const keyId = this.ring.current.id;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.aesKeys.get(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(`tern-payload-v1:${keyId}`));
    const sealed = Buffer.concat([iv, cipher.update(frame(payload)), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(keyId),
        [CIPHER_METADATA]: utf8(CIPHER),
      },
      data: new Uint8Array(sealed),
    };
  }

  open(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = keyId === undefined ? undefined : this.aesKeys.get(keyId);
    if (keyId === undefined || !key)
      throw new PayloadDecryptionError(
        `a payload was encrypted with key ${keyId ?? '(none named)'}, which is not in the payload key ring (${this.ring.origin})`,
        "give every worker, client and codec server the same TERN_PAYLOAD_KEY (or key file); after a rotation keep the old keys in the ring, before the new one; a local dev server started from another checkout holds that checkout's runs: stop it there (npm run stack:stop)",
      );
    const data = bytes(payload.data);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(
        `a payload sealed with key ${keyId} is truncated`,
        'none: the stored payload was cut or altered',
      );
    try {
      const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`tern-payload-v1:${keyId}`));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return unframe(
        Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]),
      );
    } catch {
      throw new PayloadDecryptionError(
        `a payload sealed with key ${keyId} does not authenticate`,
        'none: the stored payload was altered (a key id is the fingerprint of its key, so the key is the right one)',
      );
    }
  }
}
