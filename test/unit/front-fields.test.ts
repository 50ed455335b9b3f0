import type postgres from 'postgres';
import { checksum } from '../../plan/checksum';
import {
  ALL_CUSTOM_FIELDS,
  canonicalCustomField,
  customFieldRow,
  customFieldsToSend,
  customFieldWire,
  type FrontCustomField,
} from '../../connectors/front/custom-fields';
import { ADDED_FIELDS, canonicalFrontField, checksummedFields, FRONT_RESOURCES } from '../../connectors/front/fields';
import type { VendorClient } from '../../connectors/kit/http';
import { FrontTarget } from '../../connectors/front/target';
import type { TargetRecords } from '../../connectors/target';

/**
 * Front's target checksums what it writes — the plan's fields and the ones it adds itself (author_id, assignee_id,
 * the tag list) — and reads back the same fields to the same text, whichever field list the comparison starts
 * from: the plan's, the prepared payload's, or the checksum's own.
 */

const CONTACT_FIELDS: FrontCustomField[] = [
  { name: 'Language', type: 'string' },
  { name: 'Customer since', type: 'datetime' },
  { name: 'Seats', type: 'number' },
  { name: 'VIP', type: 'boolean' },
  { name: 'Account manager', type: 'string' },
];

/** Front as a fixed set of answers (GET by URL), the way the Core API shapes them. */
function frontAnswering(answers: Record<string, unknown>): VendorClient {
  const request = ({ url }: { url: string }) => {
    if (!(url in answers)) return Promise.resolve({ status: 404, data: {} });
    return Promise.resolve({ status: 200, data: answers[url] });
  };
  return { request, concurrency: 1 } as unknown as VendorClient;
}

const list = (results: unknown[]) => ({ _results: results, _pagination: { next: null } });

const teammates = list([
  { id: 'tea_1', email: 'leia@support.example.com', is_blocked: false },
  { id: 'tea_2', email: 'han@support.example.com', is_blocked: false },
]);

async function recordsOf(resource: string, answers: Record<string, unknown>): Promise<TargetRecords> {
  const front = new FrontTarget(
    frontAnswering({
      '/teammates': teammates,
      '/contacts/custom_fields': list(CONTACT_FIELDS),
      '/conversations/custom_fields': list([{ name: 'Region', type: 'string' }]),
      ...answers,
    }),
    { inbox: 'inb_1', fallbackTeammate: 'leia@support.example.com' },
    {} as postgres.Sql,
    'mig_unit',
    { [resource]: resource } as Record<string, 'contacts'>,
  );
  return front.records(resource);
}

/** The checksum Tern stores at write time, and the read-back's over the plan's fields and over its own. */
async function bothSides(records: TargetRecords, payload: Record<string, unknown>, targetId: string, key: string) {
  const [prepared] = await records.prepare([payload]);
  const written = records.canonical(prepared!);
  const row = (await records.lookup([{ sourceId: 's1', key, targetId, state: 'written' }])).get('s1')!;
  expect(row).toBeDefined();
  return {
    written,
    overPlanFields: records.canonicalReadBack(row, Object.keys(payload)),
    overChecksumFields: records.canonicalReadBack(row, Object.keys(written)),
    overPayloadFields: records.canonicalReadBack(row, Object.keys(prepared!)),
  };
}

describe('Front checksums the fields it writes, including those it adds itself', () => {
  it('reads back a message of a plan without author as it wrote it (no author on either side)', async () => {
    const message = {
      message_uid: 'u1',
      subject: 'Invoice',
      body: '<p>Hello</p>',
      is_inbound: false,
      created_at: 1_700_000_000,
      author: null,
      recipients: [
        { handle: 'agent@acme.example', name: 'Agent', role: 'from' },
        { handle: 'ann@example.org', name: null, role: 'to' },
      ],
      metadata: { thread_ref: 'zendesk-ticket-7' },
    };
    const records = await recordsOf('messages', { '/messages/alt:uid:u1': message });
    const sides = await bothSides(
      records,
      {
        external_id: 'zendesk-comment-1',
        thread_ref: 'zendesk-ticket-7',
        subject: 'Invoice',
        body: '<p>Hello</p>',
        sender_handle: 'agent@acme.example',
        sender_name: 'Agent',
        to: 'ann@example.org',
        is_inbound: 'false',
        created_at: '2023-11-14T22:13:20.000Z',
      },
      'u1',
      'zendesk-comment-1',
    );
    expect(sides.written).toMatchObject({ author_id: null, created_at: '1700000000', is_inbound: 'false' });
    expect(sides.overPlanFields).toEqual(sides.written);
    expect(sides.overChecksumFields).toEqual(sides.written);
    expect(sides.overPayloadFields).toEqual(sides.written);
  });

  it('reads back a conversation of a plan without assignee or tags as it wrote it', async () => {
    const conversation = {
      id: 'cnv_1',
      status: 'archived',
      assignee: null,
      tags: [],
      custom_fields: { Region: 'EMEA' },
    };
    const records = await recordsOf('conversations', { '/conversations/cnv_1': conversation });
    const sides = await bothSides(
      records,
      { thread_ref: 'zendesk-ticket-7', status: 'archived', cf_region: 'EMEA' },
      'cnv_1',
      'zendesk-ticket-7',
    );
    expect(sides.written).toEqual({ assignee_id: null, cf_region: 'EMEA', status: 'archived', tags: null });
    expect(sides.overPlanFields).toEqual(sides.written);
    expect(sides.overChecksumFields).toEqual(sides.written);
  });

  it('writes a note without an author as the fallback teammate’s, and reads that author back', async () => {
    const records = await recordsOf('comments', {});
    const [prepared] = await records.prepare([
      {
        note_ref: 'zendesk-resolution-7',
        conversation_id: 'cnv_1',
        body: 'Resolved',
        author: null,
        created_at: '2024-02-01T10:00:00Z',
      },
    ]);
    expect(prepared!.author_id).toBe('tea_1');
    expect(prepared!.body).toBe('<p><em>Private note by unknown, 2024-02-01T10:00:00Z</em></p>Resolved');
    const comment = { id: 'com_1', body: prepared!.body, author: { id: 'tea_1' }, posted_at: 1_800_000_000 };
    const front = await recordsOf('comments', { '/conversations/cnv_1/comments': list([comment]) });
    const row = (
      await front.lookup([{ sourceId: 's1', key: 'zendesk-resolution-7', targetId: 'cnv_1/com_1', state: 'written' }])
    ).get('s1')!;
    expect(records.canonicalReadBack(row, ['note_ref', 'conversation_id', 'body', 'created_at'])).toEqual(
      records.canonical(prepared!),
    );
  });

  it('resolves a note’s author from the plan like a message’s: a known teammate is the author', async () => {
    const records = await recordsOf('comments', {});
    const [prepared] = await records.prepare([
      {
        note_ref: 'n1',
        conversation_id: 'cnv_1',
        body: 'x',
        author: ' Han@Support.example.com ',
        created_at: '2024-02-01T10:00:00Z',
      },
    ]);
    expect(prepared!.author_id).toBe('tea_2');
    expect(records.canonical(prepared!)).toMatchObject({ author_id: 'tea_2' });
  });

  it('reads back contact custom fields of every type to the text it checksummed', async () => {
    const contact = {
      id: 'crd_1',
      name: 'Ann',
      description: null,
      handles: [{ handle: 'ann@example.org', source: 'email' }],
      custom_fields: {
        Language: 'de',
        'Customer since': 1_577_836_800,
        Seats: 12.5,
        VIP: true,
        'Account manager': 'Leia',
      },
    };
    const records = await recordsOf('contacts', { '/contacts/crd_1': contact });
    const sides = await bothSides(
      records,
      {
        email: 'ann@example.org',
        name: 'Ann',
        cf_language: 'de',
        cf_customer_since: '2020-01-01T00:00:00.000Z',
        cf_seats: '12.50',
        cf_vip: 'true',
      },
      'crd_1',
      'ann@example.org',
    );
    expect(sides.written).toEqual({
      cf_customer_since: '1577836800',
      cf_language: 'de',
      cf_seats: '12.5',
      cf_vip: 'true',
      email: 'ann@example.org',
      name: 'Ann',
    });
    expect(sides.overPlanFields).toEqual(sides.written);
    expect(sides.overChecksumFields).toEqual(sides.written);
  });

  it('differs in exactly the field Front changed', async () => {
    const conversation = { id: 'cnv_1', status: 'open', assignee: { id: 'tea_2' }, tags: [], custom_fields: {} };
    const records = await recordsOf('conversations', { '/conversations/cnv_1': conversation });
    const sides = await bothSides(
      records,
      { thread_ref: 't', status: 'archived', assignee: 'han@support.example.com' },
      'cnv_1',
      't',
    );
    const differing = Object.keys(sides.written).filter((f) => sides.written[f] !== sides.overChecksumFields[f]);
    expect(differing).toEqual(['status']);
    expect(checksum(sides.written)).not.toBe(checksum(sides.overChecksumFields));
  });
});

describe('checksummedFields', () => {
  it('always includes what the target adds, whatever the plan maps', () => {
    for (const resource of FRONT_RESOURCES)
      for (const added of Object.keys(ADDED_FIELDS[resource])) expect(checksummedFields(resource, [])).toContain(added);
  });

  it('names the stored field for a plan field and drops what Front does not return', () => {
    expect(checksummedFields('messages', ['external_id', 'author', 'author_name', 'body'])).toEqual([
      'author_id',
      'body',
    ]);
    expect(checksummedFields('conversations', ['thread_ref', 'assignee', 'tag_status', 'tag_priority'])).toEqual([
      'assignee_id',
      'tags',
    ]);
    expect(checksummedFields('comments', ['note_ref', 'created_at', 'body', 'author'])).toEqual(['author_id', 'body']);
  });

  it('is idempotent, so a checksum’s own field list reads back the same fields', () => {
    for (const resource of FRONT_RESOURCES) {
      const once = checksummedFields(resource, ['author', 'assignee', 'tag_x', 'body', 'cf_region', 'created_at']);
      expect(checksummedFields(resource, once)).toEqual(once);
    }
  });
});

describe('canonicalFrontField: the value written and the value read back give one text', () => {
  const cases: [string, string, unknown, unknown][] = [
    ['messages', 'author_id', 'tea_2', 'tea_2'],
    ['messages', 'created_at', '2024-02-01T10:00:00.000Z', '1706781600'],
    ['messages', 'is_inbound', true, 'true'],
    ['conversations', 'assignee_id', 'tea_2', 'tea_2'],
    ['conversations', 'tags', ['b', 'a'], JSON.stringify(['a', 'b'])],
    ['conversations', 'tags', [], '[]'],
    ['comments', 'author_id', 'tea_1', 'tea_1'],
    [
      'messages',
      'attachments',
      [{ file_name: 'a.pdf', content_type: 'application/pdf', size: 3 }],
      JSON.stringify([{ filename: 'a.pdf', content_type: 'application/pdf', size: 3 }]),
    ],
  ];
  it.each(cases)('%s.%s', (resource, field, written, readBack) => {
    const r = resource as (typeof FRONT_RESOURCES)[number];
    expect(canonicalFrontField(r, field, written)).toBe(canonicalFrontField(r, field, readBack));
  });

  it('an empty, null or absent value is null on both sides', () => {
    for (const v of [null, undefined, '']) expect(canonicalFrontField('messages', 'author_id', v)).toBeNull();
  });
});

describe('contact custom fields', () => {
  const fields = new Map<string, FrontCustomField>([
    ['cf_language', { name: 'Language', type: 'string' }],
    ['cf_customer_since', { name: 'Customer since', type: 'datetime' }],
    ['cf_seats', { name: 'Seats', type: 'number' }],
    ['cf_vip', { name: 'VIP', type: 'boolean' }],
  ]);

  it('sends each value in its field’s type', () => {
    expect(customFieldWire('datetime', '2020-01-01T00:00:00Z')).toEqual({ value: 1_577_836_800 });
    expect(customFieldWire('datetime', '1577836800')).toEqual({ value: 1_577_836_800 });
    expect(customFieldWire('number', ' 12.50 ')).toEqual({ value: 12.5 });
    expect(customFieldWire('boolean', 'T')).toEqual({ value: true });
    expect(customFieldWire('boolean', false)).toEqual({ value: false });
    expect(customFieldWire('string', 'ü 日本')).toEqual({ value: 'ü 日本' });
    expect(customFieldWire('string', '')).toEqual({ value: null });
  });

  it('refuses a value that is not of its field’s type, naming the field and the fix', () => {
    const sent = customFieldsToSend(fields, { cf_vip: 'sometimes' }, null);
    expect(sent).toEqual({
      field: 'cf_vip',
      error:
        'cf_vip: "sometimes" is not a boolean, but Front\'s custom field "VIP" is of type boolean; add a `boolean` transform to the field',
    });
    expect(customFieldsToSend(fields, { cf_seats: 'many' }, null)).toMatchObject({ field: 'cf_seats' });
    expect(customFieldsToSend(fields, { cf_customer_since: 'last spring' }, null)).toMatchObject({
      field: 'cf_customer_since',
    });
  });

  it('keeps the custom fields Front holds that the plan does not map (an update replaces them all)', () => {
    const existing = JSON.stringify({ 'Account manager': 'Leia', Language: 'en' });
    expect(customFieldsToSend(fields, { cf_language: 'de', name: 'Ann' }, existing)).toEqual({
      values: { 'Account manager': 'Leia', Language: 'de' },
    });
  });

  it('sends nothing when the plan maps no custom field', () => {
    expect(customFieldsToSend(fields, { name: 'Ann' }, JSON.stringify({ Language: 'en' }))).toEqual({});
  });

  it('reads Front’s values into a row, all of them kept for updates and restores', () => {
    const row = customFieldRow(fields, { VIP: false, Language: 'fr', Other: 1, 'Customer since': 1_577_836_800 });
    expect(row).toEqual({
      cf_language: 'fr',
      cf_customer_since: '2020-01-01T00:00:00.000Z',
      cf_seats: null,
      cf_vip: 'false',
      [ALL_CUSTOM_FIELDS]: JSON.stringify({ 'Customer since': 1_577_836_800, Language: 'fr', Other: 1, VIP: false }),
    });
    expect(customFieldRow(fields, undefined)[ALL_CUSTOM_FIELDS]).toBe('{}');
  });

  it('canonicalises a value not of its type as its text (it is refused before it is sent)', () => {
    expect(canonicalCustomField('number', 'many')).toBe('many');
    expect(canonicalCustomField('number', '007')).toBe('7');
  });
});
