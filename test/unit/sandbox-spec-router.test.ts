import type { Operation } from 'openapi-backend';
import { SpecRouter } from '../../sandboxes/core/spec';
import { attioSandbox } from '../../sandboxes/attio';
import { frontSandbox } from '../../sandboxes/front';
import { hubspotSandbox } from '../../sandboxes/hubspot';
import { zendeskSandbox } from '../../sandboxes/zendesk';

const vendors = [frontSandbox, zendeskSandbox, attioSandbox, hubspotSandbox];

/** A concrete request path for a path template: every `{param}` filled with a value that needs URL encoding. */
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, 'id%20x');

/** The sandbox's router answers a request as the sandbox server does: match, path parameters, validation. */
function route(router: SpecRouter, method: string, path: string) {
  const operation = router.match(method, path);
  if (!operation) return undefined;
  const params = router.pathParams(method, path, operation);
  const errors = router.validate(operation, { method, path, query: {}, headers: {}, body: undefined });
  return { operation, params, errors };
}

describe('the sandbox spec router', () => {
  let front: SpecRouter;
  beforeAll(async () => {
    front = await SpecRouter.load(frontSandbox.specFile, frontSandbox.specPatches);
  });

  it('builds the route table once: answering a request never lists the document operations again', () => {
    const listed = jest.spyOn(front.api.router, 'getOperations');
    route(front, 'get', '/conversations/cnv_1');
    route(front, 'get', '/teammates');
    route(front, 'patch', '/comments/com_1/');
    expect(listed).not.toHaveBeenCalled();
    listed.mockRestore();
  });

  it('parses each request once', () => {
    const parsed = jest.spyOn(front.api.router, 'parseRequest');
    route(front, 'get', '/conversations/cnv_1/messages');
    expect(parsed).toHaveBeenCalledTimes(1);
    parsed.mockRestore();
  });

  it('prefers an exact path to a template, and the most literal template to a looser one', () => {
    expect(front.match('get', '/conversations/custom_fields')?.path).toBe('/conversations/custom_fields');
    expect(front.match('get', '/conversations/search/open')?.path).toBe('/conversations/search/{query}');
    expect(front.match('get', '/conversations/cnv_1')?.path).toBe('/conversations/{conversation_id}');
  });

  it('decodes path parameters once, and ignores a trailing slash', () => {
    const found = route(front, 'get', '/conversations/cnv%2F1%2525/');
    expect(found?.operation.path).toBe('/conversations/{conversation_id}');
    expect(found?.params).toEqual({ conversation_id: 'cnv/1%25' });
  });

  it('finds no route for an unknown path or a method the path does not have', () => {
    expect(front.match('get', '/nowhere/at/all')).toBeUndefined();
    expect(front.match('put', '/teammates')).toBeUndefined();
  });

  it.each(vendors.map((v) => [v.vendor, v] as const))(
    'routes every operation of the %s document, with its path parameters, as openapi-backend does',
    async (_name, vendor) => {
      const router = await SpecRouter.load(vendor.specFile, vendor.specPatches);
      const operations: Operation[] = router.api.getOperations();
      expect(operations.length).toBeGreaterThan(5);
      for (const op of operations) {
        const path = concrete(op.path);
        const request = { method: op.method, path, headers: {} };
        const expected = router.api.matchOperation(request);
        const matched = router.match(op.method, path);
        expect([op.method, path, matched?.operationId]).toEqual([op.method, path, expected?.operationId]);
        if (matched)
          expect(router.pathParams(op.method, path, matched)).toEqual(
            router.api.router.parseRequest(request, matched).params,
          );
      }
    },
  );
});
