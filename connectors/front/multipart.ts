import FormData from 'form-data';
import { ConfigError } from '../../common/errors';
import type { SourceAttachment } from './fields';
import type { AttachmentDownloads } from './resource';

/**
 * A message or note as Front's multipart form (https://dev.frontapp.com/docs/attachments-1): fields in bracket
 * notation, each attachment a file part streamed from the source as it is sent (its size declared, so nothing is
 * buffered). Built per attempt: streams are read once.
 */
export async function multipart(
  downloads: AttachmentDownloads | undefined,
  fields: Record<string, unknown>,
  attachments: SourceAttachment[],
): Promise<FormData> {
  if (!downloads)
    throw new ConfigError(
      'a message has attachments, but the plan’s source cannot serve them',
      'map attachments only from a source that has them (Zendesk comments)',
    );
  const form = new FormData();
  const put = (name: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((v, i) => put(`${name}[${i}]`, v));
    else if (typeof value === 'object')
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) put(`${name}[${k}]`, v);
    else form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
  };
  for (const [k, v] of Object.entries(fields)) put(k, v);
  for (const [i, a] of attachments.entries()) {
    const url = a.content_url ?? a.url;
    if (!url) throw new Error(`attachment ${i} (${a.file_name ?? a.filename ?? 'unnamed'}) has no URL`);
    form.append(`attachments[${i}]`, await downloads(url), {
      filename: a.file_name ?? a.filename ?? `attachment-${i}`,
      contentType: a.content_type ?? 'application/octet-stream',
      ...(typeof a.size === 'number' ? { knownLength: a.size } : {}),
    });
  }
  return form;
}

/** The files a payload's `attachments` field lists (none when it is empty). */
export const attachmentsOf = (payload: Record<string, unknown>): SourceAttachment[] =>
  ((payload.attachments as SourceAttachment[] | null | undefined) ?? []).filter(Boolean);
