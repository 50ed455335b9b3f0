import { parsePlan } from '../../plan/load';
import { renderVisualMap } from '../../plan/visual-map';

const PLAN = `
version: 1
name: CRM to new CRM
source: { kind: postgres, urlEnv: LEGACY_URL, schema: legacy_crm }
target: { kind: postgres, schema: crm_target }
objects:
  - name: accounts
    source: { table: accounts, id: account_id, updatedAt: modified }
    target: { table: accounts, key: legacy_id }
    filters:
      - { name: closed-before-2015, field: closed_at, before: 2015-01-01 }
      - { field: status, in: [Test, Dummy] }
      - { field: name, blank: true }
    dedupe: { key: [name, city], survivor: latest_updated }
    fields:
      - { from: account_id, to: legacy_id, transform: [trim, required] }
      - { from: Name, to: name, transform: [collapse_whitespace, { truncate: { length: 80 } }] }
      - from: Industry
        to: industry
        transform:
          - picklist:
              options: [Financial Services, Healthcare, Retail]
              aliases: { Banking: Financial Services, Shops: Retail }
      - { from: Tags, to: tags, transform: [split, { map: { values: { vip: VIP } , unmapped: keep } }] }
      - { from: Notes, to: notes }
      - { to: status, transform: [{ default: active }] }
  - name: contacts
    source: { query: "select * from legacy_crm.contacts where deleted = false", id: contact_id }
    target: { table: contacts, key: legacy_id }
    fields:
      - { from: contact_id, to: legacy_id, transform: [trim] }
      - { from: account_id, to: account_id, transform: [{ reference: { object: accounts, onMissing: null } }] }
      - { from: Phone, to: phone, transform: [{ phone: { defaultCountry: US, onInvalid: null } }] }
      - { from: Créé_le, to: created_at, transform: [{ datetime: { zone: America/New_York } }] }
`;

describe('renderVisualMap', () => {
  const { plan } = parsePlan(PLAN, 'plan.yaml');

  it('prints every object: header, filters, dedupe and aligned field lines', () => {
    expect(renderVisualMap(plan)).toBe(
      [
        'accounts: legacy_crm.accounts → crm_target.accounts (key legacy_id)',
        '  filter closed-before-2015: closed_at before 2015-01-01',
        '  filter: status in ["Test", "Dummy"]',
        '  filter: name is blank',
        '  dedupe: key name + city, survivor latest_updated',
        '  account_id → trim → required                                         → legacy_id',
        '  Name       → collapse_whitespace → truncate(80, overflow→quarantine) → name',
        '  Industry   → picklist(3 options, 2 aliases, unmapped→quarantine)     → industry',
        '  Tags       → split("," ";", unique) → map(1 value, unmapped→keep)    → tags',
        '  Notes      → (none)                                                  → notes',
        '  —          → default("active")                                       → status',
        '',
        'contacts: query → crm_target.contacts (key legacy_id)',
        '  filters: (none)',
        '  dedupe: (none)',
        '  contact_id → trim                              → legacy_id',
        '  account_id → reference(accounts, missing→null) → account_id',
        '  Phone      → phone(US, invalid→null)           → phone',
        '  Créé_le    → datetime(auto, America/New_York)  → created_at',
      ].join('\n'),
    );
  });

  it('prints one object on request and names the objects when asked for an unknown one', () => {
    expect(renderVisualMap(plan, { object: 'contacts' }).split('\n')[0]).toBe(
      'contacts: query → crm_target.contacts (key legacy_id)',
    );
    expect(renderVisualMap(plan, { object: 'contacts' })).not.toContain('accounts:');
    expect(() => renderVisualMap(plan, { object: 'leads' })).toThrow(
      'the plan has no object "leads"; its objects are: accounts, contacts',
    );
  });

  it('names file sources by their file, and is stable', () => {
    const csv = parsePlan(
      `
version: 1
name: files
source: { kind: csv, directory: data }
target: { kind: postgres, schema: public }
objects:
  - name: customers
    source: { file: customers.csv, id: id }
    target: { table: customers, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
`,
      'plan.yaml',
    ).plan;
    const text = renderVisualMap(csv);
    expect(text).toBe(
      [
        'customers: customers.csv → public.customers (key legacy_id)',
        '  filters: (none)',
        '  dedupe: (none)',
        '  id → (none) → legacy_id',
      ].join('\n'),
    );
    expect(renderVisualMap(csv)).toBe(text);
    expect(text).not.toContain('\u001b'); // no colour codes
  });
});
