import { z } from 'zod';

/**
 * The go-live runbook, in the order it runs: announce the freeze, wait until the source is frozen, load the final
 * delta, reconcile the whole target, wait for the sign-off, wait for go or no-go; roll back (and prove it) on a
 * no-go or a failed reconciliation. The order is Tern's; a plan sets each step's deadline.
 */
export const CUTOVER_STEPS = ['announce', 'freeze', 'delta', 'reconcile', 'signoff', 'decision', 'rollback'] as const;
export type CutoverStepName = (typeof CUTOVER_STEPS)[number];

/** A week: no step of a go-live weekend is planned past it. */
const MAX_MINUTES = 7 * 24 * 60;
const minutes = z.number().positive().max(MAX_MINUTES);

export const cutoverStepSchema = z
  .strictObject({
    step: z.enum(CUTOVER_STEPS),
    /** Minutes the step may take once the step before is due: its deadline is that one's plus these. */
    minutes: minutes.optional(),
    /** The step's deadline in minutes from the cutover's start (the minute-by-minute timeline). */
    deadline: minutes.optional(),
  })
  .refine((s) => (s.minutes === undefined) !== (s.deadline === undefined), {
    message: 'give a step either `minutes` (how long it may take) or `deadline` (minutes from the start), not both',
  });

/**
 * The plan's `cutover` section: the go-live timeline. Steps it leaves out take their estimate (from the last sample,
 * full and rollback measured in staging) or Tern's default. Fractions of a minute are allowed (a rehearsal).
 */
export const cutoverSchema = z.strictObject({
  /** What the freeze announcement says (recorded in the audit log with the timeline). */
  announcement: z.string().trim().min(1).max(500).optional(),
  steps: z
    .array(cutoverStepSchema)
    .default([])
    .superRefine((steps, ctx) => {
      const order = steps.map((s) => CUTOVER_STEPS.indexOf(s.step));
      order.forEach((position, i) => {
        if (i > 0 && position <= order[i - 1]!)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'step'],
            message: `steps run in the runbook's order (${CUTOVER_STEPS.join(' → ')}), each once: ${steps[i]!.step} is out of place`,
          });
      });
      let last = 0;
      steps.forEach((s, i) => {
        if (s.deadline === undefined) return;
        if (s.deadline <= last)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'deadline'],
            message: `deadlines grow along the runbook: ${s.step}'s ${s.deadline} is not after the step before's ${last}`,
          });
        last = s.deadline;
      });
    }),
});

export type CutoverPlan = z.output<typeof cutoverSchema>;
export type CutoverStepPlan = z.output<typeof cutoverStepSchema>;
