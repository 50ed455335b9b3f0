import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Temporal's failure converter with `encodeCommonAttributes`: a failure's message and stack trace travel as an
 * encoded payload (so the payload codec encrypts them) and the history shows "Encoded failure" in their place. A
 * driver's or a vendor's message can quote a value Tern read; Tern's own messages name records by source id and
 * reason only, but the history is not the place to rely on that. Loaded by path (`failureConverterPath`) in
 * workers, clients and the workflow bundle, because workflow code runs in its own sandbox.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
