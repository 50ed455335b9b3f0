import axios, { type AxiosInstance } from 'axios';
import { attioSandbox } from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';

/** Every Attio route Tern uses, exercised over HTTP and checked against Attio's published spec. */
describe('the Attio sandbox', () => {
  let sandbox: RunningSandbox;
  let api: AxiosInstance;

  beforeAll(async () => {
    sandbox = await startSandbox(attioSandbox, { seed: 9, rate: 4 });
    api = axios.create({
      baseURL: sandbox.url,
      headers: { authorization: 'Bearer attio-sandbox-token' },
      validateStatus: () => true,
    });
  });
  afterAll(() => sandbox.close());

  /** The sandbox allows 4 requests per second here: wait out a window when it says so. */
  async function call(method: 'get' | 'post' | 'put' | 'delete', url: string, data?: unknown, params?: unknown) {
    for (;;) {
      const res = await api.request({ method, url, data, params });
      if (res.status !== 429) return res;
      const retryAt = Date.parse(String(res.headers['retry-after']));
      await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now()) + 5));
    }
  }

  it('lists objects and their attributes', async () => {
    const objects = await call('get', '/v2/objects');
    expect(objects.status).toBe(200);
    expect((objects.data as { data: { api_slug: string }[] }).data.map((o) => o.api_slug)).toEqual([
      'companies',
      'people',
      'deals',
    ]);
    const attributes = await call('get', '/v2/objects/deals/attributes');
    expect(attributes.status).toBe(200);
    expect((attributes.data as { data: { api_slug: string; is_required: boolean }[] }).data).toEqual(
      expect.arrayContaining([expect.objectContaining({ api_slug: 'stage', is_required: true })]),
    );
  });

  it('creates, asserts, queries, reads and deletes records', async () => {
    const created = await call('post', '/v2/objects/companies/records', {
      data: { values: { name: ['Acme'], domains: ['acme.example'], tern_id: ['c-1'] } },
    });
    expect(created.status).toBe(200);
    const id = (created.data as { data: { id: { record_id: string } } }).data.id.record_id;

    const asserted = await call(
      'put',
      '/v2/objects/companies/records',
      { data: { values: { domains: ['acme.example'], description: ['Updated by assert'] } } },
      { matching_attribute: 'domains' },
    );
    expect(asserted.status).toBe(200);
    expect((asserted.data as { data: { id: { record_id: string } } }).data.id.record_id).toBe(id);

    const queried = await call('post', '/v2/objects/companies/records/query', {
      filter: { tern_id: 'c-1' },
      limit: 10,
      offset: 0,
    });
    expect((queried.data as { data: unknown[] }).data).toHaveLength(1);
    const read = await call('get', `/v2/objects/companies/records/${id}`);
    expect((read.data as { data: { values: Record<string, unknown[]> } }).data.values.description).toEqual([
      { attribute_type: 'text', value: 'Updated by assert' },
    ]);
    expect((await call('delete', `/v2/objects/companies/records/${id}`)).status).toBe(200);
    expect((await call('get', `/v2/objects/companies/records/${id}`)).status).toBe(404);
  });

  it("applies Attio's record rules: unique values, formats, options, required attributes", async () => {
    const first = await call('post', '/v2/objects/people/records', {
      data: { values: { email_addresses: ['ann@acme.example'] } },
    });
    expect(first.status).toBe(200);
    const dup = await call('post', '/v2/objects/people/records', {
      data: { values: { email_addresses: ['ann@acme.example'] } },
    });
    expect(dup.status).toBe(409);
    expect(dup.data).toMatchObject({ status_code: 409, type: 'invalid_request_error', code: 'uniqueness_conflict' });
    const badEmail = await call('post', '/v2/objects/people/records', {
      data: { values: { email_addresses: ['ann at acme'] } },
    });
    expect(badEmail.data).toMatchObject({ status_code: 400, code: 'validation_type' });
    const badStage = await call('post', '/v2/objects/deals/records', {
      data: { values: { name: ['Big deal'], stage: ['Maybe'] } },
    });
    expect(badStage.data).toMatchObject({ status_code: 400, code: 'value_not_found' });
    const noName = await call('post', '/v2/objects/deals/records', { data: { values: { stage: ['Lead'] } } });
    expect(noName.data).toMatchObject({ status_code: 400, code: 'validation_type' });
    const assertNotUnique = await call(
      'put',
      '/v2/objects/people/records',
      { data: { values: { tern_id: ['x'] } } },
      { matching_attribute: 'tern_id' },
    );
    expect(assertNotUnique.status).toBe(400);
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('answers a request that breaks the spec with a 400 and records the violation', async () => {
    const before = sandbox.stats().specViolations.length;
    const flat = await call('post', '/v2/objects/people/records', { data: { values: { name: 'not an array' } } });
    expect(flat.status).toBe(400);
    expect(flat.data).toMatchObject({ status_code: 400, type: 'invalid_request_error' });
    const noMatching = await call('put', '/v2/objects/people/records', { data: { values: {} } });
    expect(noMatching.status).toBe(400);
    const violations = sandbox.stats().specViolations.slice(before);
    expect(violations.map((v) => v.operation)).toEqual([
      'post /v2/objects/{object}/records',
      'put /v2/objects/{object}/records',
    ]);
    expect(JSON.stringify(violations[1]!.errors)).toContain('matching_attribute');
  });

  it('refuses a missing token and limits the rate with a Retry-After date', async () => {
    const anonymous = await axios.get(`${sandbox.url}/v2/objects`, { validateStatus: () => true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toMatchObject({ status_code: 401, type: 'auth_error' });
    const answers = await Promise.all(Array.from({ length: 12 }, () => api.get('/v2/objects')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.data).toMatchObject({ status_code: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number.isNaN(Date.parse(String(limited[0]!.headers['retry-after'])))).toBe(false);
    expect(sandbox.stats().rateLimited).toBeGreaterThanOrEqual(limited.length);
  });
});
