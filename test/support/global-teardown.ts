import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ternTestServer?.stop();
  if (globalThis.__ternTestDir) fs.rmSync(globalThis.__ternTestDir, { recursive: true, force: true });
}
