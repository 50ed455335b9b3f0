/**
 * The Node flags a worker process runs with (`npm run worker`, and the worker processes the benches start): a V8
 * heap limit of 1 GB. Under Node's default limit (a quarter of the machine's memory, 4 GB on the 23 GB development
 * VM) V8 lets the heap grow to up to four times what is live before a full collection; under 2 GB it grows it 1.3
 * to 2 times (1.6 at 1 GB). A worker's live heap stays at about 90 MB through a 1,000-ticket Zendesk → Front
 * phase, so the limit leaves it room ten times over while the garbage of finished pages no longer piles up
 * (docs/performance.md, "Memory of the Zendesk → Front worker"). A `tern worker` started otherwise takes the same
 * flag in NODE_OPTIONS.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=1024'];
