import { z } from 'zod';
import { FrontApi } from '../../connectors/front/api';
import { front } from '../../connectors/front/declaration';
import { VendorError } from '../../connectors/kit/errors';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient, type VendorDeclaration } from '../../connectors/kit/http';
import { zendesk } from '../../connectors/zendesk/declaration';
import { SANDBOXES, startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandboxes';
import { zendeskCollections } from '../../sandboxes/zendesk-records';
import { uniqueId } from '../support/harness';

/**
 * The account's credential goes only to the account's own origin: over real HTTP, a vendor (a sandbox) whose
 * next-page links or attachment URLs point at another server on this machine — another port, another loopback
 * host — gets its first request answered, and the other server receives nothing at all.
 */

const ENV = {
  FRONT_TOKEN: 'front-sandbox-token',
  ZENDESK_EMAIL: 'agent@example.com',
  ZENDESK_TOKEN: 'zendesk-sandbox-token',
};

function client(declaration: VendorDeclaration, sandbox: RunningSandbox): VendorClient {
  return new VendorClient(
    declaration,
    {
      baseUrl: sandbox.url,
      credentials:
        declaration.vendor === 'zendesk'
          ? { kind: 'basic-token', emailEnv: 'ZENDESK_EMAIL', tokenEnv: 'ZENDESK_TOKEN' }
          : { kind: 'bearer', tokenEnv: 'FRONT_TOKEN' },
    },
    {
      governor: new RateGovernor(
        uniqueId(declaration.vendor),
        { ...declaration.budget, ratePerSecond: 200 },
        new LocalBudgetStore(),
      ),
      env: ENV,
      timeoutMs: 5000,
    },
  );
}

const contact = z.object({ id: z.string() });

describe('a vendor credential never leaves the vendor’s own origin', () => {
  const sandboxes: RunningSandbox[] = [];
  const open = async (vendor: string, options: SandboxOptions = {}) => {
    const s = await startSandbox(SANDBOXES[vendor]!, { seed: 3, ...options });
    sandboxes.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
  });
  afterEach(() => {
    for (const s of sandboxes) expect(s.stats().specViolations).toEqual([]);
  });

  it('follows next-page links on the account’s own origin to the end', async () => {
    const home = await open('front');
    const contacts = await new FrontApi(client(front, home)).list(contact, '/contacts?limit=1', 'list contacts');
    expect(contacts.length).toBe(home.store.collection('contacts').size);
    expect(contacts.length).toBeGreaterThan(1);
  });

  it.each([
    ['another port', '127.0.0.1'],
    ['another loopback host', '127.0.0.2'],
  ])('refuses a next-page link to %s: the token does not reach it', async (_what, host) => {
    // A real Front sandbox there, accepting the same token: had the client followed the link, it would have answered.
    const elsewhere = await open('front', { host });
    const home = await open('front', { linkBaseUrl: elsewhere.url });
    expect(new URL(elsewhere.url).origin).not.toBe(new URL(home.url).origin);

    const error = await new FrontApi(client(front, home))
      .list(contact, '/contacts?limit=1', 'list contacts')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorError);
    expect((error as VendorError).toLine()).toBe(
      `front: list contacts: refusing to send the account's credentials to ${new URL(elsewhere.url).origin}, outside the account's ${new URL(home.url).origin} (a link the vendor answered with) — fix: nothing was sent there; check that baseUrl in the plan is the front API's own URL (Tern follows links only on it)`,
    );
    expect((error as VendorError).toLine()).not.toContain(ENV.FRONT_TOKEN);
    expect(home.stats().requests).toBe(1);
    expect(elsewhere.stats().requests).toBe(0);
  });

  it('refuses an attachment whose content URL is on another origin, before sending anything there', async () => {
    const elsewhere = await open('zendesk');
    const home = await open('zendesk', { linkBaseUrl: elsewhere.url });
    const api = client(zendesk, home);
    const withFile = [...zendeskCollections.comments(home.store).values()].find(
      (c) =>
        c.attachments.length > 0 &&
        zendeskCollections.tickets(home.store).get(String(c.ticket_id))!.status !== 'deleted',
    )!;
    const listed = await api.request<{ comments: { id: number; attachments: { content_url: string }[] }[] }>({
      method: 'get',
      url: `/api/v2/tickets/${withFile.ticket_id}/comments.json`,
      operation: 'list comments',
    });
    const contentUrl = listed.data.comments.find((c) => c.id === withFile.id)!.attachments[0]!.content_url;
    expect(contentUrl.startsWith(elsewhere.url)).toBe(true);

    for (const url of [contentUrl, contentUrl.replace(/^http:/, '')]) {
      const error = await api.download(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VendorError);
      expect((error as VendorError).message).toMatch(
        /^zendesk: download attachment: refusing to send the account's credentials to http:\/\/127\.0\.0\.1:\d+, outside/,
      );
    }
    // The same file on the account's own origin downloads.
    const own = await api.download(contentUrl.replace(elsewhere.url, home.url));
    let bytes = 0;
    for await (const chunk of own) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(withFile.attachments[0]!.size);
    expect(elsewhere.stats().requests).toBe(0);
  });
});
