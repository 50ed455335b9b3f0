import path from 'node:path';
import { ConfigError } from './errors';
import { describeConnectionText } from './redact';
import type { KeySource } from './keys';

/** Where Tern keeps its local state (embedded database, Temporal dev server files). Git-ignored. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface TemporalSettings {
  /** host:port of the Temporal frontend. */
  address: string;
  namespace: string;
  /** True when the address came from TEMPORAL_ADDRESS: Tern then never starts or stops a dev server. */
  external: boolean;
  tls?: { certPath: string; keyPath: string; serverNameOverride?: string; caPath?: string };
  /** Base URL of the Web UI, for links printed to people. */
  uiUrl: string;
  /** The payload codec's key ring: TERN_PAYLOAD_KEY, else TERN_PAYLOAD_KEY_FILE, else keys/payload.key. */
  payloadKey: KeySource;
  /** The bearer tokens `tern codec-server` accepts: TERN_CODEC_KEY, else TERN_CODEC_KEY_FILE, else keys/codec.key. */
  codecKey: KeySource;
}

export interface TernSettings {
  /** Staging database URL; undefined means the embedded default. */
  databaseUrl: string | undefined;
  homeDir: string;
  toolsDir: string;
  temporal: TemporalSettings;
  taskQueue: string;
  /** The audit chain's key ring (common/keys.ts): TERN_AUDIT_KEY, else TERN_AUDIT_KEY_FILE, else keys/audit.key. */
  auditKey: KeySource;
  /**
   * TERN_METRICS_PORT: where a worker serves Prometheus metrics (docs/metrics.md); 0 serves none. Unset, `tern
   * worker` serves on 9464 and the worker inside a CLI command serves none.
   */
  metricsPort: number | undefined;
}

/** Reads Tern's settings from the environment, once, in one place. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): TernSettings {
  const homeDir = path.resolve(env.TERN_HOME ?? path.join(PROJECT_ROOT, '.tern'));
  const toolsDir = path.resolve(env.TERN_TOOLS_DIR ?? path.join(PROJECT_ROOT, '.tools'));
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL is not a PostgreSQL URL (it is ${describeConnectionText(databaseUrl)})`,
      'set DATABASE_URL=postgres://user@host:5432/dbname, or unset it to use the embedded database',
    );
  }
  const external = Boolean(env.TEMPORAL_ADDRESS?.trim());
  const address = env.TEMPORAL_ADDRESS?.trim() || '127.0.0.1:7233';
  const certPath = env.TEMPORAL_TLS_CERT?.trim();
  const keyPath = env.TEMPORAL_TLS_KEY?.trim();
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together',
      'set both to the paths of the client certificate and its key, or neither',
    );
  }
  return {
    databaseUrl,
    homeDir,
    toolsDir,
    taskQueue: env.TERN_TASK_QUEUE?.trim() || 'tern',
    auditKey: keySource(env, homeDir, 'audit'),
    metricsPort: portSetting(env, 'TERN_METRICS_PORT'),
    temporal: {
      address,
      namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
      external,
      tls:
        certPath && keyPath
          ? {
              certPath,
              keyPath,
              serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME?.trim() || undefined,
              caPath: env.TEMPORAL_TLS_CA?.trim() || undefined,
            }
          : undefined,
      uiUrl: (env.TEMPORAL_UI_URL?.trim() || 'http://localhost:8233').replace(/\/$/, ''),
      payloadKey: keySource(env, homeDir, 'payload'),
      codecKey: keySource(env, homeDir, 'codec'),
    },
  };
}

/**
 * Where a purpose's key ring comes from: `TERN_<PURPOSE>_KEY` holds it; else the file `TERN_<PURPOSE>_KEY_FILE`
 * names; else `<homeDir>/keys/<purpose>.key`, which Tern creates on first use.
 */
export function keySource(env: NodeJS.ProcessEnv, homeDir: string, purpose: string): KeySource {
  const variable = `TERN_${purpose.toUpperCase()}_KEY`;
  const fileVariable = `${variable}_FILE`;
  const named = env[fileVariable]?.trim();
  return {
    purpose,
    variable,
    inline: () => env[variable]?.trim() || undefined,
    file: named ? path.resolve(named) : path.join(homeDir, 'keys', `${purpose}.key`),
    fileVariable,
    fileNamed: Boolean(named),
  };
}

/** A TCP port from the environment (0 allowed: "none"), undefined when unset. */
function portSetting(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new ConfigError(
      `${name} ${text} is not a port number`,
      `set ${name} to a port from 1 to 65535, or 0 for none`,
    );
  return port;
}

/** The Temporal UI page of one workflow. */
export function workflowUiUrl(temporal: TemporalSettings, workflowId: string): string {
  return `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** A database URL fit to print (common/redact.ts): password and secret parameters hidden, keyword form never shown. */
export { redactUrl } from './redact';
