import type { z } from 'zod';
import { validAnswer, type AnswerSource } from '../kit/answers';
import { VendorError } from '../kit/errors';
import type { VendorClient, VendorRequest } from '../kit/http';
import { nextUrlPages } from '../kit/paginate';
import { frontList } from './types';

const FRONT: AnswerSource = {
  vendor: 'front',
  reference: 'check the Front API version the account uses against https://dev.frontapp.com/reference',
};

/**
 * Front's Core API through the connector kit's client (governed, retried, credentials by reference), every
 * answer Tern reads checked against its schema in `types.ts`: a shape Front changed fails loudly, naming the
 * operation, instead of being written to the ledger half read.
 */
export class FrontApi {
  constructor(readonly client: VendorClient) {}

  /** Requests this process may have in flight for the account. */
  get concurrency(): number {
    return this.client.concurrency;
  }

  /** Sends a request whose answer Tern does not read (updates, deletes); its HTTP status. */
  async send(req: VendorRequest): Promise<number> {
    return (await this.client.request(req)).status;
  }

  /** Sends a request and reads its answer; `undefined` for a status in `accept` (404 on a lookup). */
  async read<T extends z.ZodType>(schema: T, req: VendorRequest): Promise<z.infer<T> | undefined> {
    const res = await this.client.request(req);
    if (req.accept?.includes(res.status)) return undefined;
    return validAnswer(FRONT, schema, res.data, req.operation);
  }

  /** Sends a write that may be refused as a duplicate (409): `undefined` then, else its validated answer. */
  readOrConflict<T extends z.ZodType>(schema: T, req: VendorRequest): Promise<z.infer<T> | undefined> {
    return this.read(schema, { ...req, accept: [...(req.accept ?? []), 409] });
  }

  /** Every item of a listing, page after page (Front's `_pagination.next`). */
  async list<T extends z.ZodType>(
    schema: T,
    url: string,
    operation: string,
    marks: Pick<VendorRequest, 'setup'> = {},
  ): Promise<z.infer<T>[]> {
    const out: z.infer<T>[] = [];
    for await (const items of this.pages(schema, url, operation, marks)) out.push(...items);
    return out;
  }

  /** A listing one page (one request) at a time, for a reader that stops once it has found what it wanted. */
  async *pages<T extends z.ZodType>(
    schema: T,
    url: string,
    operation: string,
    marks: Pick<VendorRequest, 'setup'> = {},
  ): AsyncGenerator<z.infer<T>[]> {
    const page = frontList(schema);
    for await (const { items } of nextUrlPages(url, async (next) => {
      const res = await this.client.request({ method: 'get', url: next, operation, ...marks });
      const data = validAnswer(FRONT, page, res.data, operation);
      return { items: data._results, nextUrl: data._pagination?.next ?? null };
    }))
      yield items;
  }

  /** The same, or nothing when the listing's owner is gone (a deleted conversation). */
  listOrNone<T extends z.ZodType>(schema: T, url: string, operation: string): Promise<z.infer<T>[]> {
    return this.list(schema, url, operation).catch((err: unknown) => {
      if (err instanceof VendorError && err.status === 404) return [];
      throw err;
    });
  }
}
