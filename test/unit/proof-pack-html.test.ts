import { renderProofPackHtml } from '../../report/html/page';
import { grouped } from '../../report/html/markup';
import { proofPackHash, type ProofPack } from '../../report/model';
import { mergedObjectProof, proofPackFixture, withMergedObject } from '../support/proof-pack-fixture';

/** The value at a dotted path of the pack (`phases.0.objects.1.loaded`). */
function valueAt(pack: ProofPack, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], pack);
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** Every element that shows a value of the pack: its path and its text. */
function shownValues(html: string): { path: string; text: string }[] {
  return [...html.matchAll(/<span class="[^"]*" data-path="([^"]+)">([^<]*)<\/span>/g)].map((m) => ({
    path: unescape(m[1]!),
    text: unescape(m[2]!),
  }));
}

describe('the proof pack page', () => {
  it('shows every value it tags exactly as the pack holds it, numbers grouped', () => {
    const pack = proofPackFixture();
    const shown = shownValues(renderProofPackHtml(pack));
    expect(shown.length).toBeGreaterThan(80);
    for (const { path, text } of shown) {
      const value = valueAt(pack, path);
      expect({ path, text }).toEqual({ path, text: typeof value === 'number' ? grouped(value) : value });
    }
    const paths = new Set(shown.map((s) => s.path));
    // The proofs' figures, the money line's every term and the content hash are all on the page.
    for (const key of ['source', 'loaded', 'quarantined', 'filtered', 'deduplicated', 'checksumMismatches'])
      expect(paths).toContain(`phases.0.objects.0.${key}`);
    for (const term of ['legacy', 'new', 'loaded', 'quarantined', 'filtered', 'deduplicated', 'unaccounted'])
      expect(paths).toContain(`phases.0.objects.1.sums.amount.${term}`);
    expect(paths).toContain('phases.0.objects.1.sums.amount.notNumbers.0.count');
    expect(paths).toContain('contentHash');
    expect(shown.find((s) => s.path === 'phases.0.objects.0.source')!.text).toBe('12,345');
  });

  it('escapes every value: markup in a name, an id or a reason is shown as text', () => {
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const pack = proofPackFixture((p) => {
      p.migration.name = hostile;
      p.quarantine.groups[0]!.examples[0]!.sourceId = `"><b>${hostile}`;
      p.quarantine.groups[0]!.reason = hostile;
      p.fieldMap[0]!.fields[0]!.transforms = [hostile];
      p.approvals[0]!.reason = hostile;
      p.preferences!.objects[0]!.fields[0]!.picklist![0]!.value = hostile;
    });
    const html = renderProofPackHtml(pack);
    expect(html).not.toMatch(/<script|<img|<b>|<[^>]*onerror/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(shownValues(html).filter((s) => s.text === hostile).length).toBeGreaterThanOrEqual(4);
  });

  it('needs nothing from outside: no script, no external source, link or stylesheet, and a policy that forbids them', () => {
    const html = renderProofPackHtml(proofPackFixture());
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<embed|@import/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => m[1]!.startsWith('#'))).toBe(true);
    expect([...html.matchAll(/url\(([^)]*)\)/g)].every((m) => m[1]!.startsWith('#'))).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toMatch(/@page \{ size: A4;/);
  });

  it('prints its content hash in the sign-off block, with lines for name, date and signature', () => {
    const pack = proofPackFixture();
    const html = renderProofPackHtml(pack);
    const signOff = html.slice(html.indexOf('<section id="sign-off">'));
    expect(signOff).toContain(pack.contentHash);
    expect(signOff.match(/class="line[^"]*">(name|date|signature)</g)).toHaveLength(6);
  });

  it('leaves record content out unless asked: examples give source id and field, never the message or the record', () => {
    const withheld = renderProofPackHtml(proofPackFixture());
    expect(withheld).toContain('a-1');
    expect(withheld).not.toContain('<th>message</th>');
    const included = renderProofPackHtml(
      proofPackFixture((p) => {
        p.includeValues = true;
        p.quarantine.groups[0]!.examples[0] = {
          ...p.quarantine.groups[0]!.examples[0]!,
          message: 'name "" is required',
          raw: { id: 'a-1', name: '' },
        };
      }),
    );
    expect(included).toContain('<th>message</th>');
    expect(included).toContain('{&quot;id&quot;:&quot;a-1&quot;,&quot;name&quot;:&quot;&quot;}');
  });

  it('draws each object’s field map: every legacy field, transform and new field, in order', () => {
    const html = renderProofPackHtml(proofPackFixture());
    const map = html.slice(html.indexOf('<section id="field-map">'), html.indexOf('<section id="quarantine">'));
    const texts = [...map.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]!));
    expect(texts).toEqual(
      expect.arrayContaining([
        'id',
        'trim',
        'required',
        'legacy_id',
        'status',
        'stage',
        '(no source)',
        'default("open")',
      ]),
    );
    expect(texts.indexOf('collapse_whitespace')).toBeLessThan(
      texts.indexOf('picklist(6 options, 68 aliases, unmapped→quarantine)'),
    );
    expect(map).toContain('as is');
  });
});

/** The proof block of one object on the page. */
function proofBlock(html: string, object: string): string {
  const start = html.indexOf(`<article class="proof" data-object="${object}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</article>', start) + '</article>'.length);
}

describe('a merged object in the proof pack', () => {
  it('shows its proof per source: each source’s equation, the groups, the sums source by source, as the pack holds them', () => {
    const pack = proofPackFixture(withMergedObject);
    const html = renderProofPackHtml(pack);
    const shown = shownValues(html);
    for (const { path, text } of shown) {
      const value = valueAt(pack, path);
      expect({ path, text }).toEqual({ path, text: typeof value === 'number' ? grouped(value) : value });
    }
    const paths = new Set(shown.map((s) => s.path));
    const m = 'phases.0.objects.2.merge';
    for (const i of [0, 1])
      for (const key of [
        'source',
        'read',
        'survivors',
        'mergedInto',
        'quarantined',
        'filtered',
        'deleted',
        'unaccounted',
      ])
        expect(paths).toContain(`${m}.sources.${i}.${key}`);
    for (const key of ['merged', 'mergedRecords', 'review', 'reviewRecords', 'rejected', 'single'])
      expect(paths).toContain(`${m}.groups.${key}`);
    for (const key of [
      'single.bySource.hub',
      'single.bySource.legacy',
      'single.total',
      'single.merged',
      'merged.groups',
      'merged.bySource.hub',
      'merged.bySource.legacy',
      'merged.outcome',
    ])
      expect(paths).toContain(`${m}.sums.revenue.${key}`);
    const block = proofBlock(html, 'companies');
    const text = unescape(block.replace(/<[^>]+>/g, ''));
    expect(text).toContain('Per source ✓ holds');
    expect(text).toContain(
      'Sum(revenue), records not merged: hub 200 + legacy 75 = 275 == Sum(new) 275 in the target ✓ holds',
    );
    expect(text).toContain('Sum(revenue), 2 merged group(s): hub 150.50, legacy 180 → 170 by the survivorship rules');
    expect(text).toContain('1 group(s) of 3 records awaiting a merge review decision');
    // The pack's JSON carries the per-source proof as staging stored it.
    expect((JSON.parse(JSON.stringify(pack)) as ProofPack).phases[0]!.objects[2]!.merge).toEqual(
      mergedObjectProof().merge,
    );
  });

  it('marks a source whose records are not all accounted for, and single sums that differ from the target', () => {
    const pack = proofPackFixture((p) => {
      withMergedObject(p);
      const merge = p.phases[0]!.objects[2]!.merge!;
      merge.sources[1] = { ...merge.sources[1]!, read: 8, unaccounted: 2 };
      merge.sums.revenue!.single = { ...merge.sums.revenue!.single, merged: '270', ok: false };
      merge.ok = false;
      p.phases[0]!.objects[2]!.ok = false;
    });
    const text = unescape(proofBlock(renderProofPackHtml(pack), 'companies').replace(/<[^>]+>/g, ''));
    expect(text).toContain('Per source ✗ fails');
    expect(text).toContain('legacy8123002✗ fails');
    expect(text).toContain('= 275 != Sum(new) 270 in the target ✗ fails');
    expect(pack.verdict.failures).toEqual(['the full proof of companies does not hold']);
  });

  it('escapes its source and field names', () => {
    const hostile = '<script>alert("x")</script>';
    const pack = proofPackFixture((p) => {
      withMergedObject(p);
      const merge = p.phases[0]!.objects[2]!.merge!;
      merge.sources[0]!.source = hostile;
      merge.sums[hostile] = merge.sums.revenue!;
      merge.sums.revenue!.single.bySource = { [hostile]: '200', legacy: '75' };
    });
    const html = renderProofPackHtml(pack);
    expect(html).not.toMatch(/<script/i);
    expect(proofBlock(html, 'companies')).toContain('Sum(&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;)');
  });

  it('lists its records under review as awaiting a merge review decision, the reason code beside it', () => {
    const html = renderProofPackHtml(proofPackFixture(withMergedObject));
    const quarantine = html.slice(html.indexOf('<section id="quarantine">'), html.indexOf('<section id="conflicts">'));
    expect(quarantine).toContain(
      'companies · awaiting a merge review decision <span class="muted">(<span class="t" data-path="quarantine.groups.2.reason">merge_review_pending</span>)</span>',
    );
    expect(quarantine).toContain('>companies · awaiting a merge review decision</text>');
    // Other reasons read as their code, as before.
    expect(quarantine).toContain(
      'accounts · <span class="t" data-path="quarantine.groups.0.reason">required_missing</span>',
    );
  });

  it('leaves a one-source object’s proof and the pack of a one-source migration as they were', () => {
    const plain = proofPackFixture();
    // The content hash a sign-off of this pack cites is the one it had before merged objects existed.
    expect(plain.contentHash).toBe('1e879f03af5ca0f4e53649b5a4117c3f0db3b4c165023ea5724f116b65a1653e');
    for (const o of plain.phases[0]!.objects) expect(Object.keys(o)).not.toContain('merge');
    const withMerged = renderProofPackHtml(proofPackFixture(withMergedObject));
    const before = renderProofPackHtml(plain);
    for (const object of ['accounts', 'deals']) {
      expect(proofBlock(withMerged, object)).toBe(proofBlock(before, object));
      expect(proofBlock(before, object)).not.toContain('per-source');
    }
    expect(before).not.toContain('Per source');
  });
});

describe('the proof pack content hash', () => {
  it('is the same for the same content built at another time, and differs when a figure differs', () => {
    const a = proofPackFixture();
    const b = proofPackFixture((p) => (p.generatedAt = '2030-01-01T00:00:00.000Z'));
    const c = proofPackFixture((p) => (p.phases[0]!.objects[0]!.loaded -= 1));
    expect(b.contentHash).toBe(a.contentHash);
    expect(c.contentHash).not.toBe(a.contentHash);
    expect(proofPackHash(a)).toBe(a.contentHash);
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the proof pack verdict', () => {
  it('fails on a proof that does not hold and on a broken custody chain; a later rollback, open quarantine and conflicts are to accept', () => {
    const clean = proofPackFixture();
    expect(clean.verdict).toEqual({
      ok: true,
      failures: [],
      toAccept: [
        'the target was rolled back after these proofs (2026-11-25 11:31:00 UTC): they prove the load as it was before the rollback',
        '55 record(s) quarantined and not moved (by reason below)',
        '1 open conflict(s): target rows edited after Tern wrote them, kept by policy',
      ],
    });
    // Proven again after the rollback (a new load): nothing to say about it.
    const reloaded = proofPackFixture((p) => (p.phases[0]!.objects[1]!.provenAt = '2026-11-25T12:00:00.000Z'));
    expect(reloaded.verdict.toAccept).toHaveLength(2);
    const broken = proofPackFixture((p) => {
      p.phases[0]!.objects[1]!.ok = false;
      p.custody.verification = {
        ...p.custody.verification,
        ok: false,
        broken: { seq: 12, id: 9012, action: 'records.written', at: null, problem: 'it was edited' },
      };
    });
    expect(broken.verdict.ok).toBe(false);
    expect(broken.verdict.failures).toEqual([
      'the full proof of deals does not hold',
      'the custody chain is broken at entry #12: it was edited',
    ]);
    const html = renderProofPackHtml(broken);
    expect(html).toContain('class="verdict bad"');
    expect(html).toContain('✗ broken');
  });
});
