import type { z } from 'zod';
import { VendorError } from './errors';

/** Where to check an answer Tern could not read: the vendor and its API reference. */
export interface AnswerSource {
  vendor: string;
  /** The fix a person reads: the reference to check the answer against. */
  reference: string;
}

/**
 * A vendor's answer read through the schema Tern expects: a shape the vendor changed fails loudly as a
 * VendorError naming the operation and the first field that differs, instead of being read half right.
 */
export function validAnswer<T extends z.ZodType>(
  source: AnswerSource,
  schema: T,
  data: unknown,
  operation: string,
): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new VendorError(
    `${source.vendor}: ${operation} answered in a shape Tern does not read (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'})`,
    source.reference,
    source.vendor,
    undefined,
  );
}
