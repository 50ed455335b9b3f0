import { describeError } from '../../common/errors';
import { sharedGovernorStats } from '../../connectors/kit/governor';
import { runWorkerProcess } from '../../worker/main';

/**
 * A worker process for the governor bench: the worker itself, which once stopped tells the bench (over the IPC
 * channel it was started with) how each of its governors spent its leases.
 */
runWorkerProcess().then(
  () => process.send?.({ governors: sharedGovernorStats() }, () => process.disconnect()),
  (err: unknown) => {
    console.error(`governed worker: ${describeError(err)}`);
    process.exit(1);
  },
);
