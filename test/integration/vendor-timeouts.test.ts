import { PassThrough, type Readable } from 'node:stream';
import { front } from '../../connectors/front/declaration';
import type { VendorBudget } from '../../connectors/kit/budget';
import { RetryableError, UnknownOutcomeError } from '../../connectors/kit/errors';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import {
  VendorClient,
  type VendorClientOptions,
  type VendorDeclaration,
  watchedStream,
} from '../../connectors/kit/http';
import { zendesk } from '../../connectors/zendesk/declaration';
import { frontSandbox } from '../../sandboxes/front';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import { uniqueId } from '../support/harness';

/**
 * Every vendor request and every download is bounded in time, and a cancelled caller stops waiting: a load
 * page can never hang on the network, nor keep sending after Temporal gave its work to another attempt. The
 * slowness comes from the sandboxes' deterministic `slowNext` fault.
 */
const ENV = {
  FRONT_TOKEN: 'front-sandbox-token',
  ZENDESK_EMAIL: 'agent@example.com',
  ZENDESK_TOKEN: 'zendesk-sandbox-token',
};

const governor = (declaration: VendorDeclaration, patch: Partial<VendorBudget> = {}) =>
  new RateGovernor(
    uniqueId(declaration.vendor),
    { ...declaration.budget, ratePerSecond: 200, ...patch },
    new LocalBudgetStore(),
  );

function client(
  declaration: VendorDeclaration,
  sandbox: RunningSandbox,
  options: Partial<VendorClientOptions> = {},
): VendorClient {
  return new VendorClient(
    declaration,
    {
      baseUrl: sandbox.url,
      credentials:
        declaration.vendor === 'zendesk'
          ? { kind: 'basic-token', emailEnv: 'ZENDESK_EMAIL', tokenEnv: 'ZENDESK_TOKEN' }
          : { kind: 'bearer', tokenEnv: 'FRONT_TOKEN' },
    },
    { governor: governor(declaration), env: ENV, ...options },
  );
}

async function bytesOf(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}

describe('bounded requests and downloads', () => {
  const sandboxes: RunningSandbox[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
  });

  it('a read slower than its timeout is sent again; a create slower than its timeout has an unknown outcome', async () => {
    const sandbox = await startSandbox(frontSandbox, { seed: 3 });
    sandboxes.push(sandbox);
    // Reads get a wide margin (a loaded machine may answer a normal read slowly); the slow one is far past it.
    const api = client(front, sandbox, { timeoutMs: 2000, writeTimeoutMs: 400 });
    sandbox.setFaults({
      slowNext: [
        { operation: 'list-teammates', count: 1, ms: 6000 },
        { operation: 'create-message-template', count: 1, ms: 2000 },
      ],
    });
    const teammates = await api.request<{ _results: unknown[] }>({
      method: 'get',
      url: '/teammates',
      operation: 'list teammates',
    });
    expect(teammates.data._results.length).toBeGreaterThan(0);
    // The slow read timed out and was sent again (again if a retry was slow too: the count is a floor).
    expect(sandbox.stats().byOperation['list-teammates']).toBeGreaterThanOrEqual(2);

    const created = await api
      .request({
        method: 'post',
        url: '/message_templates',
        data: { name: 'Slow', body: '<p>slow</p>' },
        operation: 'create message template',
      })
      .catch((err: unknown) => err);
    // Sent, never answered in time: it may still happen, so it is not sent again (the caller looks it up).
    expect(created).toBeInstanceOf(UnknownOutcomeError);
    expect((created as Error).message).toMatch(/no response \(ETIMEDOUT: timed out after 400 ms\)/);
    expect(sandbox.stats().byOperation['create-message-template']).toBe(1);
    expect(sandbox.stats().slowedNext).toEqual({ 'list-teammates': 1, 'create-message-template': 1 });
  });

  it('a download whose answer does not come in time is asked again, then streamed whole', async () => {
    const sandbox = await startSandbox(zendeskSandbox, { seed: 3, size: 40 });
    sandboxes.push(sandbox);
    const attachment = [...zendeskCollections.comments(sandbox.store).values()]
      .flatMap((c) => c.attachments)
      .find((a) => a.size > 0)!;
    expect(attachment).toBeDefined();
    const api = client(zendesk, sandbox, { timeoutMs: 2000 });
    sandbox.setFaults({ slowNext: [{ operation: 'DownloadAttachment', count: 1, ms: 6000 }] });
    const stream = await api.download(`${sandbox.url}${attachment.content_url}`);
    expect(await bytesOf(stream)).toBe(attachment.size);
    expect(sandbox.stats().slowedNext).toEqual({ DownloadAttachment: 1 });
    expect(sandbox.stats().byOperation.DownloadAttachment).toBeGreaterThanOrEqual(2);

    // Every attempt slow: the download gives up with a retryable error instead of waiting forever.
    sandbox.setFaults({ slowNext: [{ operation: 'DownloadAttachment', count: 2, ms: 2000 }] });
    const failed = await client(zendesk, sandbox, { timeoutMs: 400, maxAttempts: 2 })
      .download(`${sandbox.url}${attachment.content_url}`)
      .catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(RetryableError);
    expect((failed as Error).message).toMatch(/no answer after 400 ms/);
  });

  it('a body that stops flowing fails as stalled', async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(10));
    const watched = watchedStream(source, 200, 60_000, 'test download');
    const read = bytesOf(watched).catch((err: unknown) => err);
    expect(await read).toMatchObject({ code: 'ETIMEDOUT', message: 'test download: stalled, no data for 200 ms' });
    expect(source.destroyed).toBe(true);
  });

  it('a cancelled caller stops waiting for budget and sends nothing more', async () => {
    const sandbox = await startSandbox(frontSandbox, { seed: 3 });
    sandboxes.push(sandbox);
    const cancel = new AbortController();
    let sent = 0;
    // One request every five seconds: the second waits for its slot.
    const api = new VendorClient(
      front,
      { baseUrl: sandbox.url, credentials: { kind: 'bearer', tokenEnv: 'FRONT_TOKEN' } },
      {
        governor: governor(front, { ratePerSecond: 1 / 5, burst: 1 }),
        env: ENV,
        signal: cancel.signal,
        onRequest: () => (sent += 1),
      },
    );
    await api.request({ method: 'get', url: '/teammates', operation: 'list teammates' });
    const waiting = api
      .request({ method: 'get', url: '/teammates', operation: 'list teammates' })
      .catch((err: unknown) => err);
    cancel.abort(new Error('activity cancelled'));
    expect(await waiting).toMatchObject({ message: 'activity cancelled' });
    expect(sent).toBe(1);
    expect(sandbox.stats().byOperation['list-teammates']).toBe(1);
  });
});
