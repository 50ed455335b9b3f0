import type postgres from 'postgres';
import { ConfigError } from '../../common/errors';
import type { GoldSchema } from '../../plan/gold';
import { TargetExtras } from '../extras';
import type { VendorClient } from '../kit/http';
import type { TargetAdapter, TargetRecords } from '../target';
import { AttioApi } from './api';
import { attioGold } from './gold';
import { AttioRecords } from './object-records';
import { AttioWorkspace, type AttioObjectBinding } from './workspace';

/**
 * Attio (REST API v2) as a Tern target: each plan object writes one Attio object (companies, people, deals, or
 * a custom object), one field per attribute, upserted on the object's key attribute (a unique text attribute
 * holding the source id, created by Tern when the workspace lacks it). Values are written in the attribute's
 * own type (select options and statuses by title, record references by record id, currencies as numbers), and
 * read back in the same canonical text for the checksum. Missing select options and statuses are created
 * when the plan allows it; every attribute, option and status Tern created is archived by a rollback.
 *
 * One file per Attio resource Tern calls, each call with its documentation above it: `objects.ts`,
 * `attributes.ts`, `options.ts` (select options and statuses), `records.ts`. Attio's answers are validated in
 * `types.ts`; every request goes through `api.ts`. The workspace's set-up as this target knows it, and what Tern
 * added to it, is `workspace.ts`; an object's records as the write protocol sees them, `object-records.ts`; the
 * values written and read back, `values.ts`; the gold schema, `gold.ts`.
 */

export type { AttioObjectBinding } from './workspace';
export type { AttioAttribute } from './attributes';
export type { AttioType } from './types';

export interface AttioTargetConfig {
  /** Create the select options and statuses the plan writes that the workspace lacks (else the record is refused). */
  createOptions: boolean;
}

/** The writes an object's records get in one request each; Attio has no batch write. */
export class AttioTarget implements TargetAdapter {
  readonly kind = 'attio';
  readonly extras: TargetExtras;
  readonly api: AttioApi;
  readonly workspace: AttioWorkspace;

  constructor(
    readonly client: VendorClient,
    private readonly config: AttioTargetConfig,
    sql: postgres.Sql,
    migrationId: string,
    /** Plan object name → Attio object and key attribute. */
    private readonly bindings: Record<string, AttioObjectBinding>,
  ) {
    this.extras = new TargetExtras(sql, migrationId);
    this.api = new AttioApi(client);
    this.workspace = new AttioWorkspace(this.api, this.extras);
  }

  async records(objectName: string): Promise<TargetRecords> {
    const binding = this.bindings[objectName];
    if (!binding) throw new ConfigError(`object "${objectName}" has no Attio object`, 'set target.resource');
    return new AttioRecords(
      { api: this.api, workspace: this.workspace, createOptions: this.config.createOptions },
      binding,
    ).load();
  }

  discoverGold(resources: readonly string[]): Promise<GoldSchema> {
    return attioGold(this.workspace, this.bindings, this.config.createOptions, resources);
  }

  /** Archives what Tern created beyond records: options, statuses, then its key attributes. */
  rollbackExtras(): Promise<{ removed: number }> {
    return this.workspace.archiveCreated();
  }

  verifyExtras(): Promise<{ remaining: string[] }> {
    return this.workspace.remainingCreated();
  }
}
