import { z } from 'zod';
import { AttioApi } from '../../connectors/attio/api';
import { FrontApi } from '../../connectors/front/api';
import { VendorError } from '../../connectors/kit/errors';
import type { VendorClient } from '../../connectors/kit/http';

/**
 * Every vendor answer Tern reads is checked against its schema in one place (the kit): a shape the vendor changed
 * is a VendorError naming the vendor, the operation and the first field that differs, with the vendor's reference.
 */

const answering = (data: unknown) =>
  ({ request: () => Promise.resolve({ status: 200, data }), concurrency: 1 }) as unknown as VendorClient;

const thing = z.object({ id: z.string(), size: z.number() });

async function refusal(read: Promise<unknown>): Promise<VendorError> {
  const err: unknown = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof VendorError)) throw new Error(`expected a VendorError, got ${String(err)}`);
  return err;
}

describe('a vendor answer in a shape Tern does not read', () => {
  it('Attio: names the operation, the field, and Attio’s reference', async () => {
    const err = await refusal(
      new AttioApi(answering({ id: 'x', size: 'big' })).read(thing, { method: 'get', url: '/x', operation: 'get x' }),
    );
    expect({ message: err.message, fix: err.fix, vendor: err.vendor, status: err.status }).toEqual({
      message:
        'attio: get x answered in a shape Tern does not read (size: Invalid input: expected number, received string)',
      fix: 'check the answer against Attio’s REST API v2 reference, https://docs.attio.com/rest-api/overview',
      vendor: 'attio',
      status: undefined,
    });
  });

  it('Front: names the operation, the field (in a listing too), and Front’s reference', async () => {
    const front = new FrontApi(answering({ _results: [{ id: 7, size: 1 }], _pagination: { next: null } }));
    const listed = await refusal(front.list(thing, '/things', 'list things'));
    expect({ message: listed.message, fix: listed.fix, vendor: listed.vendor, status: listed.status }).toEqual({
      message:
        'front: list things answered in a shape Tern does not read (_results.0.id: Invalid input: expected string, received number)',
      fix: 'check the Front API version the account uses against https://dev.frontapp.com/reference',
      vendor: 'front',
      status: undefined,
    });
    const read = await refusal(
      new FrontApi(answering(null)).read(thing, { method: 'get', url: '/x', operation: 'get x' }),
    );
    expect(read.message).toBe(
      'front: get x answered in a shape Tern does not read (body: Invalid input: expected object, received null)',
    );
  });

  it('a valid answer is read as the schema parses it', async () => {
    const api = new AttioApi(answering({ id: 'x', size: 2, extra: true }));
    expect(await api.read(thing, { method: 'get', url: '/x', operation: 'get x' })).toEqual({ id: 'x', size: 2 });
  });
});
