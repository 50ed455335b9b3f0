import fs from 'node:fs';
import path from 'node:path';
import { groupRanges, loadConcurrency, rangeCount, rangesBetween, type LoadRange } from '../../activities/ranges';
import { parsePlan } from '../../plan/load';
import type { ObjectPlan, Plan } from '../../plan/schema';

const example = (file: string, edit: (text: string) => string = (t) => t): Plan => {
  const full = path.join(__dirname, '../../examples', file);
  return parsePlan(edit(fs.readFileSync(full, 'utf8')), full).plan;
};

/** The same test the pages' SQL makes: after < id (exclusive), id <= until (inclusive). */
const holds = (range: LoadRange, id: string) =>
  (range.after === null || id > range.after) && (range.until === null || id <= range.until);

describe('load ranges', () => {
  it('puts every id in exactly one range, boundaries included', () => {
    const ids = ['', 'a', 'a0', 'b', 'b ', 'c', 'm', 'zz', '\u00e9', '\u{1f600}'];
    for (const boundaries of [[], ['b'], ['a', 'b', 'm'], ['', 'zz']]) {
      const ranges = rangesBetween(boundaries);
      expect(ranges).toHaveLength(boundaries.length + 1);
      for (const id of [...ids, ...boundaries]) expect(ranges.filter((r) => holds(r, id))).toHaveLength(1);
    }
  });

  it('ends each range at its boundary and starts the next after it', () => {
    expect(rangesBetween(['k', 't'])).toEqual([
      { after: null, until: 'k' },
      { after: 'k', until: 't' },
      { after: 't', until: null },
    ]);
    expect(rangesBetween([])).toEqual([{ after: null, until: null }]);
  });

  it('never makes a range of less than one page, and always one', () => {
    expect(rangeCount(4, 10_000, 500)).toBe(4);
    expect(rangeCount(4, 1_200, 500)).toBe(3);
    expect(rangeCount(4, 500, 500)).toBe(1);
    expect(rangeCount(4, 0, 500)).toBe(1);
    expect(rangeCount(1, 1_000_000, 500)).toBe(1);
  });

  it('loads a database target with ranges per core unless the plan says', () => {
    const plan = example('demo-customers.yaml');
    const object = plan.objects[0]!;
    expect(loadConcurrency(plan, object, 2)).toBe(4);
    expect(loadConcurrency(plan, object, 1)).toBe(2);
    expect(loadConcurrency(plan, object, 64)).toBe(8);
    expect(loadConcurrency(plan, { ...object, loadConcurrency: 3 }, 2)).toBe(3);
  });

  it('reads loadConcurrency from the plan and refuses a zero', () => {
    const edit = (n: number) => (t: string) =>
      t.replace('    sums: [lifetime_value]', `    sums: [lifetime_value]\n    loadConcurrency: ${n}`);
    const plan = example('demo-customers.yaml', edit(6));
    expect(plan.objects[0]!.loadConcurrency).toBe(6);
    expect(() => example('demo-customers.yaml', edit(0))).toThrow(/loadConcurrency/);
  });

  it('loads a SaaS target one range at a time unless the plan says', () => {
    const plan = example('zendesk-to-front.yaml');
    for (const object of plan.objects.filter((o) => !['messages', 'notes'].includes(o.name)))
      expect(loadConcurrency(plan, object, 16)).toBe(1);
    expect(loadConcurrency(plan, { ...plan.objects[0]!, loadConcurrency: 2 }, 16)).toBe(2);
  });

  it('loads Front messages in groups of threads when thread_ref is one template, else one range at a time', () => {
    const plan = example('zendesk-to-front.yaml');
    const messages = plan.objects.find((o) => (o.target.resource ?? o.name) === 'messages')!;
    // Two per core, no more than the 4 requests Front lets be in flight.
    expect(loadConcurrency(plan, messages, 16)).toBe(4);
    expect(loadConcurrency(plan, messages, 1)).toBe(2);
    const oneAtATime = { ...plan, target: { ...plan.target, budget: { concurrency: 1 } } } as Plan;
    expect(loadConcurrency(oneAtATime, messages, 16)).toBe(1);
    expect(loadConcurrency(plan, { ...messages, loadConcurrency: 3 }, 16)).toBe(3);
    const lowered: ObjectPlan = {
      ...messages,
      loadConcurrency: 4,
      fields: messages.fields.map((f) =>
        f.to === 'thread_ref' ? { ...f, transform: [...f.transform, 'lowercase' as const] } : f,
      ),
    };
    expect(loadConcurrency(plan, lowered, 16)).toBe(1);
  });

  it('loads Front notes in groups of conversations when conversation_id is a plain reference to the tickets', () => {
    const plan = example('zendesk-to-front.yaml');
    const notes = plan.objects.find((o) => o.name === 'notes')!;
    expect(loadConcurrency(plan, notes, 16)).toBe(4);
    // Tickets deduplicated: a note's reference follows its ticket's survivor, so two tickets share a conversation.
    const deduplicated = {
      ...plan,
      objects: plan.objects.map((o) =>
        o.name === 'conversations'
          ? { ...o, dedupe: { key: ['subject'], survivor: 'first' as const, match: 'all' as const, keyTransforms: {} } }
          : o,
      ),
    } as Plan;
    expect(loadConcurrency(deduplicated, notes, 16)).toBe(1);
    // Every missing ticket's notes would go to one placeholder conversation.
    const placeholder: ObjectPlan = {
      ...notes,
      fields: notes.fields.map((f) =>
        f.to === 'conversation_id'
          ? {
              ...f,
              transform: [{ reference: { object: 'conversations', onMissing: 'placeholder', placeholder: 'cnv_x' } }],
            }
          : f,
      ),
    };
    expect(loadConcurrency(plan, placeholder, 16)).toBe(1);
  });

  it('makes one range per group, each over every source id', () => {
    expect(groupRanges(3)).toEqual([
      { after: null, until: null, group: { index: 0, of: 3 } },
      { after: null, until: null, group: { index: 1, of: 3 } },
      { after: null, until: null, group: { index: 2, of: 3 } },
    ]);
  });

  it('loads an object that references its own records one range at a time', () => {
    const plan = example('demo-customers.yaml');
    const object = plan.objects[0]!;
    const selfReferencing: ObjectPlan = {
      ...object,
      loadConcurrency: 4,
      fields: [
        ...object.fields,
        { ...object.fields[0]!, transform: [{ reference: { object: object.name, onMissing: 'null' } }] },
      ],
    };
    expect(loadConcurrency(plan, selfReferencing, 2)).toBe(1);
  });

  it('loads an object that writes a column the target keeps unique one range at a time: the first record wins', () => {
    const plan = example('demo-customers.yaml');
    const object = { ...plan.objects[0]!, loadConcurrency: 4 };
    const written = object.fields.find((f) => f.to !== object.target.key)!.to;
    expect(loadConcurrency(plan, object, 2, [written])).toBe(1);
    // The key is unique by construction: it never holds the load back.
    expect(loadConcurrency(plan, object, 2, [object.target.key])).toBe(4);
    expect(loadConcurrency(plan, object, 2, ['a_column_the_plan_does_not_write'])).toBe(4);
  });
});
