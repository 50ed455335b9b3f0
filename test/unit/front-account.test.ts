import type postgres from 'postgres';
import { FrontAccount, METADATA_TTL_MS, REFRESH_ON_MISS_MS } from '../../connectors/front/account';
import { FrontApi } from '../../connectors/front/api';
import { teammateSchema } from '../../connectors/front/types';
import type { VendorClient } from '../../connectors/kit/http';
import { FrontTarget } from '../../connectors/front/target';

/**
 * Front's set-up (teammates, inbox, custom fields) is read once per worker process and migration, not once per
 * page; read again when it is old, or sooner when a record names something the last reading did not have.
 */

const list = (results: unknown[]) => ({ _results: results, _pagination: { next: null } });

/** Front as fixed answers by URL, counting the requests for each. */
function frontCounting(answers: Record<string, () => unknown>) {
  const sent = new Map<string, number>();
  const request = ({ url }: { url: string }) => {
    sent.set(url, (sent.get(url) ?? 0) + 1);
    const answer = answers[url];
    return Promise.resolve(answer ? { status: 200, data: answer() } : { status: 404, data: {} });
  };
  return { client: { request, concurrency: 1 } as unknown as VendorClient, sent };
}

const config = { inbox: 'Support', fallbackTeammate: 'leia@support.example.com' };

describe('the Front account’s set-up, read once per worker process', () => {
  let teammates = [{ id: 'tea_1', email: 'leia@support.example.com', is_blocked: false }];
  const front = frontCounting({
    '/teammates': () => list(teammates),
    '/inboxes': () => list([{ id: 'inb_1', name: 'Support' }]),
    '/contacts/custom_fields': () => list([{ name: 'Language', type: 'string' }]),
  });
  beforeEach(() => {
    front.sent.clear();
    teammates = [{ id: 'tea_1', email: 'leia@support.example.com', is_blocked: false }];
  });

  it('lists teammates, the inbox and custom fields once for every page that shares the account', async () => {
    const account = new FrontAccount(config);
    for (let page = 0; page < 3; page++) {
      // Each page builds its own target (its own requests count against its own activity), over one account.
      const target = new FrontTarget(
        front.client,
        config,
        {} as postgres.Sql,
        'mig_unit',
        { people: 'contacts' },
        undefined,
        account,
      );
      const records = await target.records('people');
      await records.prepare([{ email: 'ann@example.org', cf_language: 'en' }]);
      await account.teammate(target.api, 'leia@support.example.com');
      await account.inbox(target.api);
    }
    expect(Object.fromEntries(front.sent)).toEqual({ '/teammates': 1, '/inboxes': 1, '/contacts/custom_fields': 1 });
  });

  it('reads the teammates again for an agent it does not know, at most once per refresh interval', async () => {
    let now = 1_000_000;
    const account = new FrontAccount(config, () => now);
    const api = new FrontApi(front.client);
    expect(await account.teammate(api, 'han@support.example.com')).toEqual({ id: 'tea_1', fallback: true });
    // Han joins Front: a reading younger than the refresh interval is trusted (an agent who left is no reason to
    // list the teammates for every record).
    teammates = [...teammates, { id: 'tea_2', email: 'han@support.example.com', is_blocked: false }];
    now += REFRESH_ON_MISS_MS - 1;
    expect(await account.teammate(api, 'han@support.example.com')).toEqual({ id: 'tea_1', fallback: true });
    now += 2;
    expect(await account.teammate(api, 'han@support.example.com')).toEqual({ id: 'tea_2', fallback: false });
    expect(front.sent.get('/teammates')).toBe(2);
  });

  it('reads the set-up again once it is older than its time to live', async () => {
    let now = 1_000_000;
    const account = new FrontAccount(config, () => now);
    const api = new FrontApi(front.client);
    await account.inbox(api);
    now += METADATA_TTL_MS;
    await account.inbox(api);
    expect(front.sent.get('/inboxes')).toBe(1);
    now += 1;
    await account.inbox(api);
    expect(front.sent.get('/inboxes')).toBe(2);
  });

  it('reads a custom field created meanwhile instead of refusing the plan', async () => {
    let fields = [{ name: 'Language', type: 'string' }];
    const counting = frontCounting({ '/contacts/custom_fields': () => list(fields) });
    let now = 1_000_000;
    const account = new FrontAccount(config, () => now);
    const target = new FrontTarget(
      counting.client,
      config,
      {} as postgres.Sql,
      'mig_unit',
      { people: 'contacts' },
      undefined,
      account,
    );
    const records = await target.records('people');
    fields = [...fields, { name: 'Time zone', type: 'string' }];
    now += REFRESH_ON_MISS_MS;
    await expect(records.prepare([{ email: 'ann@example.org', cf_time_zone: 'Europe/Oslo' }])).resolves.toHaveLength(1);
    expect(records.canonical({ email: 'ann@example.org', cf_time_zone: 'Europe/Oslo' })).toMatchObject({
      cf_time_zone: 'Europe/Oslo',
    });
    await expect(records.prepare([{ email: 'ann@example.org', cf_shoe_size: '42' }])).rejects.toThrow(
      /cf_shoe_size is not a Front contact custom field/,
    );
  });

  it('refuses an answer of a shape it does not read, naming the operation', async () => {
    const odd = frontCounting({ '/teammates': () => list([{ id: 'tea_1', is_blocked: false }]) });
    const api = new FrontApi(odd.client);
    await expect(api.list(teammateSchema, '/teammates', 'list teammates')).rejects.toThrow(
      /list teammates answered in a shape Tern does not read \(_results\.0\.email/,
    );
  });
});
