import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { TernSettings } from '../../common/config';
import { generateKeyText } from '../../common/keys';
import { payloadCodec } from '../../common/temporal';
import { CRM_SANDBOX_CREDENTIALS, crmPlan, prepareAttioWorkspace } from '../../scripts/bench/crm-attio';
import { sandboxPlan, SANDBOX_CREDENTIALS } from '../../scripts/bench/zendesk-front';
import { startPhase, type RunnablePhase } from '../../scripts/client/phases';
import { startCodecServer, type RunningCodecServer } from '../../scripts/commands/codec-server';
import { attioSandbox } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { hubspotDataset, hubspotSandbox } from '../../sandboxes/hubspot';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import type { LoadedPlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { executionsOn, rawEvents, scanHistory, type HistoryScan } from '../support/history-scan';
import { testClient, testEnv, testSettings, testStaging, uniqueId } from '../support/harness';
import { spawnTs, stopChild } from '../support/processes';

/**
 * What Temporal keeps of a migration is no place for secrets or personal data. Zendesk → Front and a HubSpot CRM
 * → Attio (whose writes are answered and then dropped, so pages fail and are retried) run on a worker process
 * given planted credentials (vendor tokens, a password in its database URL); the sources hold planted personal
 * data. Then every history of the run is read through a Temporal client without the codec — every byte of every
 * event, failure messages, search attributes, memo — and every line the worker wrote: no secret, no personal
 * value. With the codec the payloads open, and so does the codec server, for a token holder only.
 */
jest.setTimeout(300_000);

const mark = randomBytes(4).toString('hex');
const SECRETS = {
  TERN_SANDBOX_ZENDESK_TOKEN: `zd-planted-token-${mark}-Zq8`,
  TERN_SANDBOX_FRONT_TOKEN: `front-planted-token-${mark}-Fr4`,
  TERN_SANDBOX_HUBSPOT_TOKEN: `hubspot-planted-token-${mark}-Hb1`,
  TERN_SANDBOX_ATTIO_TOKEN: `attio-planted-token-${mark}-At7`,
};
const DATABASE_PASSWORD = `planted-db-password-${mark}`;
const CODEC_TOKEN = generateKeyText();
const PLANTED = {
  email: `planted.person.${mark}@example.org`,
  name: `Plantedfirst Plantedlast${mark}`,
  body: `Planted message body ${mark}: my card ends in 4242`,
};
const UI_ORIGIN = 'http://localhost:8233';

describe('payloads, failures and logs of a migration carry no secret and no personal data', () => {
  let staging: Staging;
  let settings: TernSettings;
  let client: Client;
  let plain: Client;
  let worker: ChildProcess;
  let workerOutput = '';
  const sandboxes: RunningSandbox[] = [];
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  let hubspot: RunningSandbox;
  let attio: RunningSandbox;
  let codecServer: RunningCodecServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-privacy-'));
  const migrations = { helpdesk: uniqueId('mig_priv_zf'), crm: uniqueId('mig_priv_crm') };
  let plans: { helpdesk: LoadedPlan; crm: LoadedPlan };
  let scans: { workflowId: string; scan: HistoryScan }[] = [];
  let personal: string[] = [];

  const run = async (key: keyof typeof migrations, phase: RunnablePhase) => {
    const started = await startPhase(client, settings, staging.db, plans[key], { phase, migrationId: migrations[key] });
    return (await started.handle.result()) as { ok: boolean };
  };
  /** The planted values and every personal value of the sources (long enough never to occur by chance). */
  const personalValues = () => {
    const values = new Set<string>(Object.values(PLANTED));
    for (const u of zendeskCollections.users(zendesk.store).values()) values.add(u.email).add(u.name);
    for (const c of zendeskCollections.comments(zendesk.store).values()) values.add(c.plain_body.slice(0, 40));
    for (const t of zendeskCollections.tickets(zendesk.store).values()) values.add(t.subject);
    for (const c of hubspotDataset(hubspot.store).contacts) {
      const p = c.properties;
      values
        .add(p.email ?? '')
        .add(`${p.firstname ?? ''} ${p.lastname ?? ''}`.trim())
        .add(p.phone ?? '');
    }
    return [...values].map((v) => v.trim()).filter((v) => v.length >= 10);
  };
  const secrets = () => [...Object.values(SECRETS), DATABASE_PASSWORD, CODEC_TOKEN, process.env.TERN_PAYLOAD_KEY!];
  const found = (haystack: string, needles: string[]) => needles.filter((n) => haystack.includes(n));
  const allText = () => scans.flatMap((s) => s.scan.text).join('\n');
  const encrypted = () => scans.flatMap((s) => s.scan.encrypted);
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': settings.temporal.namespace, ...headers },
      body: JSON.stringify(body),
    });
  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    plain = new Client({
      connection: await Connection.connect({ address: settings.temporal.address }),
      namespace: settings.temporal.namespace,
    });
    const token = (t: string) => ({ credentials: { tokens: [t] } });
    zendesk = await startSandbox(zendeskSandbox, {
      seed: 41,
      size: 10,
      rate: 2000,
      ...token(SECRETS.TERN_SANDBOX_ZENDESK_TOKEN),
    });
    front = await startSandbox(frontSandbox, { seed: 41, rate: 2000, ...token(SECRETS.TERN_SANDBOX_FRONT_TOKEN) });
    hubspot = await startSandbox(hubspotSandbox, {
      seed: 41,
      size: 0.03,
      rate: 5000,
      ...token(SECRETS.TERN_SANDBOX_HUBSPOT_TOKEN),
    });
    attio = await startSandbox(attioSandbox, { seed: 41, rate: 5000, ...token(SECRETS.TERN_SANDBOX_ATTIO_TOKEN) });
    sandboxes.push(zendesk, front, hubspot, attio);
    await prepareAttioWorkspace(attio.url, SECRETS.TERN_SANDBOX_ATTIO_TOKEN);
    // Attio commits a fifth of the writes and drops the answer: pages fail and are retried.
    attio.setFaults({ commitThenDrop: 0.2 });
    // Planted: an end user's email and name, and a public reply's body.
    const user = [...zendeskCollections.users(zendesk.store).values()].find((u) => u.role === 'end-user' && u.active)!;
    Object.assign(user, { email: PLANTED.email, name: PLANTED.name });
    const reply = [...zendeskCollections.comments(zendesk.store).values()].find((c) => c.public)!;
    Object.assign(reply, { body: PLANTED.body, plain_body: PLANTED.body, html_body: `<p>${PLANTED.body}</p>` });
    personal = personalValues();

    plans = {
      helpdesk: sandboxPlan(migrations.helpdesk, zendesk.url, front.url, fs.mkdtempSync(path.join(dir, 'zf-'))),
      crm: crmPlan(
        'hubspot',
        migrations.crm,
        { hubspot: hubspot.url, attio: attio.url },
        fs.mkdtempSync(path.join(dir, 'crm-')),
      ),
    };
    const databaseUrl = new URL(testEnv().databaseUrl);
    databaseUrl.password = DATABASE_PASSWORD;
    worker = spawnTs('worker/main.ts', [], {
      ...SANDBOX_CREDENTIALS,
      ...CRM_SANDBOX_CREDENTIALS,
      ...SECRETS,
      DATABASE_URL: databaseUrl.toString(),
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
      TERN_LOG_LEVEL: 'debug',
      TERN_SDK_LOG_LEVEL: 'DEBUG',
    });
    worker.stdout!.on('data', (d: Buffer) => (workerOutput += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (workerOutput += d.toString()));
    codecServer = await startCodecServer({
      codec: payloadCodec(settings.temporal),
      tokens: [CODEC_TOKEN],
      origins: [UI_ORIGIN],
      namespace: settings.temporal.namespace,
    });
  });

  afterAll(async () => {
    if (worker) await stopChild(worker);
    await codecServer?.close();
    for (const s of sandboxes) await s.close();
    await plain?.connection.close();
    await client?.connection.close();
    if (staging) {
      for (const id of Object.values(migrations)) await staging.sql`delete from migrations where id = ${id}`;
      await staging.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Zendesk → Front and HubSpot → Attio run on the worker: preferences and full, the planted records moved', async () => {
    for (const key of ['helpdesk', 'crm'] as const) {
      expect(await run(key, 'preferences')).toMatchObject({ ok: true });
      expect(await run(key, 'full')).toMatchObject({ ok: true });
    }
    const handles = [...frontCollections.contacts(front.store).values()].flatMap((c) => c.handles.map((h) => h.handle));
    expect(handles).toContain(PLANTED.email);
    const hubspotEmails = hubspotDataset(hubspot.store).contacts.map((c) => c.properties.email);
    const attioEmails = JSON.stringify([...recordsOf(attio.store, 'people').values()].map((p) => p.values));
    expect(hubspotEmails.filter((e) => e && attioEmails.includes(e)).length).toBeGreaterThan(5);
    expect(attio.stats().commitThenDrop).toBeGreaterThan(0);
    const executions = await executionsOn(plain, settings.taskQueue);
    // Four phases, their object children, and the runs they continued into.
    expect(executions.length).toBeGreaterThan(4);
    scans = [];
    for (const execution of executions)
      scans.push({ workflowId: execution.workflowId, scan: scanHistory(await rawEvents(plain, execution)) });
  });

  test('read without the codec: no secret, no personal value, every payload but the search attributes sealed', () => {
    const text = allText();
    expect(text).toContain(migrations.crm); // the scan reads what the histories show
    expect(found(text, secrets())).toEqual([]);
    expect(found(text, personal)).toEqual([]);
    expect(personal.length).toBeGreaterThan(30);
    expect(encrypted().length).toBeGreaterThan(100);
    // Only search attributes (indexed by the server: which migration, phase and systems) and the SDK's own patch
    // markers (a patch's name, written by the SDK's core) stay as they are.
    const open = scans.flatMap((s) => s.scan.plain.map((p) => `${s.workflowId}: ${p.at}`));
    const visibleByDesign = /searchAttributes\.indexedFields\.|markerRecordedEventAttributes\.details\.patch-data\./;
    expect(open.filter((at) => !visibleByDesign.test(at))).toEqual([]);
    expect(open.length).toBeGreaterThan(0);
  });

  test('failure messages and stack traces are sealed too; opened, they name records by id and reason only', async () => {
    const failures = scans.flatMap((s) => s.scan.failures);
    expect(failures.length).toBeGreaterThan(0); // the dropped Attio answers failed pages
    for (const f of failures)
      expect({ message: f.message, stackTrace: f.stackTrace }).toEqual({ message: 'Encoded failure', stackTrace: '' });
    const codec = payloadCodec(settings.temporal);
    const opened = await codec.decode(failures.map((f) => f.encodedAttributes!));
    const messages = opened.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(messages).toMatch(/message/);
    expect(found(messages, secrets())).toEqual([]);
    expect(found(messages, personal)).toEqual([]);
  });

  test('with the codec every payload opens; what it holds has no secret and no personal value', async () => {
    const opened = await payloadCodec(settings.temporal).decode(encrypted());
    const text = opened.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(text).toContain(migrations.helpdesk);
    expect(found(text, secrets())).toEqual([]);
    expect(found(text, personal)).toEqual([]);
    // A client without the key cannot read a phase's result.
    await expect(plain.workflow.getHandle(`${migrations.crm}/full`).result()).rejects.toThrow();
  });

  test("every line the worker wrote: no secret, no personal value, the SDK's failure lines included", () => {
    const lines = workerOutput.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(20);
    expect(workerOutput).toMatch(/worker running/);
    // The SDK's line for a failed page carries the error and its causes: redacted, as everything logged.
    expect(workerOutput).toMatch(/\[WARN\] Activity failed .*error: \{ type:/);
    expect(found(workerOutput, secrets())).toEqual([]);
    expect(found(workerOutput, personal)).toEqual([]);
  });

  test('the codec server decodes the same payloads for a token holder, with CORS for the UI origin only', async () => {
    const sample = encrypted().slice(0, 200);
    const expected = (await payloadCodec(settings.temporal).decode(sample)).map(asJson);
    const viaHeader = await post(
      `${codecServer.url}/decode`,
      { payloads: sample.map(asJson) },
      {
        Authorization: `Bearer ${CODEC_TOKEN}`,
        Origin: UI_ORIGIN,
      },
    );
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(((await viaHeader.json()) as { payloads: unknown[] }).payloads).toEqual(expected);
    // The UI's endpoint setting carries the token in the path.
    const viaPath = await post(`${codecServer.url}/${CODEC_TOKEN}/decode`, {
      payloads: sample.slice(0, 5).map(asJson),
    });
    expect(((await viaPath.json()) as { payloads: unknown[] }).payloads).toEqual(expected.slice(0, 5));

    for (const headers of [{}, { Authorization: 'Bearer not-the-token' }] as Record<string, string>[]) {
      const refused = await post(`${codecServer.url}/decode`, { payloads: sample.slice(0, 1).map(asJson) }, headers);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('data');
    }
    const preflight = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-namespace, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    const foreign = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const otherNamespace = await post(
      `${codecServer.url}/decode`,
      { payloads: [] },
      {
        Authorization: `Bearer ${CODEC_TOKEN}`,
        'X-Namespace': 'someone-else',
      },
    );
    expect(otherNamespace.status).toBe(403);
  });
});
