import axios, { type AxiosResponse } from 'axios';
import {
  attioSandbox,
  attioWorkspaceFingerprint,
  attioWorkspaceState,
  createAttioAttribute,
} from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Values = Record<string, unknown[]>;
interface AttioRecord {
  id: { record_id: string };
  values: Record<string, Record<string, unknown>[]>;
}
interface AttioAttribute {
  api_slug: string;
  type: string;
  is_unique: boolean;
  is_required: boolean;
  is_multiselect: boolean;
  is_system_attribute: boolean;
  is_archived: boolean;
  id: { attribute_id: string };
  config: { record_reference: { allowed_object_ids: string[] | null } };
}
interface AttioChoice {
  id: { option_id?: string; status_id?: string };
  title: string;
  is_archived: boolean;
  celebration_enabled?: boolean;
  target_time_in_status?: string | null;
}

const anyString = expect.any(String) as string;
const messageOf = (res: AxiosResponse) => (res.data as { message: string }).message;

/** Every Attio route Tern uses, exercised over HTTP and checked against Attio's published spec. */
describe('the Attio sandbox', () => {
  const sandboxes: RunningSandbox[] = [];
  afterAll(() => Promise.all(sandboxes.map((s) => s.close())));

  /** A new workspace, and a client that waits out the rate limit when told to. */
  async function workspace(options: { rate?: number } = {}) {
    const sandbox = await startSandbox(attioSandbox, { seed: 9, rate: options.rate ?? 1000 });
    sandboxes.push(sandbox);
    const api = axios.create({
      baseURL: sandbox.url,
      headers: { authorization: 'Bearer attio-sandbox-token' },
      validateStatus: () => true,
    });
    async function call<T = unknown>(method: Method, url: string, data?: unknown, params?: unknown) {
      for (;;) {
        const res: AxiosResponse<T> = await api.request<T>({ method, url, data, params });
        if (res.status !== 429) return res;
        const retryAt = Date.parse(String(res.headers['retry-after']));
        await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now()) + 5));
      }
    }
    const create = (object: string, values: Values) =>
      call<{ data: AttioRecord }>('post', `/v2/objects/${object}/records`, { data: { values } });
    const assert = (object: string, matching: string, values: Values) =>
      call<{ data: AttioRecord }>(
        'put',
        `/v2/objects/${object}/records`,
        { data: { values } },
        { matching_attribute: matching },
      );
    const update = (method: 'patch' | 'put', object: string, id: string, values: Values) =>
      call<{ data: AttioRecord }>(method, `/v2/objects/${object}/records/${id}`, { data: { values } });
    const attributes = async (object: string, params?: unknown) =>
      (await call<{ data: AttioAttribute[] }>('get', `/v2/objects/${object}/attributes`, undefined, params)).data.data;
    const createAttribute = (object: string, data: Record<string, unknown>) =>
      call<{ data: AttioAttribute }>('post', `/v2/objects/${object}/attributes`, {
        data: {
          title: data.api_slug,
          description: null,
          type: 'text',
          is_required: false,
          is_unique: false,
          is_multiselect: false,
          config: {},
          ...data,
        },
      });
    const choices = async (path: string, params?: unknown) =>
      (await call<{ data: AttioChoice[] }>('get', path, undefined, params)).data.data;
    return { sandbox, call, create, assert, update, attributes, createAttribute, choices };
  }

  const idOf = (res: AxiosResponse<{ data: AttioRecord }>) => res.data.data.id.record_id;
  const texts = (r: AttioRecord, slug: string) =>
    (r.values[slug] ?? []).map(
      (v) =>
        v.value ??
        v.email_address ??
        v.domain ??
        v.phone_number ??
        (v.option as { title: string } | undefined)?.title ??
        (v.status as { title: string } | undefined)?.title ??
        v.target_record_id,
    );

  it('starts as a new workspace: companies, people and deals with their standard attributes and no key attribute', async () => {
    const { call, attributes } = await workspace();
    const objects = await call<{ data: { api_slug: string }[] }>('get', '/v2/objects');
    expect(objects.status).toBe(200);
    expect(objects.data.data.map((o) => o.api_slug)).toEqual(['companies', 'people', 'deals']);
    expect((await call('get', '/v2/objects/people')).status).toBe(200);
    expect((await call('get', '/v2/objects/tickets')).data).toMatchObject({ status_code: 404, code: 'not_found' });

    const shape = (list: AttioAttribute[]) =>
      Object.fromEntries(
        list.map((a) => [a.api_slug, [a.type, a.is_unique, a.is_required, a.is_multiselect].join(' ')]),
      );
    expect(shape(await attributes('companies'))).toEqual({
      name: 'text false false false',
      domains: 'domain true false true',
      description: 'text false false false',
      categories: 'select false false true',
    });
    expect(shape(await attributes('people'))).toEqual({
      name: 'text false false false',
      email_addresses: 'email-address true false true',
      phone_numbers: 'phone-number false false true',
      job_title: 'text false false false',
      description: 'text false false false',
      company: 'record-reference false false false',
    });
    const deals = await attributes('deals');
    expect(shape(deals)).toEqual({
      name: 'text false true false',
      stage: 'status false true false',
      value: 'currency false false false',
      associated_company: 'record-reference false false false',
      associated_people: 'record-reference false false true',
    });
    expect(deals.find((a) => a.api_slug === 'associated_people')!.config.record_reference.allowed_object_ids).toEqual([
      'people',
    ]);
    expect(deals.every((a) => a.is_system_attribute && !a.is_archived)).toBe(true);

    const companies = await call<{ data: AttioRecord[] }>('post', '/v2/objects/companies/records/query', {});
    expect(companies.data.data.map((r) => texts(r, 'name')[0])).toEqual([
      'Existing company 1',
      'Existing company 2',
      'Existing company 3',
    ]);
  });

  it('creates a key attribute, refuses a second with its slug, archives it and restores it', async () => {
    const { call, create, attributes, createAttribute, sandbox } = await workspace();
    const created = await createAttribute('companies', { api_slug: 'legacy_id', title: 'Legacy ID', is_unique: true });
    expect(created.status).toBe(200);
    expect(created.data.data).toMatchObject({
      api_slug: 'legacy_id',
      type: 'text',
      is_unique: true,
      is_system_attribute: false,
      is_archived: false,
    });
    expect((await call('get', '/v2/objects/companies/attributes/legacy_id')).status).toBe(200);
    expect((await attributes('companies')).map((a) => a.api_slug)).toContain('legacy_id');

    const again = await createAttribute('companies', { api_slug: 'legacy_id' });
    expect(again.status).toBe(409);
    expect(again.data).toMatchObject({ status_code: 409, type: 'invalid_request_error', code: 'slug_conflict' });
    for (const [data, message] of [
      [{ api_slug: 'Legacy-ID' }, 'snake case'],
      [{ api_slug: 'tier', type: 'status' }, 'not supported on objects'],
      [{ api_slug: 'notes', is_multiselect: true }, 'cannot be multiselect'],
      [{ api_slug: 'flag', type: 'checkbox', is_unique: true }, 'cannot be unique'],
      [{ api_slug: 'partner', type: 'record-reference' }, 'allowed_objects'],
    ] as const) {
      const refused = await createAttribute('companies', data);
      expect(refused.status).toBe(400);
      expect(refused.data).toMatchObject({ status_code: 400, code: 'validation_type' });
      expect(JSON.stringify(refused.data)).toContain(message);
    }
    expect((await createAttribute('tickets', { api_slug: 'x' })).status).toBe(404);
    const reference = await createAttribute('people', {
      api_slug: 'referrer',
      type: 'record-reference',
      config: { record_reference: { allowed_objects: ['people'] } },
    });
    expect(reference.data.data.config.record_reference.allowed_object_ids).toEqual(['people']);

    expect((await create('companies', { name: ['Keyed'], legacy_id: ['acc-1'] })).status).toBe(200);
    const archived = await call<{ data: AttioAttribute }>('patch', '/v2/objects/companies/attributes/legacy_id', {
      data: { is_archived: true },
    });
    expect(archived.status).toBe(200);
    expect(archived.data.data.is_archived).toBe(true);
    expect((await attributes('companies')).map((a) => a.api_slug)).not.toContain('legacy_id');
    expect((await attributes('companies', { show_archived: true })).map((a) => a.api_slug)).toContain('legacy_id');
    const hidden = await call<{ data: AttioRecord[] }>('post', '/v2/objects/companies/records/query', {});
    expect(hidden.data.data.every((r) => !('legacy_id' in r.values))).toBe(true);

    const write = await create('companies', { name: ['Late'], legacy_id: ['acc-2'] });
    expect(write.data).toMatchObject({ status_code: 400, code: 'value_not_found' });
    expect(messageOf(write)).toContain('attribute "legacy_id"');
    expect((await createAttribute('companies', { api_slug: 'legacy_id' })).status).toBe(409);

    // By its id too, as Attio allows.
    const restored = await call<{ data: AttioAttribute }>(
      'patch',
      `/v2/objects/companies/attributes/${created.data.data.id.attribute_id}`,
      { data: { is_archived: false } },
    );
    expect(restored.data.data.is_archived).toBe(false);
    const keyed = await call<{ data: AttioRecord[] }>('post', '/v2/objects/companies/records/query', {
      filter: { legacy_id: 'acc-1' },
    });
    expect(keyed.data.data.map((r) => texts(r, 'name'))).toEqual([['Keyed']]);

    const system = await call('patch', '/v2/objects/companies/attributes/name', { data: { is_archived: true } });
    expect(system.data).toMatchObject({ status_code: 400, code: 'system_edit_unauthorized' });
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('lists, creates, renames and archives select options', async () => {
    const { call, create, choices, sandbox } = await workspace();
    const path = '/v2/objects/companies/attributes/categories/options';
    const before = await choices(path);
    expect(before.map((o) => o.title)).toEqual(['B2B', 'B2C', 'SaaS', 'Enterprise']);
    expect(before[0]).toMatchObject({ id: { option_id: anyString }, is_archived: false });

    const created = await call<{ data: AttioChoice }>('post', path, { data: { title: 'Fintech' } });
    expect(created.status).toBe(200);
    expect(created.data.data).toMatchObject({ title: 'Fintech', is_archived: false });
    const duplicate = await call('post', path, { data: { title: 'Fintech' } });
    expect(duplicate.data).toMatchObject({ status_code: 409, code: 'slug_conflict' });

    const tagged = await create('companies', { name: ['Ledger'], categories: ['Fintech', 'B2B'] });
    expect(tagged.status).toBe(200);
    // An option by its id, in Attio's object form.
    const byId = await create('companies', {
      name: ['Ledger 2'],
      categories: [{ option: created.data.data.id.option_id }],
    });
    expect(texts(byId.data.data, 'categories')).toEqual(['Fintech']);

    const renamed = await call<{ data: AttioChoice }>('patch', `${path}/Fintech`, { data: { title: 'FinTech' } });
    expect(renamed.data.data.title).toBe('FinTech');
    const read = await call<{ data: AttioRecord }>('get', `/v2/objects/companies/records/${idOf(tagged)}`);
    expect(texts(read.data.data, 'categories')).toEqual(['FinTech', 'B2B']);
    expect((await call('patch', `${path}/FinTech`, { data: { title: 'B2B' } })).status).toBe(409);

    const archived = await call<{ data: AttioChoice }>('patch', `${path}/${created.data.data.id.option_id}`, {
      data: { is_archived: true },
    });
    expect(archived.data.data.is_archived).toBe(true);
    expect((await choices(path)).map((o) => o.title)).not.toContain('FinTech');
    expect((await choices(path, { show_archived: true })).map((o) => o.title)).toContain('FinTech');
    const refused = await create('companies', { name: ['Late'], categories: ['FinTech'] });
    expect(refused.data).toMatchObject({ status_code: 400, code: 'value_not_found' });
    expect(messageOf(refused)).toMatch(/"FinTech".*attribute "categories"/);
    expect((await call('post', path, { data: { title: 'FinTech' } })).status).toBe(409);

    expect((await call('patch', `${path}/Nope`, { data: { is_archived: true } })).data).toMatchObject({
      status_code: 400,
      code: 'value_not_found',
    });
    expect((await call('get', '/v2/objects/companies/attributes/name/options')).status).toBe(404);
    expect((await call('get', '/v2/objects/companies/attributes/nope/options')).status).toBe(404);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('lists, creates and archives deal stages', async () => {
    const { call, create, choices, sandbox } = await workspace();
    const path = '/v2/objects/deals/attributes/stage/statuses';
    const stages = await choices(path);
    expect(stages.map((s) => [s.title, s.celebration_enabled])).toEqual([
      ['Lead', false],
      ['In Progress', false],
      ['Won 🎉', true],
      ['Lost', false],
    ]);
    expect(stages[0]).toMatchObject({ id: { status_id: anyString }, is_archived: false });

    const created = await call<{ data: AttioChoice }>('post', path, {
      data: { title: 'Negotiation', celebration_enabled: false, target_time_in_status: 'P0Y0M7DT0H0M0S' },
    });
    expect(created.data.data).toMatchObject({
      title: 'Negotiation',
      celebration_enabled: false,
      target_time_in_status: 'P0Y0M7DT0H0M0S',
      is_archived: false,
    });
    expect((await call('post', path, { data: { title: 'Negotiation' } })).data).toMatchObject({
      status_code: 409,
      code: 'slug_conflict',
    });
    const deal = await create('deals', { name: ['Big deal'], stage: ['Negotiation'] });
    expect(texts(deal.data.data, 'stage')).toEqual(['Negotiation']);

    const updated = await call<{ data: AttioChoice }>('patch', `${path}/${created.data.data.id.status_id}`, {
      data: { celebration_enabled: true, is_archived: true },
    });
    expect(updated.data.data).toMatchObject({ celebration_enabled: true, is_archived: true });
    expect((await choices(path)).map((s) => s.title)).toEqual(['Lead', 'In Progress', 'Won 🎉', 'Lost']);
    const refused = await create('deals', { name: ['Late deal'], stage: ['Negotiation'] });
    expect(refused.data).toMatchObject({ status_code: 400, code: 'value_not_found' });
    expect(messageOf(refused)).toMatch(/"Negotiation".*attribute "stage"/);
    expect((await call('get', '/v2/objects/deals/attributes/value/statuses')).status).toBe(404);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('creates, asserts, updates, overwrites, queries, reads and deletes records', async () => {
    const { call, create, assert, update, createAttribute, sandbox } = await workspace();
    await createAttribute('companies', { api_slug: 'legacy_id', is_unique: true });
    const created = await create('companies', {
      name: ['Acme'],
      domains: ['acme.example'],
      categories: ['B2B'],
      legacy_id: ['c-1'],
    });
    expect(created.status).toBe(200);
    const id = idOf(created);
    // Every live attribute is in the answer, empty where the record has no value.
    expect(created.data.data.values.description).toEqual([]);

    // Assert on a multiselect matching attribute: its values are added to; other multiselects are replaced.
    const asserted = await assert('companies', 'domains', {
      domains: ['acme.example', 'acme.io'],
      categories: ['SaaS'],
      description: ['Updated by assert'],
    });
    expect(idOf(asserted)).toBe(id);
    expect(texts(asserted.data.data, 'domains').sort()).toEqual(['acme.example', 'acme.io']);
    expect(texts(asserted.data.data, 'categories')).toEqual(['SaaS']);
    expect(texts(asserted.data.data, 'name')).toEqual(['Acme']);
    const byKey = await assert('companies', 'legacy_id', { legacy_id: ['c-1'], name: ['Acme Inc'] });
    expect(idOf(byKey)).toBe(id);
    const fresh = await assert('companies', 'legacy_id', { legacy_id: ['c-2'], name: ['Beta'] });
    expect(idOf(fresh)).not.toBe(id);

    // PATCH appends to multiselect attributes and replaces single values.
    const patched = await update('patch', 'companies', id, { categories: ['B2C'], name: ['Acme Corp'] });
    expect(patched.status).toBe(200);
    expect(texts(patched.data.data, 'categories').sort()).toEqual(['B2C', 'SaaS']);
    expect(texts(patched.data.data, 'name')).toEqual(['Acme Corp']);
    // PUT overwrites them; an empty list clears an attribute.
    const put = await update('put', 'companies', id, { categories: ['Enterprise'], description: [] });
    expect(texts(put.data.data, 'categories')).toEqual(['Enterprise']);
    expect(put.data.data.values.description).toEqual([]);
    expect(texts(put.data.data, 'domains').sort()).toEqual(['acme.example', 'acme.io']);
    expect((await update('put', 'companies', '00000000-0000-4000-8000-000000000000', { name: ['x'] })).status).toBe(
      404,
    );

    const query = (body: unknown) => call<{ data: AttioRecord[] }>('post', '/v2/objects/companies/records/query', body);
    const names = (res: AxiosResponse<{ data: AttioRecord[] }>) => res.data.data.map((r) => texts(r, 'name')[0]);
    expect(names(await query({ filter: { legacy_id: 'c-1' } }))).toEqual(['Acme Corp']);
    expect(names(await query({ filter: { domains: { $eq: 'ACME.io' } } }))).toEqual(['Acme Corp']);
    expect(names(await query({ filter: { legacy_id: { $in: ['c-1', 'c-2', 'c-3'] } } }))).toEqual([
      'Acme Corp',
      'Beta',
    ]);
    expect(names(await query({ filter: { categories: 'Enterprise', legacy_id: 'c-1' } }))).toEqual(['Acme Corp']);
    expect(names(await query({ limit: 2, offset: 3 }))).toEqual(['Acme Corp', 'Beta']);
    expect((await query({ filter: { nope: 'x' } })).status).toBe(400);
    expect((await query({ filter: { name: { $contains: 'A' } } })).status).toBe(400);

    const person = await create('people', {
      name: ['Ann'],
      email_addresses: [{ email_address: 'Ann@Acme.example' }],
      phone_numbers: ['+14155550100'],
      company: [{ target_object: 'companies', target_record_id: id }],
    });
    expect(texts(person.data.data, 'email_addresses')).toEqual(['ann@acme.example']);
    const deal = await create('deals', {
      name: ['Big deal'],
      stage: ['Won 🎉'],
      value: [{ currency_value: 1200.5 }],
      associated_company: [id],
      associated_people: [{ target_object: 'people', target_record_id: idOf(person) }],
    });
    expect(deal.status).toBe(200);
    expect(deal.data.data.values.value).toEqual([
      { attribute_type: 'currency', currency_value: 1200.5, currency_code: 'USD' },
    ]);

    const read = await call<{ data: AttioRecord }>('get', `/v2/objects/people/records/${idOf(person)}`);
    expect(texts(read.data.data, 'company')).toEqual([id]);
    // Deleting a record removes the references to it.
    expect((await call('delete', `/v2/objects/people/records/${idOf(person)}`)).status).toBe(200);
    const unlinked = await call<{ data: AttioRecord }>('get', `/v2/objects/deals/records/${idOf(deal)}`);
    expect(unlinked.data.data.values.associated_people).toEqual([]);
    expect(texts(unlinked.data.data, 'associated_company')).toEqual([id]);
    expect((await call('delete', `/v2/objects/deals/records/${idOf(deal)}`)).status).toBe(200);
    expect((await call('get', `/v2/objects/deals/records/${idOf(deal)}`)).data).toMatchObject({
      status_code: 404,
      code: 'not_found',
    });
    expect((await call('delete', `/v2/objects/deals/records/${idOf(deal)}`)).status).toBe(404);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it("refuses every write Attio refuses, with Attio's error body naming the attribute and the value", async () => {
    const { create, assert, update, createAttribute, sandbox } = await workspace();
    await createAttribute('people', { api_slug: 'legacy_id', is_unique: true });
    const ann = await create('people', { email_addresses: ['ann@acme.example'], legacy_id: ['p-1'] });
    expect(ann.status).toBe(200);
    const bob = await create('people', { email_addresses: ['bob@acme.example'] });
    const expectRefusal = (res: AxiosResponse, status: number, code: string, ...words: string[]) => {
      expect(res.status).toBe(status);
      expect(res.data).toEqual({
        status_code: status,
        type: 'invalid_request_error',
        code,
        message: anyString,
      });
      for (const w of words) expect(messageOf(res)).toContain(w);
    };
    const cases: [Promise<AxiosResponse>, number, string, ...string[]][] = [
      // Formats.
      [
        create('people', { email_addresses: ['ann at acme'] }),
        400,
        'validation_type',
        'attribute "email_addresses"',
        'ann at acme',
      ],
      [
        create('companies', { domains: ['not a domain'] }),
        400,
        'validation_type',
        'attribute "domains"',
        'not a domain',
      ],
      [
        create('people', { phone_numbers: ['0044 20 7946 0000'] }),
        400,
        'validation_type',
        'attribute "phone_numbers"',
        '0044 20 7946 0000',
      ],
      [create('people', { job_title: [42] }), 400, 'validation_type', 'attribute "job_title"', '42'],
      [
        create('deals', { name: ['D'], stage: ['Lead'], value: ['a lot'] }),
        400,
        'validation_type',
        'attribute "value"',
        'a lot',
      ],
      // Options, statuses, references.
      [create('companies', { categories: ['Retail'] }), 400, 'value_not_found', 'attribute "categories"', 'Retail'],
      [create('deals', { name: ['D'], stage: ['Maybe'] }), 400, 'value_not_found', 'attribute "stage"', 'Maybe'],
      [
        create('people', {
          company: [{ target_object: 'companies', target_record_id: '00000000-0000-4000-8000-00000000dead' }],
        }),
        400,
        'value_not_found',
        'attribute "company"',
        '00000000-0000-4000-8000-00000000dead',
      ],
      [
        create('people', { company: [{ target_object: 'deals', target_record_id: idOf(ann) }] }),
        400,
        'validation_type',
        'attribute "company"',
        'deals',
      ],
      // One value where the attribute holds one.
      [
        create('people', { job_title: ['CEO', 'CTO'] }),
        400,
        'validation_type',
        'attribute "job_title"',
        '"CEO", "CTO"',
      ],
      // Unknown attributes.
      [create('people', { favourite_colour: ['blue'] }), 400, 'value_not_found', 'attribute "favourite_colour"'],
      // Required attributes, on create and on an assert that creates.
      [create('deals', { stage: ['Lead'] }), 400, 'validation_type', 'attribute "name"'],
      [create('deals', { name: ['No stage'] }), 400, 'validation_type', 'attribute "stage"'],
      // Unique attributes, on create, on assert and on update.
      [
        create('people', { email_addresses: ['ANN@acme.example'] }),
        409,
        'uniqueness_conflict',
        'attribute "email_addresses"',
        'ann@acme.example',
      ],
      [create('people', { legacy_id: ['p-1'] }), 409, 'uniqueness_conflict', 'attribute "legacy_id"', 'p-1'],
      [
        assert('people', 'legacy_id', { legacy_id: ['p-2'], email_addresses: ['ann@acme.example'] }),
        409,
        'uniqueness_conflict',
        'attribute "email_addresses"',
        'ann@acme.example',
      ],
      [
        update('patch', 'people', idOf(bob), { email_addresses: ['ann@acme.example'] }),
        409,
        'uniqueness_conflict',
        'ann@acme.example',
      ],
      [
        update('put', 'people', idOf(bob), { legacy_id: ['p-1'] }),
        409,
        'uniqueness_conflict',
        'attribute "legacy_id"',
        'p-1',
      ],
      [update('put', 'people', idOf(bob), { nope: ['x'] }), 400, 'value_not_found', 'attribute "nope"'],
      // Asserts match on a unique attribute, and need its value.
      [assert('people', 'job_title', { job_title: ['x'] }), 400, 'validation_type', 'attribute "job_title"'],
      [assert('people', 'legacy_id', { name: ['No key'] }), 400, 'validation_type', 'attribute "legacy_id"'],
      [assert('people', 'nope', { name: ['x'] }), 400, 'value_not_found', 'nope'],
    ];
    for (const [res, status, code, ...words] of cases) expectRefusal(await res, status, code, ...words);

    // A required attribute cannot be emptied.
    const deal = await create('deals', { name: ['Real deal'], stage: ['Lead'] });
    expectRefusal(await update('put', 'deals', idOf(deal), { name: [] }), 400, 'validation_type', 'attribute "name"');
    expectRefusal(await assert('deals', 'name', { name: ['x'] }), 400, 'validation_type', 'attribute "name"');
    await createAttribute('deals', { api_slug: 'legacy_id', is_unique: true });
    expectRefusal(
      await assert('deals', 'legacy_id', { legacy_id: ['d-1'], name: ['No stage'] }),
      400,
      'validation_type',
      'attribute "stage"',
    );
    // The same write is refused for the same reason every time: the first failing attribute, in request order.
    const twice = [
      await create('people', { phone_numbers: ['123'], email_addresses: ['bad'] }),
      await create('people', { phone_numbers: ['123'], email_addresses: ['bad'] }),
    ];
    expect(twice[0]!.data).toEqual(twice[1]!.data);
    expect(messageOf(twice[0]!)).toContain('attribute "phone_numbers"');
    // Nothing refused was written.
    expect(sandbox.store.collection('records:people').size).toBe(2);
    expect(sandbox.store.collection('records:deals').size).toBe(1);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('counts every record write under the key attribute the migration created, else the record id', async () => {
    const { create, assert, update, createAttribute, sandbox } = await workspace();
    await createAttribute('companies', { api_slug: 'legacy_id', is_unique: true });
    const acme = await create('companies', { name: ['Acme'], legacy_id: ['c-1'] });
    await assert('companies', 'legacy_id', { legacy_id: ['c-1'], description: ['again'] });
    await update('patch', 'companies', idOf(acme), { name: ['Acme Corp'] });
    await update('put', 'companies', idOf(acme), { description: [] });
    await create('companies', { name: ['Beta'], legacy_id: ['c-2'] });
    await create('companies', { name: ['Duplicate'], legacy_id: ['c-2'] });
    const person = await create('people', { name: ['Ann'] });
    // A workspace keyed without a request, as benchmarks prepare it.
    createAttioAttribute(sandbox.store, 'deals', { api_slug: 'legacy_id', is_unique: true });
    await create('deals', { name: ['Big'], stage: ['Lead'], legacy_id: ['d-1'] });
    expect(sandbox.writes.of('companies')).toEqual({ 'c-1': 4, 'c-2': 1 });
    expect(sandbox.writes.of('people')).toEqual({ [idOf(person)]: 1 });
    expect(sandbox.writes.of('deals')).toEqual({ 'd-1': 1 });
  });

  it('shows the same live state after a rollback as before the migration', async () => {
    const { sandbox, call, create, update, createAttribute } = await workspace();
    const before = attioWorkspaceState(sandbox.store);
    const fingerprint = attioWorkspaceFingerprint(sandbox.store);
    expect(Object.keys(before.objects)).toEqual(['companies', 'deals', 'people']);
    expect(before.objects.companies!.records).toHaveLength(3);
    const existing = before.objects.companies!.records[0]!.record_id;

    // A migration: its key attributes, an option and a stage it needs, its records, and an update of a company
    // that was there before.
    await createAttribute('companies', { api_slug: 'legacy_id', is_unique: true });
    await createAttribute('deals', { api_slug: 'legacy_id', is_unique: true });
    await call('post', '/v2/objects/companies/attributes/categories/options', { data: { title: 'Fintech' } });
    await call('post', '/v2/objects/deals/attributes/stage/statuses', { data: { title: 'Negotiation' } });
    const company = await create('companies', { name: ['Ledger'], legacy_id: ['c-1'], categories: ['Fintech'] });
    const deal = await create('deals', {
      name: ['Big'],
      stage: ['Negotiation'],
      legacy_id: ['d-1'],
      associated_company: [idOf(company)],
    });
    const image = await call<{ data: AttioRecord }>('get', `/v2/objects/companies/records/${existing}`);
    await update('patch', 'companies', existing, {
      description: ['Imported'],
      categories: ['Fintech'],
      domains: ['also-existing.example'],
      legacy_id: ['c-0'],
    });
    expect(attioWorkspaceFingerprint(sandbox.store)).not.toBe(fingerprint);

    // Its rollback: records deleted, the updated one overwritten with its before-image, extras archived.
    await call('delete', `/v2/objects/deals/records/${idOf(deal)}`);
    await call('delete', `/v2/objects/companies/records/${idOf(company)}`);
    const restore: Values = {};
    for (const slug of ['name', 'domains', 'description', 'categories']) restore[slug] = texts(image.data.data, slug);
    await update('put', 'companies', existing, restore);
    await call('patch', '/v2/objects/companies/attributes/categories/options/Fintech', { data: { is_archived: true } });
    await call('patch', '/v2/objects/deals/attributes/stage/statuses/Negotiation', { data: { is_archived: true } });
    await call('patch', '/v2/objects/companies/attributes/legacy_id', { data: { is_archived: true } });
    await call('patch', '/v2/objects/deals/attributes/legacy_id', { data: { is_archived: true } });

    expect(attioWorkspaceState(sandbox.store)).toEqual(before);
    expect(attioWorkspaceFingerprint(sandbox.store)).toBe(fingerprint);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('answers a request that breaks the spec with a 400 and records the violation', async () => {
    const { call, sandbox } = await workspace();
    const flat = await call('post', '/v2/objects/people/records', { data: { values: { name: 'not an array' } } });
    expect(flat.status).toBe(400);
    expect(flat.data).toMatchObject({ status_code: 400, type: 'invalid_request_error' });
    const noMatching = await call('put', '/v2/objects/people/records', { data: { values: {} } });
    expect(noMatching.status).toBe(400);
    const noDescription = await call('post', '/v2/objects/people/attributes', {
      data: {
        title: 'x',
        api_slug: 'x',
        type: 'text',
        is_required: false,
        is_unique: false,
        is_multiselect: false,
        config: {},
      },
    });
    expect(noDescription.status).toBe(400);
    const violations = sandbox.stats().specViolations;
    expect(violations.map((v) => v.operation)).toEqual([
      'post /v2/objects/{object}/records',
      'put /v2/objects/{object}/records',
      'post /v2/{target}/{identifier}/attributes',
    ]);
    expect(JSON.stringify(violations[1]!.errors)).toContain('matching_attribute');
  });

  it('refuses a missing token and limits the rate with a Retry-After date', async () => {
    const { sandbox } = await workspace({ rate: 4 });
    const anonymous = await axios.get(`${sandbox.url}/v2/objects`, { validateStatus: () => true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toMatchObject({ status_code: 401, type: 'auth_error' });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        axios.get(`${sandbox.url}/v2/objects`, {
          headers: { authorization: 'Bearer attio-sandbox-token' },
          validateStatus: () => true,
        }),
      ),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.data).toMatchObject({ status_code: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number.isNaN(Date.parse(String(limited[0]!.headers['retry-after'])))).toBe(false);
    expect(sandbox.stats().rateLimited).toBeGreaterThanOrEqual(limited.length);
  });
});
