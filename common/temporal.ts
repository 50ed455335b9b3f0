import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { TemporalSettings } from './config';
import { TemporalUnreachableError } from './errors';

function tlsOptions(settings: TemporalSettings): ConnectionOptions['tls'] {
  if (!settings.tls) return undefined;
  return {
    serverNameOverride: settings.tls.serverNameOverride,
    serverRootCACertificate: settings.tls.caPath ? fs.readFileSync(settings.tls.caPath) : undefined,
    clientCertPair: { crt: fs.readFileSync(settings.tls.certPath), key: fs.readFileSync(settings.tls.keyPath) },
  };
}

function unreachable(settings: TemporalSettings, err: unknown): TemporalUnreachableError {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new TemporalUnreachableError(
    `cannot reach the Temporal server at ${settings.address} (namespace ${settings.namespace}): ${reason}`,
    settings.external
      ? 'check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TLS settings, or unset TEMPORAL_ADDRESS to use the local dev server'
      : 'start the local server with `npm run stack:start` (or `tern stack start`), or set TEMPORAL_ADDRESS',
    { cause: err },
  );
}

/** A client connection for starting, querying and signalling workflows. */
export async function connectClient(settings: TemporalSettings): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: settings.address,
      tls: tlsOptions(settings),
      connectTimeout: '5s',
    });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw unreachable(settings, err);
  }
  return new Client({ connection, namespace: settings.namespace });
}

let runtimeInstalled = false;
/**
 * Sets the SDK's own log level once per process: TERN_SDK_LOG_LEVEL, else TERN_LOG_LEVEL. Interactive
 * commands set it to ERROR because they report a failed phase themselves, in one line.
 */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TERN_SDK_LOG_LEVEL ?? process.env.TERN_LOG_LEVEL ?? 'info').toUpperCase();
  const sdkLevel: LogLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? level : 'INFO') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(sdkLevel) });
  } catch {
    // Already instantiated by an earlier caller: keep its logger.
  }
}

/** A worker connection (native, used by the Rust core). */
export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  installRuntime();
  try {
    return await NativeConnection.connect({ address: settings.address, tls: tlsOptions(settings) });
  } catch (err) {
    throw unreachable(settings, err);
  }
}
