import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadSettings } from '../../common/config';
import { generateKeyText } from '../../common/keys';
import { FAILURE_CONVERTER_PATH } from '../../common/temporal';
import { ensureTemporalCli, startDevServer, type DevServer } from '../../scripts/stack/temporal';
import { ensureTestDatabase } from './database';
import { freePort } from './wait';

declare global {
  var __ternTestServer: DevServer | undefined;
  var __ternTestDir: string | undefined;
}

/**
 * Once per `npm test`: a real Temporal dev server (in memory, headless, on a free port) with Tern's search
 * attributes, the workflow bundle built once, and the machine's PostgreSQL with staging migrations applied.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TERN_LOG_LEVEL ??= 'warn';
  // One payload key for the run, shared by the tests and the processes they start; nothing written under .tern/.
  process.env.TERN_PAYLOAD_KEY ??= generateKeyText();
  // Likewise one audit key: the chains tests write, and the `tern audit verify` they run, use the same one.
  process.env.TERN_AUDIT_KEY ??= generateKeyText();
  const settings = loadSettings();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-test-'));
  globalThis.__ternTestDir = dir;

  const databaseUrl = await ensureTestDatabase();
  process.env.TERN_TEST_DATABASE_URL = databaseUrl;

  const cli = ensureTemporalCli(settings, (line) => console.log(`\n[test setup] ${line}`));
  const port = await freePort();
  const server = await startDevServer({
    cli,
    port,
    uiPort: null,
    dbFile: null,
    logFile: path.join(dir, 'temporal.log'),
    detached: false,
  });
  globalThis.__ternTestServer = server;
  process.env.TERN_TEST_TEMPORAL_ADDRESS = server.address;

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, code);
  process.env.TERN_WORKFLOW_BUNDLE = bundlePath;
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
};
