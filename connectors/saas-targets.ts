import type postgres from 'postgres';
import { ConfigError } from '../common/errors';
import { planSources, type Plan } from '../plan/schema';
import { effectiveBudget } from './kit/budget';
import { sharedGovernor } from './kit/governor';
import { VendorClient, type VendorDeclaration } from './kit/http';
import { attio } from './attio/declaration';
import { AttioTarget, type AttioObjectBinding } from './attio/target';
import { front } from './front/declaration';
import { zendesk } from './zendesk/declaration';
import { sharedFrontAccount } from './front/account';
import { FRONT_PROVEN_FIRST, FRONT_RESOURCES, FrontTarget, type FrontResource } from './front/target';
import type { TargetAdapter } from './target';

/** What opening a SaaS endpoint needs: staging (shared rate budget, ledgers) and the credential environment. */
export interface SaasDeps {
  sql: postgres.Sql;
  env: NodeJS.ProcessEnv;
  /** Called while the governor waits, so a long wait keeps the activity alive. */
  onWait?: () => void;
  /** Counts each request sent, per vendor (what a stage cost), and whether it prepared the account (`setup`). */
  onRequest?: (vendor: string, setup: boolean) => void;
  /**
   * The activity's cancellation: a cancelled or timed-out activity stops waiting for budget or backoff and sends
   * nothing more (a request already sent finishes, bounded by its timeout).
   */
  signal?: AbortSignal;
}

/** A governed client for one vendor account, its budget shared by every worker process, its connections by this one. */
export function vendorClient(
  deps: SaasDeps,
  declaration: VendorDeclaration,
  connection: {
    baseUrl: string;
    credentials: VendorClient['connection']['credentials'];
    budget?: Parameters<typeof effectiveBudget>[1];
  },
  /** A budget of the account apart from its main one (Zendesk's incremental exports). */
  bucket?: string,
): VendorClient {
  const budget = effectiveBudget(declaration.budget, connection.budget);
  const key = `${declaration.vendor}:${connection.baseUrl}${bucket ? `:${bucket}` : ''}`;
  const governor = sharedGovernor(deps.sql, key, budget);
  const byAccount = clients.get(deps.env) ?? new Map<string, VendorClient>();
  clients.set(deps.env, byAccount);
  const clientKey = JSON.stringify([
    key,
    connection.credentials,
    budget.ratePerSecond,
    budget.concurrency,
    budget.burst,
  ]);
  let client = byAccount.get(clientKey);
  if (!client) {
    client = new VendorClient(
      declaration,
      { baseUrl: connection.baseUrl, credentials: connection.credentials },
      { governor, env: deps.env },
    );
    byAccount.set(clientKey, client);
  }
  return client.forCaller({ onWait: deps.onWait, onRequest: deps.onRequest, signal: deps.signal });
}

/**
 * One client per account in a worker process (by credential environment): its connections stay open from one
 * page to the next; each caller (an activity) talks through its own view of it.
 */
const clients = new WeakMap<NodeJS.ProcessEnv, Map<string, VendorClient>>();

/** The plan's SaaS target. */
export function openSaasTarget(deps: SaasDeps, plan: Plan, migrationId: string): Promise<TargetAdapter> {
  const target = plan.target;
  if (target.kind === 'attio') {
    const bindings: Record<string, AttioObjectBinding> = {};
    for (const object of plan.objects)
      bindings[object.name] = { object: object.target.resource ?? object.target.table, key: object.target.key };
    return Promise.resolve(
      new AttioTarget(
        vendorClient(deps, attio, target),
        { createOptions: target.createOptions },
        deps.sql,
        migrationId,
        bindings,
      ),
    );
  }
  if (target.kind !== 'front') throw new ConfigError(`no SaaS target "${target.kind}"`, 'use a supported target.kind');
  const resources: Record<string, FrontResource> = {};
  for (const object of plan.objects) {
    const resource = object.target.resource ?? object.target.table;
    if (!(FRONT_RESOURCES as readonly string[]).includes(resource))
      throw new ConfigError(
        `object "${object.name}": target.resource "${resource}" is not a Front resource Tern writes`,
        `set target.resource to one of ${FRONT_RESOURCES.join(', ')}`,
      );
    resources[object.name] = resource as FrontResource;
  }
  // Attachments come from the source, through the source's own credentials.
  const zendeskSource = planSources(plan).find((s) => s.source.kind === 'zendesk')?.source;
  const source = zendeskSource?.kind === 'zendesk' ? vendorClient(deps, zendesk, zendeskSource) : undefined;
  const config = { inbox: target.inbox, fallbackTeammate: target.fallbackTeammate };
  return Promise.resolve(
    new FrontTarget(
      vendorClient(deps, front, target),
      config,
      deps.sql,
      migrationId,
      resources,
      source ? (url) => source.download(url) : undefined,
      // The account's set-up (teammates, inbox, tags, custom fields) is read once per worker process, not per page.
      sharedFrontAccount(migrationId, target.baseUrl, config),
    ),
  );
}

/**
 * For each object, the objects that must be loaded and reconciled before it starts (a phase's `proofPrerequisites`):
 * where the target learns, reading one object back, what another's load would otherwise ask it for. Front only.
 */
export function objectProofPrerequisites(plan: Plan): Record<string, string[]> {
  if (plan.target.kind !== 'front') return {};
  const resourceOf = (o: Plan['objects'][number]) => (o.target.resource ?? o.target.table) as FrontResource;
  return Object.fromEntries(
    plan.objects.map((o) => {
      const first = FRONT_PROVEN_FIRST[resourceOf(o)] ?? [];
      return [o.name, plan.objects.filter((p) => first.includes(resourceOf(p))).map((p) => p.name)];
    }),
  );
}

/**
 * Requests the plan's SaaS target lets be in flight at once (its budget's concurrency, the plan's tier applied);
 * null for a database target.
 */
export function targetConcurrency(plan: Plan): number | null {
  const target = plan.target;
  if (target.kind === 'attio') return effectiveBudget(attio.budget, target.budget).concurrency;
  if (target.kind === 'front') return effectiveBudget(front.budget, target.budget).concurrency;
  return null;
}
