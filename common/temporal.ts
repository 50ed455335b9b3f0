import fs from 'node:fs';
import { inspect } from 'node:util';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { TemporalSettings } from './config';
import { TemporalUnreachableError } from './errors';
import { loadKeyRing } from './keys';
import { redactForLog } from './logger';
import { PayloadEncryptionCodec } from './payload-codec';
import { redactCredentials } from './redact';

/** The failure converter's module, for workers, clients and the workflow bundle (`bundleWorkflowCode`). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * How every client and worker Tern creates converts data: payloads encrypted with the payload key ring
 * (common/payload-codec.ts), failure messages and stack traces encoded (common/failure-converter.ts). Reading the
 * key ring creates Tern's default key on first use.
 */
export function ternDataConverter(settings: TemporalSettings): DataConverter {
  return { payloadCodecs: [payloadCodec(settings)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** The payload codec on the settings' key ring (also what `tern codec-server` serves). */
export function payloadCodec(settings: TemporalSettings): PayloadEncryptionCodec {
  return new PayloadEncryptionCodec(loadKeyRing(settings.payloadKey));
}

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
  return new Client({ connection, namespace: settings.namespace, dataConverter: ternDataConverter(settings) });
}

let runtimeInstalled = false;
/**
 * Sets the SDK's own log level once per process: TERN_SDK_LOG_LEVEL, else TERN_LOG_LEVEL. Interactive
 * commands set it to ERROR because they report a failed phase themselves, in one line. The SDK's lines (an
 * activity's failure with its error and causes, workflow `log` calls) pass through the logger's redaction.
 */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TERN_SDK_LOG_LEVEL ?? process.env.TERN_LOG_LEVEL ?? 'info').toUpperCase();
  const sdkLevel: LogLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? level : 'INFO') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(sdkLevel, writeSdkLogLine) });
  } catch {
    // Already instantiated by an earlier caller: keep its logger.
  }
}

/** One SDK log line on stderr, as the SDK writes it, with credentials and record content redacted. */
function writeSdkLogLine({ level, timestampNanos, message, meta }: LogEntry): void {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const details = meta === undefined ? '' : ` ${inspect(redactForLog(meta), { depth: null, breakLength: Infinity })}`;
  process.stderr.write(`${time} [${level}] ${redactCredentials(message)}${details}\n`);
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
