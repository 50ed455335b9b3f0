import type { z } from 'zod';
import { validAnswer, type AnswerSource } from '../kit/answers';
import type { VendorClient, VendorRequest } from '../kit/http';

const ATTIO: AnswerSource = {
  vendor: 'attio',
  reference: 'check the answer against Attio’s REST API v2 reference, https://docs.attio.com/rest-api/overview',
};

/**
 * Attio's REST API v2 through the connector kit's client (governed, retried, credentials by reference), every
 * answer Tern reads checked against its schema in `types.ts`: a shape Attio changed fails loudly, naming the
 * operation, instead of being read half right into a checksum.
 */
export class AttioApi {
  constructor(readonly client: VendorClient) {}

  /** Requests this process may have in flight for the workspace. */
  get concurrency(): number {
    return this.client.concurrency;
  }

  /** Sends a request whose answer Tern does not read (updates, archives, deletes); its HTTP status. */
  async send(req: VendorRequest): Promise<number> {
    return (await this.client.request(req)).status;
  }

  /** Sends a request and reads its answer: the status, and the validated body unless the status is in `accept`. */
  async exchange<T extends z.ZodType>(schema: T, req: VendorRequest): Promise<{ status: number; data?: z.infer<T> }> {
    const res = await this.client.request(req);
    if (req.accept?.includes(res.status)) return { status: res.status };
    return { status: res.status, data: validAnswer(ATTIO, schema, res.data, req.operation) };
  }

  /** Sends a request and reads its answer; `undefined` for a status in `accept` (404 on a lookup). */
  async read<T extends z.ZodType>(schema: T, req: VendorRequest): Promise<z.infer<T> | undefined> {
    return (await this.exchange(schema, req)).data;
  }
}
