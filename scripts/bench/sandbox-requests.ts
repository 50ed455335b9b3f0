/**
 * How many requests a second the Front sandbox answers on loopback: GETs over an exact path (/teammates) and a
 * templated one (/conversations/{conversation_id}), 8 in flight, after a warm-up. The sandbox must never be what a
 * bench measures; this is the figure to hold against a bench's requests per second.
 *
 *   npx tsx scripts/bench/sandbox-requests.ts [requests]
 */
import { startSandbox } from '../../sandboxes/core/server';
import { frontSandbox } from '../../sandboxes/front';

const PATHS = ['/teammates', '/conversations/cnv_sandbox_missing', '/inboxes'];
const IN_FLIGHT = 8;

async function fire(url: string, count: number, headers: Record<string, string>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}${PATHS[i % PATHS.length]}`, { headers });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 2000);
  const sandbox = await startSandbox(frontSandbox, { rate: 1_000_000 });
  const headers = { authorization: 'Bearer front-sandbox-token' };
  try {
    await fire(sandbox.url, 200, headers);
    const t0 = performance.now();
    await fire(sandbox.url, requests, headers);
    const seconds = (performance.now() - t0) / 1000;
    const stats = sandbox.stats();
    console.log(
      JSON.stringify({
        requests,
        seconds: Number(seconds.toFixed(2)),
        requestsPerSecond: Number((requests / seconds).toFixed(0)),
        specViolations: stats.specViolations.length,
        unknownRoutes: stats.unknownRoutes.length,
      }),
    );
  } finally {
    await sandbox.close();
  }
}

void main();
