import { coerceToSchema } from '../../sandboxes/core/multipart';
import { GroupIndex, Interner, KeyIndex, SandboxStore } from '../../sandboxes/core/store';
import { attachmentSha256, attachmentStream } from '../../sandboxes/generate/attachments';
import { isoSeconds } from '../../sandboxes/generate/helpdesk';

/** The sandbox store's versions, indexes and views, and the small pieces the helpdesk generator relies on. */

interface Item extends Record<string, unknown> {
  id: string;
  group: string;
  at: number;
  tag?: string;
}

describe('sandbox store', () => {
  test('every set, delete and clear bumps the collection version; a view is rebuilt only then', () => {
    const store = new SandboxStore();
    const items = store.collection<Item>('items');
    expect(store.version('items')).toBe(0);
    items.set('a', { id: 'a', group: 'g', at: 2 });
    items.set('b', { id: 'b', group: 'g', at: 1 });
    expect(store.version('items')).toBe(2);
    let builds = 0;
    const sorted = () =>
      items.view('by-at', (all) => {
        builds += 1;
        return [...all.values()].sort((x, y) => x.at - y.at).map((x) => x.id);
      });
    expect(sorted()).toEqual(['b', 'a']);
    expect(sorted()).toEqual(['b', 'a']);
    expect(builds).toBe(1);
    items.delete('nothing');
    expect(store.version('items')).toBe(2);
    items.delete('b');
    expect(sorted()).toEqual(['a']);
    items.clear();
    expect(sorted()).toEqual([]);
    expect(builds).toBe(3);
    expect(store.version('items')).toBe(4);
  });

  test('a key index is built from what is there and follows later writes, collisions included', () => {
    const store = new SandboxStore();
    const items = store.collection<Item>('items');
    items.set('a', { id: 'a', group: 'g', at: 1, tag: 'x' });
    const byTag = items.index('by-tag', () => new KeyIndex<Item>((i) => i.tag));
    expect(byTag.first('x')).toBe('a');
    items.set('b', { id: 'b', group: 'g', at: 2, tag: 'x' });
    expect(byTag.all('x')).toEqual(['a', 'b']);
    items.set('a', { id: 'a', group: 'g', at: 1, tag: 'y' });
    expect(byTag.all('x')).toEqual(['b']);
    expect(byTag.first('y')).toBe('a');
    items.delete('b');
    expect(byTag.all('x')).toEqual([]);
    // Changed in place, then set again: the old key no longer finds it.
    const a = items.get('a')!;
    a.tag = 'z';
    items.set('a', a);
    expect(byTag.find('y', (k) => items.get(k))).toBeUndefined();
    expect(byTag.find('z', (k) => items.get(k))).toBe(a);
    items.clear();
    expect(byTag.find('z', (k) => items.get(k))).toBeUndefined();
    // The same index object is returned, not rebuilt.
    expect(items.index('by-tag', () => new KeyIndex<Item>(() => undefined))).toBe(byTag);
  });

  test('a group index keeps each group sorted whatever the order of writes', () => {
    const store = new SandboxStore();
    const items = store.collection<Item>('items');
    const groups = items.index(
      'by-group',
      () =>
        new GroupIndex<Item>(
          (i) => i.group,
          (x, y) => x.at - y.at || (x.id < y.id ? -1 : 1),
        ),
    );
    for (const [id, at] of [
      ['c', 3],
      ['a', 1],
      ['d', 3],
      ['b', 2],
    ] as const)
      items.set(id, { id, group: 'g', at });
    items.set('e', { id: 'e', group: 'h', at: 0 });
    expect(groups.of('g').map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    items.set('b', { id: 'b', group: 'h', at: 5 });
    expect(groups.of('g').map((i) => i.id)).toEqual(['a', 'c', 'd']);
    expect(groups.of('h').map((i) => i.id)).toEqual(['e', 'b']);
    items.delete('a');
    expect(groups.of('g').map((i) => i.id)).toEqual(['c', 'd']);
    expect(groups.of('none')).toEqual([]);
  });

  test('sequences move forward only; the interner returns one copy of equal strings', () => {
    const store = new SandboxStore();
    store.advanceSequence('s', 10);
    store.advanceSequence('s', 4);
    expect(store.nextId('s')).toBe(11);
    const interner = new Interner(2);
    const a = interner.intern(['he', 'llo'].join(''));
    expect(interner.intern('hello')).toBe(a);
    interner.intern('one');
    // Full: new strings are returned as they are.
    expect(interner.intern('two')).toBe('two');
  });
});

describe('helpdesk generator pieces', () => {
  test('isoSeconds writes what toISOString does, without milliseconds', () => {
    for (const s of [0, 951_782_400, 1_709_208_000, 1_767_225_599, 4_102_444_800, 1_234_567_890]) {
      expect(isoSeconds(s)).toBe(new Date(s * 1000).toISOString().replace('.000Z', 'Z'));
    }
  });

  test('attachment bytes: exactly `size`, the same for the same id, chunk by chunk as one sha256', async () => {
    const attachment = { id: 360_200_000_123, size: 200_001, content_type: 'image/png' };
    const chunks: Buffer[] = [];
    for await (const chunk of attachmentStream(attachment)) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(200_001);
    expect(all.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(chunks.length).toBeGreaterThan(1);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(all).digest('hex')).toBe(attachmentSha256(attachment));
    const text = { id: 7, size: 100, content_type: 'text/plain' };
    let read = '';
    for await (const chunk of attachmentStream(text)) read += (chunk as Buffer).toString('latin1');
    expect(read).toMatch(/^2021-04-01T09:30:00Z INFO/);
    expect(attachmentSha256({ ...attachment, size: 0 })).toBe(createHash('sha256').digest('hex'));
  });

  test('form values take the types of the JSON schema; what does not convert stays a string', () => {
    const schema = {
      properties: {
        created_at: { type: 'integer' },
        ratio: { type: 'number' },
        to: { type: 'array', items: { type: 'string' } },
        metadata: { $ref: '#/components/schemas/Meta' },
      },
    };
    const meta = { properties: { is_inbound: { type: 'boolean' }, thread_ref: { type: 'string' } } };
    const coerced = coerceToSchema(
      {
        created_at: '1600000000',
        ratio: '0.5',
        to: ['1'],
        metadata: { is_inbound: 'false', thread_ref: '42' },
        x: '1',
      },
      schema,
      () => meta,
    );
    expect(coerced).toEqual({
      created_at: 1600000000,
      ratio: 0.5,
      to: ['1'],
      metadata: { is_inbound: false, thread_ref: '42' },
      x: '1',
    });
    expect(coerceToSchema({ created_at: '12abc', metadata: { is_inbound: 'yes' } }, schema, () => meta)).toEqual({
      created_at: '12abc',
      metadata: { is_inbound: 'yes' },
    });
  });
});
