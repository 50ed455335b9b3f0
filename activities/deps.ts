import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type postgres from 'postgres';
import { ConfigError } from '../common/errors';
import { openSql } from '../staging/db';
import type { Staging } from '../staging/db';
import { getMigration, type StoredMigration } from '../staging/migrations-repo';
import type { ObjectPlan, Plan } from '../plan/schema';
import type { CustomTransformFn } from '../plan/compile';
import { loadCustomTransforms } from '../plan/custom';
import { PostgresTarget } from '../connectors/postgres/records';
import type { TargetAdapter } from '../connectors/target';
import type { Liveness } from './liveness';
import type { RequestMeter } from './meter';
import { openSaasTarget, type SaasDeps } from '../connectors/saas-targets';

/** Keeps the current activity alive while a vendor's budget makes it wait (a no-op outside activities). */
export function heartbeatIfActivity(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity (the CLI reconciles and validates directly).
  }
}

/** The current activity's cancellation (cancelled, timed out, worker shutting down); none outside activities. */
export function cancellationSignalIfActivity(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** What activities need from the outside world; tests pass real databases here. */
export interface ActivityDeps {
  staging: Staging;
  /** Environment used to resolve credential references (env var names in the plan). */
  env?: NodeJS.ProcessEnv;
  /** A Temporal client for activities that watch workflows (a rollback waits for loads); else the worker's own. */
  temporal?: Client;
}

/**
 * The input of an activity that runs a migration's plan: the version its phase pinned when it started (`planHash`),
 * so an edited plan never reaches a running phase. Histories from before phases pinned their plan carry no hash:
 * those activities run the current plan.
 */
export interface PinnedPlanInput {
  migrationId: string;
  planHash?: string;
}

/** Per-process cache of plans and target connections, shared by all activities of a worker. */
export class ActivityContext {
  private readonly targets = new Map<string, Promise<postgres.Sql>>();

  constructor(readonly deps: ActivityDeps) {}

  get db() {
    return this.deps.staging.db;
  }

  get sql() {
    return this.deps.staging.sql;
  }

  /** A Temporal client: the one in the deps, else the client of the worker running the current activity. */
  temporalClient(): Client {
    return this.deps.temporal ?? Context.current().client;
  }

  /**
   * The migration with the plan version its phase pinned (`planHash`), else its current plan. Not cached: a plan
   * fix reaches the next phase (a quarantine replay starts one, pinning the fixed plan), never a running one.
   */
  async migration(id: string, planHash?: string): Promise<StoredMigration> {
    return getMigration(this.db, id, planHash);
  }

  object(plan: Plan, name: string): ObjectPlan {
    const object = plan.objects.find((o) => o.name === name);
    if (!object)
      throw new ConfigError(`object "${name}" is not in plan "${plan.name}"`, 'check the object name against the plan');
    return object;
  }

  /** The plan's custom transforms, loaded in the worker (module paths are absolute in a stored plan). */
  async customTransforms(plan: Plan): Promise<Record<string, CustomTransformFn>> {
    return Promise.resolve(loadCustomTransforms(plan));
  }

  /** The environment credential references (env var names in the plan) are resolved in. */
  get env(): NodeJS.ProcessEnv {
    return this.deps.env ?? process.env;
  }

  /**
   * What SaaS connectors need: staging (shared budgets, ledgers), credentials, a heartbeat while waiting, and the
   * activity's cancellation. Under a `Liveness`, heartbeats carry its resume details (a bare heartbeat would
   * replace them with nothing).
   */
  saasDeps(meter?: RequestMeter, live?: Pick<Liveness, 'beat' | 'signal'>): SaasDeps {
    // Every request is a sign of life: at a vendor's documented rate one page of a load can take minutes.
    const beat = live ? () => live.beat() : () => heartbeatIfActivity();
    return {
      sql: this.sql,
      env: this.env,
      onWait: beat,
      onRequest: (vendor, setup) => {
        meter?.add(vendor, setup);
        beat();
      },
      signal: live?.signal ?? cancellationSignalIfActivity(),
    };
  }

  /** The plan's target: a PostgreSQL database, or a SaaS tool through the connector kit. */
  async target(
    plan: Plan,
    migrationId?: string,
    meter?: RequestMeter,
    live?: Pick<Liveness, 'beat' | 'signal'>,
  ): Promise<TargetAdapter> {
    if (plan.target.kind === 'postgres')
      return new PostgresTarget(await this.targetSql(plan), plan as Plan & { target: { kind: 'postgres' } });
    return openSaasTarget(this.saasDeps(meter, live), plan, migrationId ?? plan.name);
  }

  /** The target database connection, resolved from the plan's credential reference inside the activity. */
  async targetSql(plan: Plan): Promise<postgres.Sql> {
    const env = this.env;
    if (plan.target.kind !== 'postgres')
      throw new ConfigError(
        `the target of plan "${plan.name}" is ${plan.target.kind}, not a database`,
        'this step needs a PostgreSQL target',
      );
    const urlEnv = plan.target.urlEnv;
    let url = this.deps.staging.url;
    if (urlEnv) {
      const value = env[urlEnv];
      if (!value) {
        throw new ConfigError(
          `environment variable ${urlEnv} (the target database URL named by the plan) is not set`,
          `export ${urlEnv}=postgres://… in the worker's environment`,
        );
      }
      url = value;
    }
    if (url === this.deps.staging.url) return this.deps.staging.sql;
    let pending = this.targets.get(url);
    if (!pending) {
      const opening = openSql(url, { applicationName: 'tern-target' });
      this.targets.set(url, opening);
      // A connection that failed is not kept: the next attempt connects again (the database may be back).
      opening.catch(() => {
        if (this.targets.get(url) === opening) this.targets.delete(url);
      });
      pending = opening;
    }
    return pending;
  }

  async close(): Promise<void> {
    for (const pending of this.targets.values()) {
      const sql = await pending.catch(() => undefined);
      await sql?.end({ timeout: 5 });
    }
    this.targets.clear();
  }
}
