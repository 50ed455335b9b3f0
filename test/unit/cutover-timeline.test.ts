import fs from 'node:fs';
import YAML from 'yaml';
import {
  cutoverTimeline,
  DEFAULT_STEP_MINUTES,
  formatOffset,
  formatTimeline,
  stepDeadlineSeconds,
} from '../../plan/cutover';
import { cutoverSchema } from '../../plan/cutover-schema';
import { planSchema } from '../../plan/schema';

const parse = (input: unknown) => cutoverSchema.parse(input);

describe('the cutover timeline', () => {
  it('without a cutover section, every step takes its default, one after another', () => {
    const timeline = cutoverTimeline(undefined);
    expect(timeline.map((t) => t.step)).toEqual([
      'announce',
      'freeze',
      'delta',
      'reconcile',
      'signoff',
      'decision',
      'rollback',
    ]);
    let at = 0;
    for (const t of timeline) {
      expect(t).toMatchObject({ startMinute: at, deadlineMinute: at + DEFAULT_STEP_MINUTES[t.step], basis: 'default' });
      at = t.deadlineMinute;
    }
    expect(timeline.find((t) => t.step === 'rollback')!.contingency).toBe(true);
  });

  it('takes a deadline from the start as it is, and minutes after the step before', () => {
    const timeline = cutoverTimeline(
      parse({
        steps: [
          { step: 'freeze', deadline: 30 },
          { step: 'delta', minutes: 45 },
          { step: 'signoff', deadline: 240 },
        ],
      }),
    );
    const by = Object.fromEntries(timeline.map((t) => [t.step, t]));
    expect(by.announce).toMatchObject({ startMinute: 0, deadlineMinute: 15, basis: 'default' });
    expect(by.freeze).toMatchObject({ startMinute: 15, deadlineMinute: 30, basis: 'plan deadline' });
    expect(by.delta).toMatchObject({ startMinute: 30, deadlineMinute: 75, basis: 'plan minutes' });
    expect(by.reconcile).toMatchObject({ startMinute: 75, deadlineMinute: 105, basis: 'default' });
    expect(by.signoff).toMatchObject({ startMinute: 105, deadlineMinute: 240, basis: 'plan deadline' });
  });

  it('uses a measured estimate, rounded up to a minute, where the plan says nothing, and flags one that does not fit', () => {
    const timeline = cutoverTimeline(parse({ steps: [{ step: 'delta', minutes: 10 }] }), {
      delta: { minutes: 25, from: 'last full run' },
      reconcile: { minutes: 0.2, from: 'last full reconciliation' },
    });
    const by = Object.fromEntries(timeline.map((t) => [t.step, t]));
    expect(by.delta).toMatchObject({ basis: 'plan minutes', atRisk: true, estimate: { minutes: 25 } });
    expect(by.reconcile).toMatchObject({ basis: 'estimate', atRisk: false });
    expect(by.reconcile!.deadlineMinute - by.reconcile!.startMinute).toBe(1);
  });

  it('gives the workflow each deadline in seconds, fractions of a minute included', () => {
    const seconds = stepDeadlineSeconds(cutoverTimeline(parse({ steps: [{ step: 'announce', minutes: 0.05 }] })));
    expect(seconds[0]).toEqual({ step: 'announce', seconds: 3 });
    expect(seconds[1]).toEqual({ step: 'freeze', seconds: 3 + 3600 });
  });

  it('prints one line a step with its window and where the deadline comes from', () => {
    const text = formatTimeline('CRM', cutoverTimeline(parse({ steps: [{ step: 'freeze', deadline: 90 }] })));
    expect(text).toMatch(/^cutover timeline of CRM/);
    expect(text).toMatch(/T\+0:15 → T\+1:30\s+freeze\s+source frozen .*plan deadline/);
    expect(text.split('\n')).toHaveLength(9);
    expect(formatOffset(0.05)).toBe('T+0:00:03');
    expect(formatOffset(125)).toBe('T+2:05');
  });

  it('refuses steps out of the runbook order, repeated, with both minutes and a deadline, or deadlines going back', () => {
    const problems = (input: unknown) => {
      const parsed = cutoverSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
    };
    expect(
      problems({
        steps: [
          { step: 'delta', minutes: 5 },
          { step: 'freeze', minutes: 5 },
        ],
      })[0],
    ).toMatch(/runbook's order.*freeze is out of place/);
    expect(
      problems({
        steps: [
          { step: 'delta', minutes: 5 },
          { step: 'delta', minutes: 5 },
        ],
      }),
    ).toHaveLength(1);
    expect(problems({ steps: [{ step: 'delta', minutes: 5, deadline: 9 }] })[0]).toMatch(/either `minutes`/);
    expect(problems({ steps: [{ step: 'delta' }] })[0]).toMatch(/either `minutes`/);
    expect(
      problems({
        steps: [
          { step: 'freeze', deadline: 60 },
          { step: 'delta', deadline: 30 },
        ],
      })[0],
    ).toMatch(/deadlines grow/);
    expect(problems({ steps: [{ step: 'golive', minutes: 5 }] })).toHaveLength(1);
    expect(problems({ steps: [{ step: 'delta', minutes: 0 }] })).toHaveLength(1);
    expect(problems({ steps: [], extra: true })).toHaveLength(1);
  });

  it('is an optional section of the plan: a plan without it parses as before, without the key', () => {
    const plan = YAML.parse(fs.readFileSync('examples/demo-customers.yaml', 'utf8')) as Record<string, unknown>;
    expect('cutover' in planSchema.parse(plan)).toBe(false);
    const withIt = planSchema.parse({ ...plan, cutover: { steps: [{ step: 'freeze', minutes: 30 }] } });
    expect(withIt.cutover).toEqual({ steps: [{ step: 'freeze', minutes: 30 }] });
    expect(planSchema.safeParse({ ...plan, cutover: { steps: [{ step: 'freeze' }] } }).success).toBe(false);
  });
});
