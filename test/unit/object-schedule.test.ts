import path from 'node:path';
import { objectProofPrerequisites } from '../../connectors/saas-targets';
import { loadPlanFile, parsePlan } from '../../plan/load';
import { objectPrerequisites } from '../../plan/load-order';
import { boundedEach, declaredOrder, startable } from '../../workflows/schedule';

const objects = ['accounts', 'products', 'contacts', 'deals'];
const prerequisites = { accounts: [], products: [], contacts: ['accounts'], deals: ['accounts', 'contacts'] };

describe('which objects of a phase start now', () => {
  it('starts every object that waits for nothing, in declared order, as many as there is room for', () => {
    expect(startable(objects, prerequisites, new Set(), new Set(), 2)).toEqual(['accounts', 'products']);
    expect(startable(objects, prerequisites, new Set(), new Set(), 1)).toEqual(['accounts']);
    expect(startable(objects, prerequisites, new Set(), new Set(), 0)).toEqual([]);
  });

  it('holds an object back until every object it references has loaded', () => {
    const started = new Set(['accounts', 'products']);
    expect(startable(objects, prerequisites, new Set(['products']), started, 1)).toEqual([]);
    expect(startable(objects, prerequisites, new Set(['accounts']), started, 1)).toEqual(['contacts']);
    const more = new Set([...started, 'contacts']);
    expect(startable(objects, prerequisites, new Set(['accounts']), more, 2)).toEqual([]);
    expect(startable(objects, prerequisites, new Set(['accounts', 'contacts']), more, 2)).toEqual(['deals']);
  });

  it('ignores a self-reference and objects outside the phase', () => {
    const self = { accounts: ['accounts', 'elsewhere'] };
    expect(startable(['accounts'], self, new Set(), new Set(), 2)).toEqual(['accounts']);
  });

  it('falls back to the declared order when nothing runs and nothing could ever start', () => {
    const cycle = { a: ['b'], b: ['a'] };
    expect(startable(['a', 'b'], cycle, new Set(), new Set(), 2)).toEqual(['a']);
    // While something still loads, the phase waits for it instead.
    expect(startable(['a', 'b'], cycle, new Set(), new Set(['a']), 2)).toEqual([]);
    expect(startable(['a', 'b'], cycle, new Set(['a']), new Set(['a']), 2)).toEqual(['b']);
  });

  it('holds an object back until what it waits to be proven is loaded and reconciled, not only loaded', () => {
    const front = ['contacts', 'messages', 'conversations'];
    const chain = declaredOrder(front);
    const proof = (proven: string[]) => ({
      proofPrerequisites: { conversations: ['messages'] },
      proven: new Set(proven),
    });
    const started = new Set(['contacts', 'messages']);
    const loaded = new Set(['contacts', 'messages']);
    // Messages loaded but still reading back: conversations wait, and the fallback does not start them either.
    expect(startable(front, chain, loaded, started, 2, proof(['contacts']))).toEqual([]);
    expect(startable(front, chain, loaded, started, 2, proof(['contacts', 'messages']))).toEqual(['conversations']);
    // Without proof waits (phases started before), loaded is enough.
    expect(startable(front, chain, loaded, started, 2)).toEqual(['conversations']);
  });

  it('loads one object after another in the order written when a phase names no prerequisites', () => {
    const chain = declaredOrder(objects);
    expect(chain).toEqual({ accounts: [], products: ['accounts'], contacts: ['products'], deals: ['contacts'] });
    expect(startable(objects, chain, new Set(), new Set(), 2)).toEqual(['accounts']);
    expect(startable(objects, chain, new Set(['accounts']), new Set(['accounts']), 2)).toEqual(['products']);
  });
});

describe('a bounded pool', () => {
  it('runs at most `limit` tasks at once, every item once', async () => {
    let open = 0;
    let most = 0;
    const seen: number[] = [];
    await boundedEach([1, 2, 3, 4, 5], 2, async (item) => {
      open++;
      most = Math.max(most, open);
      await Promise.resolve();
      await Promise.resolve();
      seen.push(item);
      open--;
    });
    expect(most).toBe(2);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('starts nothing more after a failure, waits for the started ones, then throws the first failure', async () => {
    const ended: number[] = [];
    const run = boundedEach([1, 2, 3, 4], 2, async (item) => {
      if (item === 1) throw new Error('one failed');
      await Promise.resolve();
      ended.push(item);
    });
    await expect(run).rejects.toThrow('one failed');
    expect(ended).toEqual([2]);
  });
});

describe('the prerequisites a plan gives its objects', () => {
  const plan = (kind: 'postgres' | 'attio') =>
    parsePlan(
      `version: 1
name: order
source: { kind: csv, directory: data }
target: ${kind === 'postgres' ? '{ kind: postgres, schema: s }' : '{ kind: attio, baseUrl: "https://api.attio.com", credentials: { kind: bearer, tokenEnv: ATTIO_TOKEN } }'}
objects:
  - name: companies
    source: { file: companies.csv, id: id }
    target: { ${kind === 'postgres' ? 'table' : 'resource'}: companies, key: id }
    fields: [{ from: id, to: id }]
  - name: tags
    source: { file: tags.csv, id: id }
    target: { ${kind === 'postgres' ? 'table' : 'resource'}: tags, key: id }
    fields: [{ from: id, to: id }]
  - name: people
    source: { file: people.csv, id: id }
    target: { ${kind === 'postgres' ? 'table' : 'resource'}: people, key: id }
    fields:
      - { from: id, to: id }
      - { from: company_id, to: company, transform: [{ reference: { object: companies } }] }
`,
      path.join('/plans', 'plan.yaml'),
    ).plan;

  it('into a database: the objects each one references, nothing for the others', () => {
    expect(objectPrerequisites(plan('postgres'))).toEqual({ companies: [], tags: [], people: ['companies'] });
  });

  it('into a SaaS target: the object declared before', () => {
    expect(objectPrerequisites(plan('attio'))).toEqual({ companies: [], tags: ['companies'], people: ['tags'] });
  });

  it("into Front: conversations wait for the messages' read-back, which learns each thread's conversation", () => {
    const front = loadPlanFile(path.join(__dirname, '../../examples/zendesk-to-front.yaml')).plan;
    expect(objectProofPrerequisites(front)).toEqual({
      contacts: [],
      messages: [],
      conversations: ['messages'],
      notes: [],
      templates: [],
    });
    expect(objectProofPrerequisites(plan('attio'))).toEqual({});
  });
});
