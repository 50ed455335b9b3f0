import type { GoldColumn } from '../../plan/gold';
import { columnRejection, UniqueValues } from '../../plan/target-check';
import { composeTransforms, domainOf, RecordRejection, standaloneContext } from '../../plan/transforms';

function attribute(name: string, overrides: Partial<GoldColumn> = {}): GoldColumn {
  return {
    name,
    dataType: 'text',
    udtName: 'text',
    nullable: true,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
    multiple: false,
    ...overrides,
  };
}

/** Attio's people and deals, as the gold schema describes their attributes. */
const people = [
  attribute('legacy_id', { nullable: false }),
  attribute('email_addresses', { format: 'email', multiple: true }),
  attribute('phone_numbers', { format: 'phone', multiple: true }),
  attribute('job_title'),
];
const companies = [
  attribute('legacy_id', { nullable: false }),
  attribute('domains', { format: 'domain', multiple: true }),
];
const deals = [
  attribute('legacy_id', { nullable: false }),
  attribute('name', { nullable: false }),
  attribute('stage', { nullable: false, options: ['Lead', 'In Progress', 'Won 🎉', 'Lost'], createsOptions: false }),
];

describe('pre-flight: a record against the target attribute rules', () => {
  it('accepts what Attio accepts', () => {
    expect(
      columnRejection(
        { legacy_id: '1', email_addresses: ['a@b.co', 'x.y@z.example'], phone_numbers: '+12125550123' },
        people,
      ),
    ).toBeUndefined();
    expect(columnRejection({ legacy_id: '1', name: 'Renewal', stage: 'Won 🎉' }, deals)).toBeUndefined();
  });

  it('names the field, the value and the fix of each format Attio refuses', () => {
    const email = columnRejection({ legacy_id: '1', email_addresses: ['ok@b.co', 'jane@localhost'] }, people);
    expect(email).toMatchObject({ code: 'target_invalid_email', field: 'email_addresses', value: 'jane@localhost' });
    expect(email?.fix).toContain('`email` transform');
    const phone = columnRejection({ legacy_id: '1', phone_numbers: '(212) 555-0123' }, people);
    expect(phone).toMatchObject({ code: 'target_invalid_phone', value: '(212) 555-0123' });
    expect(phone?.fix).toContain('phone');
    const domain = columnRejection({ legacy_id: '1', domains: 'www.acme .com' }, companies);
    expect(domain?.code).toBe('target_invalid_domain');
    expect(domain?.fix).toContain('`domain` transform');
  });

  it('refuses an option the workspace lacks unless the plan creates options', () => {
    const option = columnRejection({ legacy_id: '1', name: 'x', stage: 'Closed Won' }, deals);
    expect(option).toMatchObject({ code: 'target_option_missing', field: 'stage', value: 'Closed Won' });
    expect(option?.fix).toContain('tern map suggest');
    const creating = deals.map((c) => (c.name === 'stage' ? { ...c, createsOptions: true } : c));
    expect(columnRejection({ legacy_id: '1', name: 'x', stage: 'Closed Won' }, creating)).toBeUndefined();
  });

  it('refuses what is not a number for a currency attribute', () => {
    const value = [attribute('value', { dataType: 'numeric', udtName: 'numeric' })];
    expect(columnRejection({ value: '1200.50' }, value)).toBeUndefined();
    expect(columnRejection({ value: 'TBD' }, value)).toMatchObject({ code: 'target_not_a_number', value: 'TBD' });
  });

  it('refuses a missing required value, blank text and several values for a single attribute', () => {
    expect(columnRejection({ legacy_id: '1', name: '  ', stage: 'Lost' }, deals)).toMatchObject({
      code: 'required_missing',
      field: 'name',
    });
    expect(columnRejection({ legacy_id: '1', job_title: ['CEO', 'Founder'] }, people)).toMatchObject({
      code: 'target_several_values',
      value: 'CEO, Founder',
    });
  });

  it('keeps a table column’s rules as they were: an empty string is a value', () => {
    const table = [{ ...attribute('name', { nullable: false }), multiple: undefined }];
    expect(columnRejection({ name: '' }, table)).toBeUndefined();
    expect(columnRejection({ name: null }, table)).toMatchObject({ code: 'required_missing' });
  });

  it('finds the second record holding a unique value, as the target compares it', () => {
    const unique = new UniqueValues(people, ['legacy_id', 'email_addresses'], 'legacy_id');
    expect(unique.check('1', { legacy_id: '1', email_addresses: ['Jane@Acme.com'] })).toBeUndefined();
    expect(unique.check('1', { legacy_id: '1', email_addresses: ['jane@acme.com'] })).toBeUndefined();
    const conflict = unique.check('2', { legacy_id: '2', email_addresses: ['bob@acme.com', 'JANE@acme.com'] });
    expect(conflict).toMatchObject({ code: 'target_unique_conflict', field: 'email_addresses' });
    expect(conflict?.message).toContain('record 1');
    // The refused record's other values were not taken.
    expect(unique.check('3', { legacy_id: '3', email_addresses: ['bob@acme.com'] })).toBeUndefined();
  });
});

describe('the domain transform', () => {
  const run = (value: unknown, args: Record<string, unknown> = {}) =>
    composeTransforms([{ domain: args }])(value, standaloneContext());

  it('reads the domain out of websites and URLs', () => {
    expect(domainOf('https://www.Acme.com/about?x=1')).toBe('acme.com');
    expect(domainOf('acme.co.uk')).toBe('acme.co.uk');
    expect(domainOf('http://shop.acme.io:8080')).toBe('shop.acme.io');
    expect(domainOf('WWW.ACME.COM.')).toBe('acme.com');
    expect(run(['acme.com', 'https://beta.example'])).toEqual(['acme.com', 'beta.example']);
    expect(run('  ')).toBeNull();
  });

  it('quarantines what is not a domain, or drops it when told', () => {
    for (const bad of ['n/a', 'acme .com', 'localhost', 'http://', '-acme.com']) {
      expect(domainOf(bad)).toBeUndefined();
      expect(() => run(bad)).toThrow(RecordRejection);
    }
    expect(run('n/a', { onInvalid: 'null' })).toBeNull();
  });
});
