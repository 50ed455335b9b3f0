import type { AttioApi } from './api';
import { attioList, attioOne, optionSchema, type AttioType } from './types';

/**
 * Select options and statuses: the values a select or status attribute may hold, written by title. Attio keeps
 * them apart (`…/options`, `…/statuses`) with the same shape; Tern creates the ones a plan writes that the
 * workspace lacks (when the plan allows it) and archives them on rollback. Archived ones keep their title taken.
 */

/** What Tern records a created one as in `target_extras`, and names it in operations. */
export type OptionKind = 'option' | 'status';

export const optionKindOf = (type: AttioType): OptionKind => (type === 'status' ? 'status' : 'option');

const plural = (kind: OptionKind) => (kind === 'status' ? 'statuses' : 'options');

const optionsUrl = (object: string, attribute: string, kind: OptionKind) =>
  `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(attribute)}/${plural(kind)}`;

/**
 * The live (unarchived) options or statuses of an attribute: title → id.
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/list-select-options
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/list-statuses
 */
export async function listOptions(
  api: AttioApi,
  object: string,
  attribute: string,
  kind: OptionKind,
): Promise<Map<string, string>> {
  const res = await api.read(attioList(optionSchema), {
    method: 'get',
    url: optionsUrl(object, attribute, kind),
    operation: `list ${object}.${attribute} ${plural(kind)}`,
    setup: true,
  });
  return new Map(
    (res?.data ?? []).filter((o) => !o.is_archived).map((o) => [o.title, o.id.status_id ?? o.id.option_id ?? o.title]),
  );
}

/**
 * Creates one: its id, or none when Attio refused it (400, 409: the title is taken, by a live one created
 * meanwhile or an archived one), with the status it answered.
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/create-a-select-option
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/create-a-status
 */
export async function createOption(
  api: AttioApi,
  object: string,
  attribute: string,
  kind: OptionKind,
  title: string,
): Promise<{ status: number; id?: string }> {
  const res = await api.exchange(attioOne(optionSchema), {
    method: 'post',
    url: optionsUrl(object, attribute, kind),
    data: { data: { title } },
    operation: `create ${object}.${attribute} ${kind}`,
    setup: true,
    accept: [400, 409],
  });
  if (!res.data) return { status: res.status };
  return { status: res.status, id: res.data.data.id.status_id ?? res.data.data.id.option_id ?? title };
}

/**
 * Archives one (absent is fine), or brings an archived one back.
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/update-a-select-option
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/update-a-status
 */
export async function setOptionArchived(
  api: AttioApi,
  object: string,
  attribute: string,
  kind: OptionKind,
  title: string,
  archived: boolean,
): Promise<void> {
  const url = `${optionsUrl(object, attribute, kind)}/${encodeURIComponent(title)}`;
  const what = `${object}.${attribute}:${title} ${kind}`;
  await api.send(
    archived
      ? {
          method: 'patch',
          url,
          data: { data: { is_archived: true } },
          operation: `archive ${what}`,
          setup: true,
          idempotent: true,
          accept: [404],
        }
      : {
          method: 'patch',
          url,
          data: { data: { is_archived: false } },
          operation: `unarchive ${what}`,
          setup: true,
          idempotent: true,
        },
  );
}
