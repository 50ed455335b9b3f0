import { asyncLocalStorage } from '@temporalio/activity';
import type postgres from 'postgres';

/**
 * Queries die with the activity that started them. An activity Temporal cancels or times out (heartbeat or
 * start-to-close) is abandoned, and its next attempt starts elsewhere; a query it left running in PostgreSQL
 * would go on burning a backend, and each retry would add one more. So every query a Tern connection runs
 * inside an activity is tied to that activity's cancellation signal: when the signal aborts, the query is
 * cancelled in PostgreSQL (postgres.js sends a cancel request for the backend running it). Outside an
 * activity (the CLI, tests) queries run as they are.
 */

/** The postgres.js query object, as far as this file relies on it. */
interface QueryLike {
  cancel(): unknown;
  handle(): Promise<void>;
  executed: boolean;
}

const tied = new WeakSet<object>();

/** The running activity's cancellation signal; none outside an activity (asked without throwing: once per query). */
function activitySignal(): AbortSignal | undefined {
  return asyncLocalStorage.getStore()?.cancellationSignal;
}

function isQuery(value: unknown): value is QueryLike {
  return (
    value instanceof Promise &&
    typeof (value as Partial<QueryLike>).cancel === 'function' &&
    typeof (value as Partial<QueryLike>).handle === 'function'
  );
}

function cancelQuietly(query: QueryLike): void {
  // The query itself rejects with "canceling statement due to user request"; the activity is over anyway.
  void Promise.resolve()
    .then(() => query.cancel())
    .catch(() => undefined);
}

/** Ties a query to the current activity when it is executed (fragments nested in other queries never are). */
function tie<T>(value: T): T {
  if (!isQuery(value)) return value;
  const signal = activitySignal();
  if (!signal) return value;
  const query = value;
  const handle = query.handle.bind(query);
  query.handle = () => {
    if (!query.executed) {
      if (signal.aborted) cancelQuietly(query);
      else {
        const onAbort = () => cancelQuietly(query);
        signal.addEventListener('abort', onAbort, { once: true });
        const done = () => signal.removeEventListener('abort', onAbort);
        // Promise's own then: postgres.js's would execute the query again.
        void Promise.prototype.then.call(query, done, done);
      }
    }
    return handle();
  };
  return value;
}

/** Wraps the callback of begin/savepoint so the transaction's queries are tied too. */
function wrapCallbackArgs(args: unknown[]): unknown[] {
  return args.map((arg) =>
    typeof arg === 'function' ? (tx: postgres.Sql) => (arg as (tx: postgres.Sql) => unknown)(tiedToActivity(tx)) : arg,
  );
}

/**
 * A postgres.js client whose queries (tagged templates, `unsafe`, `file`, and those of its transactions and
 * reserved connections) are cancelled in PostgreSQL when the activity that runs them is cancelled or times out.
 */
export function tiedToActivity<T extends postgres.Sql>(sql: T): T {
  if (tied.has(sql)) return sql;
  const proxy = new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      return tie(Reflect.apply(target as unknown as (...a: unknown[]) => unknown, thisArg, args));
    },
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      switch (prop) {
        case 'unsafe':
        case 'file':
          return (...args: unknown[]) => tie(fn.apply(target, args));
        case 'begin':
        case 'savepoint':
          return (...args: unknown[]) => fn.apply(target, wrapCallbackArgs(args));
        case 'reserve':
          return async (...args: unknown[]) => tiedToActivity((await fn.apply(target, args)) as postgres.ReservedSql);
        default:
          return value;
      }
    },
  });
  tied.add(proxy);
  return proxy;
}
