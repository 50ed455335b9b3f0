import { ApplicationFailure } from '@temporalio/common';
import { CredentialError, RateLimitedError, RetryableError, VendorError } from '../connectors/kit/errors';

/**
 * Turns the kit's error classes into Temporal's terms: a 429 is retried after the vendor's delay, a transient
 * failure with the activity's backoff, a bad credential stops the phase with the variable to fix.
 */
export function vendorActivity<I, O>(fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await fn(input);
    } catch (err) {
      if (err instanceof RateLimitedError)
        throw ApplicationFailure.create({
          message: err.message,
          type: err.name,
          nextRetryDelay: err.retryAfterMs ?? 1000,
        });
      if (err instanceof RetryableError) throw ApplicationFailure.create({ message: err.message, type: err.name });
      if (err instanceof CredentialError || err instanceof VendorError)
        throw ApplicationFailure.create({ message: err.toLine(), type: err.name, nonRetryable: true });
      throw err;
    }
  };
}
