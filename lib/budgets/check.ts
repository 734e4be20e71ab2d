/**
 * The budget check (`GET /api/iris/budgets/check`) as a pure function of the
 * project's budget states: agents call it before each LLM call, so the route
 * answers it from a copy in memory, and this decides.
 */

export type BudgetScope = 'project' | 'agent' | 'expert' | 'model';
export type BudgetPeriod = 'day' | 'week' | 'month';

/** One budget with its current period and the spend in it, as budget_status returns it. */
export interface BudgetState {
  id: string;
  name: string;
  scope: BudgetScope;
  /** The agent, expert or model; null for the project. */
  scopeValue: string | null;
  period: BudgetPeriod;
  timeZone: string;
  amountUsd: number;
  /** Fractions of the amount. */
  thresholds: number[];
  hardLimit: boolean;
  failMode: 'open' | 'closed';
  periodStart: string;
  periodEnd: string;
  spentUsd: number;
}

/** Who is about to spend: the check's query. */
export interface CheckSubject {
  agentId?: string | undefined;
  expertId?: string | undefined;
  model?: string | undefined;
}

/**
 * How current the states are: `fresh` (a copy within its TTL, or just read),
 * `stale` (the database could not be reached; the last copy, within its grace
 * window), `unknown` (the database could not be reached and no copy exists).
 */
export type Availability = 'fresh' | 'stale' | 'unknown';

export interface BudgetView extends BudgetState {
  remainingUsd: number;
  /** spent / amount. */
  utilization: number;
  exceeded: boolean;
  thresholdsCrossed: number[];
  /** True when this budget alone would refuse the call. */
  blocking: boolean;
}

export interface BudgetCheck {
  allowed: boolean;
  /** The least remaining amount over the budgets that apply; null when none applies. */
  remainingUsd: number | null;
  /** The earliest end of their current periods; null when none applies. */
  periodEndsAt: string | null;
  budgets: BudgetView[];
  /** Why the answer is not from current data, or null. */
  degraded: null | { reason: 'database_unavailable' | 'budgets_unavailable' };
}

/** A budget applies to the project as a whole, or to the agent, expert or model the subject names. */
export function applies(budget: BudgetState, subject: CheckSubject): boolean {
  switch (budget.scope) {
    case 'project':
      return true;
    case 'agent':
      return subject.agentId === budget.scopeValue;
    case 'expert':
      return subject.expertId === budget.scopeValue;
    case 'model':
      return subject.model === budget.scopeValue;
  }
}

/** Money to the micro-dollar, so 0.1 + 0.2 reads 0.3. */
const usd = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * One budget as the API shows it: what is left, how much is used, which
 * thresholds spend has reached, and whether it would refuse a call now. A
 * copy from a period that has ended counts as the start of the next.
 */
export function viewBudget(b: BudgetState, nowMs: number, availability: Exclude<Availability, 'unknown'>): BudgetView {
  const spent = Date.parse(b.periodEnd) <= nowMs ? 0 : b.spentUsd;
  const exceeded = spent >= b.amountUsd;
  return {
    ...b,
    spentUsd: usd(spent),
    remainingUsd: usd(Math.max(0, b.amountUsd - spent)),
    utilization: Math.round((spent / b.amountUsd) * 1e6) / 1e6,
    exceeded,
    thresholdsCrossed: b.thresholds.filter((t) => spent >= b.amountUsd * t),
    blocking: (b.hardLimit && exceeded) || (availability === 'stale' && b.failMode === 'closed'),
  };
}

/**
 * The answer for `subject`. A hard-limited budget whose spend has reached its
 * amount refuses; while the states are `stale`, a budget that fails closed
 * refuses too; with no states at all the check fails open (the caller counts
 * it). A copy from a period that has ended counts as the start of the next:
 * nothing spent yet.
 */
export function checkBudgets(states: readonly BudgetState[], subject: CheckSubject, nowMs: number, availability: Availability): BudgetCheck {
  if (availability === 'unknown') {
    return { allowed: true, remainingUsd: null, periodEndsAt: null, budgets: [], degraded: { reason: 'budgets_unavailable' } };
  }
  const budgets = states.filter((b) => applies(b, subject)).map((b) => viewBudget(b, nowMs, availability));
  const remaining = budgets.map((b) => b.remainingUsd);
  const ends = budgets.map((b) => b.periodEnd).sort();
  return {
    allowed: !budgets.some((b) => b.blocking),
    remainingUsd: remaining.length > 0 ? Math.min(...remaining) : null,
    periodEndsAt: ends[0] ?? null,
    budgets,
    degraded: availability === 'stale' ? { reason: 'database_unavailable' } : null,
  };
}
