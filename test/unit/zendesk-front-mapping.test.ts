import { canonicalAttachments, customFieldKey } from '../../connectors/front/target';
import { commentRecord, macroRecord, type Comment, type Ticket, type User } from '../../connectors/zendesk/source';

/** The pure parts of Zendesk → Front: how records are flattened and what is compared after reading back. */

const user = (id: number, role: string, email: string, active = true): User => ({
  id,
  name: `User ${id}`,
  email,
  role,
  active,
  suspended: false,
  organization_id: null,
  phone: null,
  time_zone: null,
  locale: null,
  tags: [],
  created_at: '2020-01-01T00:00:00Z',
  updated_at: '2020-01-02T00:00:00Z',
});

const ticket: Ticket = {
  id: 7,
  external_id: null,
  type: 'question',
  subject: 'Rechnung falsch',
  description: 'Bitte prüfen',
  priority: 'high',
  status: 'open',
  requester_id: 1,
  submitter_id: 1,
  assignee_id: 2,
  organization_id: null,
  group_id: null,
  tags: ['billing'],
  custom_fields: [],
  created_at: '2020-01-01T00:00:00Z',
  updated_at: '2020-01-03T00:00:00Z',
};

const comment = (author: number): Comment => ({
  id: 100 + author,
  author_id: author,
  body: 'Hallo',
  html_body: '<p>Hallo</p>',
  plain_body: 'Hallo',
  public: true,
  attachments: [],
  created_at: '2020-01-01T01:00:00Z',
});

describe('Zendesk comments, flattened', () => {
  const users = new Map([
    [1, user(1, 'end-user', 'kunde@example.de')],
    [2, user(2, 'agent', 'agent@acme.example', false)],
  ]);

  test('a customer writes in: inbound, no counterpart', () => {
    expect(commentRecord(comment(1), ticket, users)).toMatchObject({
      direction: 'inbound',
      counterpart_email: null,
      author_email: 'kunde@example.de',
      ticket_id: 7,
      ticket_updated_at: '2020-01-03T00:00:00Z',
    });
  });

  test('an agent who left replies: outbound to the requester, the agent marked inactive', () => {
    expect(commentRecord(comment(2), ticket, users)).toMatchObject({
      direction: 'outbound',
      counterpart_email: 'kunde@example.de',
      author_role: 'agent',
      author_active: false,
    });
  });

  test('an author Zendesk no longer lists: the requester’s own comment is still inbound', () => {
    expect(commentRecord(comment(1), ticket, new Map())).toMatchObject({ direction: 'inbound', author_email: null });
    expect(commentRecord(comment(9), ticket, new Map())).toMatchObject({ direction: 'outbound' });
  });
});

describe('Zendesk macros → Front templates', () => {
  const macro = (actions: { field: string; value: unknown }[]) => ({
    id: 1,
    title: 'Refund',
    description: null,
    active: true,
    actions,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z',
  });

  test('a text reply becomes HTML, escaped, with its line breaks', () => {
    expect(macroRecord(macro([{ field: 'comment_value', value: 'a < b\nthanks' }])).body_html).toBe(
      '<p>a &lt; b<br>thanks</p>',
    );
  });

  test('an HTML reply is kept; actions a template cannot do are written apart', () => {
    const r = macroRecord(
      macro([
        { field: 'comment_value_html', value: '<p>Done</p>' },
        { field: 'status', value: 'solved' },
      ]),
    );
    expect(r.body_html).toBe('<p>Done</p>');
    expect(r.actions_note).toBe('<p><em>In Zendesk this macro also set: status "solved"</em></p>');
  });

  test('a macro with actions only has no reply (the plan filters it by name)', () => {
    expect(macroRecord(macro([{ field: 'status', value: 'solved' }])).body_html).toBeNull();
  });
});

describe('what Tern compares after reading Front back', () => {
  test('attachments compare by name, type and size, whatever their order and URLs', () => {
    const source = [
      { file_name: 'b.pdf', content_type: 'application/pdf', size: 10, content_url: 'https://z/1' },
      { file_name: 'a.png', content_type: 'image/png', size: 5, content_url: 'https://z/2' },
    ];
    const front = [
      { filename: 'a.png', content_type: 'image/png', size: 5, url: 'https://f/9' },
      { filename: 'b.pdf', content_type: 'application/pdf', size: 10, url: 'https://f/8' },
    ];
    expect(canonicalAttachments(source)).toBe(canonicalAttachments(JSON.stringify(front)));
    expect(canonicalAttachments([{ ...source[0], size: 11 }])).not.toBe(canonicalAttachments([source[0]]));
    expect(canonicalAttachments([])).toBeNull();
  });

  test('custom field names as plan fields', () => {
    expect(customFieldKey('Order number')).toBe('cf_order_number');
    expect(customFieldKey('  Région (EU) ')).toBe('cf_r_gion_eu');
  });
});
