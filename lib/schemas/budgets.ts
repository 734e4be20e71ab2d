import { z } from 'zod';
import { identifier, projectIdAssertion, text, uuid } from './common.js';

/** An IANA time zone name (`Europe/Berlin`, `America/Argentina/Buenos_Aires`, `UTC`). */
const timeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/, 'must be an IANA time zone such as UTC or Europe/Berlin')
  .transform((name, ctx) => {
    const canonical = canonicalTimeZone(name);
    if (canonical === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is not a time zone this server knows (IANA names such as UTC or Europe/Berlin)' });
      return z.NEVER;
    }
    return canonical;
  });

/** `name` as the runtime spells it (`europe/berlin` → `Europe/Berlin`), or undefined when its IANA database has no such zone; the database checks again with its own. */
function canonicalTimeZone(name: string): string | undefined {
  try {
    // Case only: an alias keeps its name (Asia/Kolkata is not renamed Asia/Calcutta).
    const resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return undefined;
  }
}

const thresholds = z
  .array(z.number().gt(0).max(10))
  .min(1)
  .max(10)
  .refine((values) => values.every((v, i) => i === 0 || v > values[i - 1]!), { message: 'must be ascending, each once' });

const fields = {
  name: text(200, 1),
  period: z.enum(['day', 'week', 'month']),
  timeZone,
  amountUsd: z.number().gt(0).max(100_000_000),
  /** Fractions of the amount that emit budget.threshold_crossed, ascending. */
  thresholds,
  /** The budget check refuses once spend reaches the amount. */
  hardLimit: z.boolean(),
  /** What the budget check answers for this budget while the database is unreachable. */
  failMode: z.enum(['open', 'closed']),
};

/** POST /api/iris/budgets */
export const CreateBudgetBody = z
  .strictObject({
    ...projectIdAssertion,
    name: fields.name,
    scope: z.enum(['project', 'agent', 'expert', 'model']).default('project'),
    /** The agent, expert or model the budget counts; absent for the project. */
    scopeValue: identifier.optional(),
    period: fields.period,
    timeZone: fields.timeZone.default('UTC'),
    amountUsd: fields.amountUsd,
    thresholds: fields.thresholds.default([0.5, 0.8, 1]),
    hardLimit: fields.hardLimit.default(false),
    failMode: fields.failMode.default('open'),
  })
  .superRefine((b, ctx) => {
    if (b.scope === 'project' && b.scopeValue !== undefined) ctx.addIssue({ code: 'custom', path: ['scopeValue'], message: 'a project budget has no scopeValue' });
    if (b.scope !== 'project' && b.scopeValue === undefined) ctx.addIssue({ code: 'custom', path: ['scopeValue'], message: `a ${b.scope} budget names the ${b.scope}` });
  });
export type CreateBudget = z.output<typeof CreateBudgetBody>;

/** PATCH /api/iris/budgets/{id}: the fields to change (the scope is fixed; delete and create instead). */
export const UpdateBudgetBody = z
  .strictObject({ ...projectIdAssertion, ...z.strictObject(fields).partial().shape })
  .refine((b) => Object.keys(b).some((k) => k !== 'projectId'), { message: 'name at least one field to change' });
export type UpdateBudget = z.output<typeof UpdateBudgetBody>;

export const BudgetParams = z.strictObject({ id: uuid });

export const ListBudgetsQuery = z.strictObject({ ...projectIdAssertion });

/** GET /api/iris/budgets/check: who is about to spend. */
export const BudgetCheckQuery = z.strictObject({
  ...projectIdAssertion,
  agentId: identifier.optional(),
  expertId: identifier.optional(),
  model: identifier.optional(),
});
