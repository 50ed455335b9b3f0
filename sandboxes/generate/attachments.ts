import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * Attachment contents: deterministic bytes of exactly the attachment's size, generated from its id as they are
 * read, so a 20 MB file is never held in memory and a test can compute the sha256 it must receive.
 */

export interface AttachmentContent {
  id: number;
  size: number;
  content_type: string;
}

const CHUNK = 64 * 1024;

/** The first bytes of common formats, so a downloaded file looks like what its content type says. */
const MAGIC: Record<string, Buffer> = {
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  'image/gif': Buffer.from('GIF89a', 'latin1'),
  'application/pdf': Buffer.from('%PDF-1.7\n', 'latin1'),
  'application/zip': Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': Buffer.from([0x50, 0x4b, 0x03, 0x04]),
};

const TEXT_LINE = Buffer.from('2021-04-01T09:30:00Z INFO request handled in 12 ms\n', 'latin1');

/** Fills `chunk` with the bytes of the attachment from `offset` on (a mulberry32 stream seeded by the id). */
class ContentCursor {
  private state: number;
  private offset = 0;
  private readonly magic: Buffer;
  private readonly text: boolean;

  constructor(private readonly attachment: AttachmentContent) {
    this.state = (attachment.id ^ Math.floor(attachment.id / 0x1_0000_0000) ^ 0x9e3779b9) >>> 0;
    this.magic = MAGIC[attachment.content_type] ?? Buffer.alloc(0);
    this.text = attachment.content_type.startsWith('text/');
  }

  get remaining(): number {
    return this.attachment.size - this.offset;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  read(max: number): Buffer {
    const n = Math.min(max, this.remaining);
    const out = Buffer.allocUnsafe(n);
    let i = 0;
    while (i < n && this.offset + i < this.magic.length) {
      out[i] = this.magic[this.offset + i]!;
      i += 1;
    }
    if (this.text) {
      for (; i < n; i++) out[i] = TEXT_LINE[(this.offset + i) % TEXT_LINE.length]!;
    } else {
      for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.next(), i);
      for (; i < n; i++) out[i] = this.next() & 0xff;
    }
    this.offset += n;
    return out;
  }
}

/** The attachment's bytes as a stream, generated 64 KiB at a time. */
export function attachmentStream(attachment: AttachmentContent): Readable {
  const cursor = new ContentCursor(attachment);
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (cursor.remaining === 0) this.push(null);
      else this.push(cursor.read(CHUNK));
    },
  });
}

/** The sha256 (hex) of the bytes a download of this attachment delivers. */
export function attachmentSha256(attachment: AttachmentContent): string {
  const hash = createHash('sha256');
  const cursor = new ContentCursor(attachment);
  while (cursor.remaining > 0) hash.update(cursor.read(CHUNK));
  return hash.digest('hex');
}
