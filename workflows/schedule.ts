// Which objects of a phase may start now, and a bounded pool to run them: pure, deterministic, no Temporal calls.

/**
 * Each object's prerequisites (the objects that must have finished loading before it starts) when a phase's
 * input names none: the object declared just before it, so objects run one after another in the order written.
 */
export function declaredOrder(objects: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(objects.map((object, i) => [object, i === 0 ? [] : [objects[i - 1]!]]));
}

/** Objects that wait for others to be proven (loaded and reconciled), not only loaded; and those proven so far. */
export interface ProofWaits {
  proofPrerequisites: Readonly<Record<string, readonly string[]>>;
  proven: ReadonlySet<string>;
}

/**
 * The objects to start now, in declared order, at most `room` of them: not started yet, and every prerequisite
 * that is part of this phase (itself excepted: a self-reference loads within its own object) has loaded. When
 * nothing runs and nothing qualifies (prerequisites that can never load), the first object not started is
 * returned: the declared order is always a valid one, so the phase never waits forever.
 */
export function startable(
  objects: readonly string[],
  prerequisites: Readonly<Record<string, readonly string[]>>,
  loaded: ReadonlySet<string>,
  started: ReadonlySet<string>,
  room: number,
  proof?: ProofWaits,
): string[] {
  if (room <= 0) return [];
  const inPhase = new Set(objects);
  const waiting = objects.filter((object) => !started.has(object));
  const met = (object: string, of: readonly string[] | undefined, done: ReadonlySet<string>) =>
    (of ?? []).every((p) => p === object || !inPhase.has(p) || done.has(p));
  const ready = waiting.filter(
    (object) =>
      met(object, prerequisites[object], loaded) &&
      (!proof || met(object, proof.proofPrerequisites[object], proof.proven)),
  );
  // With proof waits, an object is running until it is proven (it may be what another waits for).
  const running = [...started].some(
    (object) => inPhase.has(object) && !(proof ? proof.proven.has(object) : loaded.has(object)),
  );
  if (ready.length === 0 && !running && waiting.length > 0) return [waiting[0]!];
  return ready.slice(0, room);
}

/**
 * Runs `task` over `items`, at most `limit` at once, in order. A failure starts no further item; the call ends
 * once every started task has ended, then throws the first failure.
 */
export async function boundedEach<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
}
