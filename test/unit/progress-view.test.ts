import {
  formatBarLine,
  formatDuration,
  formatProgressLine,
  linesDue,
  viewProgress,
  type ProgressView,
} from '../../scripts/client/progress';
import { newProgress, type ObjectProgress, type PhaseProgress } from '../../workflows/phase-state';
import type { PreferencesProgress } from '../../workflows/preferences';
import type { RollbackProgress } from '../../workflows/rollback';

const phaseProgress = (objects: Partial<ObjectProgress>[], extra: Partial<PhaseProgress> = {}): PhaseProgress => ({
  migrationId: 'mig_x',
  phase: 'full',
  paused: false,
  awaitingApproval: false,
  objects: objects.map((o) => ({ ...newProgress(o.object ?? 'customers', 'waiting'), ...o })),
  ...extra,
});

const rollbackProgress = (
  stage: RollbackProgress['stage'],
  objects: RollbackProgress['objects'],
): RollbackProgress => ({ migrationId: 'mig_x', stage, objects });

describe('progress bars from snapshots of the progress query', () => {
  it('shows an object not counted yet as an unknown total, then its count of the total once prepared', () => {
    const waiting = viewProgress('full', phaseProgress([{ object: 'customers', stage: 'extracting' }]), 0);
    expect(waiting.bars[0]).toMatchObject({ stage: 'extracting', value: 0, total: null, etaSeconds: null });
    expect(formatProgressLine(waiting.bars[0]!)).toBe('customers: extracting, 0 written, 0 quarantined');

    const loading = viewProgress(
      'full',
      phaseProgress([
        { object: 'customers', stage: 'loading', total: 1200, done: 600, written: 590, quarantined: 10, rate: 400 },
      ]),
      1000,
      waiting,
    );
    expect(loading.bars[0]).toMatchObject({ value: 600, total: 1200, rate: 400, finished: false });
    expect(formatProgressLine(loading.bars[0]!)).toBe(
      'customers: loading 600/1,200 (50%), 400 records/s, ETA 2s, 590 written, 10 quarantined',
    );
  });

  it('shows no pace once every record is loaded (reconciling), and rounds a fast rate to whole records', () => {
    const view = viewProgress(
      'full',
      phaseProgress([
        {
          object: 'a',
          stage: 'reconciling',
          total: 19_995,
          done: 19_995,
          written: 19_995,
          rate: 2658.2,
          etaSeconds: 0,
        },
        { object: 'b', stage: 'loading', total: 20_000, done: 400, written: 400, rate: 1123.6, etaSeconds: 18 },
        { object: 'c', stage: 'loading', total: 100, done: 10, written: 10, rate: 2.5, etaSeconds: 36 },
      ]),
      0,
    );
    expect(view.bars.map(formatProgressLine)).toEqual([
      'a: reconciling 19,995/19,995 (100%), 19,995 written, 0 quarantined',
      'b: loading 400/20,000 (2%), 1,124 records/s, ETA 18s, 400 written, 0 quarantined',
      'c: loading 10/100 (10%), 2.5 records/s, ETA 36s, 10 written, 0 quarantined',
    ]);
  });

  it("takes the workflow's rate and ETA (the activities' clocks) over its own measurement", () => {
    const view = viewProgress(
      'full',
      phaseProgress([{ stage: 'loading', total: 10_000, done: 5000, rate: 250, etaSeconds: 20 }]),
      0,
    );
    expect(view.bars[0]).toMatchObject({ rate: 250, etaSeconds: 20 });
  });

  it('measures the rate between snapshots from when the count first moved, not from when the bar appeared', () => {
    const snap = (done: number) => phaseProgress([{ stage: 'loading', total: 1000, done }]);
    let view = viewProgress('full', snap(0), 0);
    // Sixty seconds of waiting (extraction, a gate) do not dilute the rate.
    view = viewProgress('full', snap(0), 60_000, view);
    expect(view.bars[0]!.rate).toBeNull();
    view = viewProgress('full', snap(200), 62_000, view);
    expect(view.bars[0]).toMatchObject({ rate: 100, etaSeconds: 8 });
    view = viewProgress('full', snap(500), 64_000, view);
    // 500 records in the 4 s since the count was last still.
    expect(view.bars[0]).toMatchObject({ rate: 125, etaSeconds: 4 });
  });

  it('shows a finished object full, with no rate and an ETA of zero, even when it had nothing to load', () => {
    const view = viewProgress(
      'full',
      phaseProgress([
        { object: 'customers', stage: 'done', total: 300, done: 300, written: 300, rate: 900 },
        { object: 'empty', stage: 'done', total: 0, done: 0 },
      ]),
      0,
    );
    expect(view.bars.map((b) => [b.object, b.finished, b.total, b.etaSeconds])).toEqual([
      ['customers', true, 300, 0],
      ['empty', true, 0, 0],
    ]);
    expect(formatProgressLine(view.bars[0]!)).toBe('customers: done 300/300 (100%), 300 written, 0 quarantined');
    expect(formatProgressLine(view.bars[1]!)).toBe('empty: done 0/0 (100%), 0 written, 0 quarantined');
    expect(formatBarLine(view.bars[1]!, { width: 4 })).toBe(
      'empty  [████]  0/0 (100%) · done · 0 written, 0 quarantined',
    );
  });

  it('never shows more done than the total (a total counted before late records arrived)', () => {
    const view = viewProgress('full', phaseProgress([{ stage: 'loading', total: 100, done: 130 }]), 0);
    expect(view.bars[0]).toMatchObject({ value: 130, total: 130 });
    expect(formatBarLine(view.bars[0]!, { width: 10 })).toContain('[██████████]  130/130 (100%)');
  });

  it('keeps the bars in the order objects appeared and adds an object a later snapshot brings at the end', () => {
    const first = viewProgress('full', phaseProgress([{ object: 'accounts' }, { object: 'contacts' }]), 0);
    const second = viewProgress(
      'full',
      phaseProgress([{ object: 'deals' }, { object: 'contacts' }, { object: 'accounts', stage: 'loading' }]),
      1000,
      first,
    );
    expect(second.bars.map((b) => b.object)).toEqual(['accounts', 'contacts', 'deals']);
    expect(second.bars[0]!.stage).toBe('loading');
  });

  it('says when the phase is paused, and why, or waits for approval', () => {
    expect(viewProgress('full', phaseProgress([{}], { paused: true, pauseReason: 'vendor window' }), 0).status).toBe(
      'paused: vendor window',
    );
    expect(viewProgress('sample', phaseProgress([{}], { awaitingApproval: true }), 0).status).toBe(
      'awaiting approval (`tern approve`)',
    );
    expect(viewProgress('full', phaseProgress([{}]), 0).status).toBeNull();
  });

  it("counts a rollback's removed and restored records against the ledger rows it has to undo", () => {
    const totals = { contacts: 40, accounts: 10 };
    let view = viewProgress(
      'rollback',
      rollbackProgress('rolling back', [
        { object: 'contacts', deleted: 0, restored: 0, done: false },
        { object: 'accounts', deleted: 0, restored: 0, done: false },
      ]),
      0,
      undefined,
      totals,
    );
    view = viewProgress(
      'rollback',
      rollbackProgress('rolling back', [
        { object: 'contacts', deleted: 15, restored: 5, done: false },
        { object: 'accounts', deleted: 0, restored: 0, done: false },
      ]),
      2000,
      view,
      totals,
    );
    expect(view.status).toBe('stage: rolling back');
    expect(view.bars.map((b) => [b.object, b.stage, b.value, b.total, b.rate, b.etaSeconds])).toEqual([
      ['contacts', 'rolling back', 20, 40, 10, 2],
      ['accounts', 'waiting', 0, 10, null, null],
    ]);
    expect(formatProgressLine(view.bars[0]!)).toBe(
      'contacts: rolling back 20/40 (50%), 10 records/s, ETA 2s, 15 removed, 5 restored',
    );
    const done = viewProgress(
      'rollback',
      rollbackProgress('verifying', [{ object: 'contacts', deleted: 30, restored: 10, done: true }]),
      3000,
      view,
    );
    expect(done.bars[0]).toMatchObject({ stage: 'rolled back', value: 40, total: 40, finished: true, etaSeconds: 0 });
  });

  it('shows a rollback without known totals as a running count', () => {
    const view = viewProgress(
      'rollback',
      rollbackProgress('rolling back', [{ object: 'contacts', deleted: 7, restored: 0, done: false }]),
      0,
    );
    expect(view.bars[0]).toMatchObject({ value: 7, total: null, etaSeconds: null });
    expect(formatBarLine(view.bars[0]!, { width: 4 })).toBe(
      'contacts  [░░░░]  7 · rolling back · 7 removed, 0 restored',
    );
  });

  it("shows the preferences phase as each object's steps: extracted, profiled, dry run", () => {
    const snapshot: PreferencesProgress = {
      migrationId: 'mig_x',
      stage: 'profiling',
      objects: [
        { object: 'accounts', stage: 'profiled', rows: 120 },
        { object: 'deals', stage: 'dry-run done', rows: 80 },
      ],
    };
    const view = viewProgress('preferences', snapshot, 0);
    expect(view.status).toBe('stage: profiling');
    expect(view.bars.map((b) => [b.object, b.value, b.total, b.finished])).toEqual([
      ['accounts', 2, 3, false],
      ['deals', 3, 3, true],
    ]);
    expect(formatProgressLine(view.bars[0]!)).toBe('accounts: profiled step 2/3, 120 rows');
  });
});

describe('plain progress lines', () => {
  const view = (stage: ObjectProgress['stage'], done: number): ProgressView =>
    viewProgress('full', phaseProgress([{ stage, total: 1000, done }]), 0);

  it('prints an object when it first appears and whenever its stage changes', () => {
    expect(linesDue(view('extracting', 0), {}, 0, 10_000)).toHaveLength(1);
    const printed = { customers: { at: 0, stage: 'extracting', value: 0 } };
    expect(linesDue(view('extracting', 0), printed, 500, 10_000)).toHaveLength(0);
    expect(linesDue(view('loading', 0), printed, 500, 10_000)).toHaveLength(1);
  });

  it('prints a moving count again only once the interval has passed, and a still one never', () => {
    const printed = { customers: { at: 0, stage: 'loading', value: 100 } };
    expect(linesDue(view('loading', 400), printed, 9_999, 10_000)).toHaveLength(0);
    expect(linesDue(view('loading', 400), printed, 10_000, 10_000)).toHaveLength(1);
    expect(linesDue(view('loading', 100), printed, 60_000, 10_000)).toHaveLength(0);
  });
});

describe('durations as people read them', () => {
  it.each([
    [0, '0s'],
    [42.4, '42s'],
    [185, '3m05s'],
    [7620, '2h07m'],
    [200_000, '2d07h'],
  ])('%s seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
