import { describe, expect, it } from 'vitest';
import { checkBudgets, type BudgetState } from './check.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const budget = (overrides: Partial<BudgetState>): BudgetState => ({
  id: 'b1', name: 'monthly', scope: 'project', scopeValue: null, period: 'month', timeZone: 'UTC', amountUsd: 100,
  thresholds: [0.5, 0.8, 1], hardLimit: false, failMode: 'open', periodStart: '2026-12-01T00:00:00Z', periodEnd: '2027-01-01T00:00:00Z',
  spentUsd: 0, ...overrides,
});

describe('checkBudgets', () => {
  it('allows a call under every budget, and says what is left and when the period ends', () => {
    const check = checkBudgets([budget({ spentUsd: 30.1 }), budget({ id: 'b2', scope: 'agent', scopeValue: 'agent-1', amountUsd: 10, spentUsd: 9.9, period: 'day', periodEnd: '2026-12-02T00:00:00Z' })], { agentId: 'agent-1' }, NOW, 'fresh');
    expect(check).toMatchObject({ allowed: true, remainingUsd: 0.1, periodEndsAt: '2026-12-02T00:00:00Z', degraded: null });
    expect(check.budgets.map((b) => [b.id, b.utilization, b.thresholdsCrossed])).toEqual([['b1', 0.301, []], ['b2', 0.99, [0.5, 0.8]]]);
  });

  it('refuses once a hard-limited budget is spent, and only counts budgets that apply', () => {
    const states = [budget({ scope: 'model', scopeValue: 'gpt-4o', hardLimit: true, spentUsd: 100 }), budget({ id: 'b2', spentUsd: 20 })];
    expect(checkBudgets(states, { model: 'gpt-4o' }, NOW, 'fresh')).toMatchObject({ allowed: false, remainingUsd: 0 });
    expect(checkBudgets(states, { model: 'gpt-4o-mini' }, NOW, 'fresh')).toMatchObject({ allowed: true, remainingUsd: 80 });
    // A soft budget past its amount warns (exceeded) but does not refuse.
    expect(checkBudgets([budget({ spentUsd: 150 })], {}, NOW, 'fresh')).toMatchObject({ allowed: true, remainingUsd: 0, budgets: [{ exceeded: true, blocking: false }] });
  });

  it('fails open without data, and closed only for budgets that ask to while the database is unreachable', () => {
    expect(checkBudgets([], {}, NOW, 'unknown')).toEqual({ allowed: true, remainingUsd: null, periodEndsAt: null, budgets: [], degraded: { reason: 'budgets_unavailable' } });
    expect(checkBudgets([budget({ spentUsd: 1 })], {}, NOW, 'stale')).toMatchObject({ allowed: true, degraded: { reason: 'database_unavailable' } });
    expect(checkBudgets([budget({ spentUsd: 1, failMode: 'closed' })], {}, NOW, 'stale')).toMatchObject({ allowed: false, degraded: { reason: 'database_unavailable' } });
    expect(checkBudgets([budget({ spentUsd: 1, failMode: 'closed' })], {}, NOW, 'fresh')).toMatchObject({ allowed: true, degraded: null });
  });

  it('counts a copy from a period that has ended as nothing spent in the next one', () => {
    const ended = budget({ hardLimit: true, spentUsd: 100, periodEnd: '2026-12-01T00:00:00Z' });
    expect(checkBudgets([ended], {}, NOW, 'fresh')).toMatchObject({ allowed: true, remainingUsd: 100, budgets: [{ spentUsd: 0, exceeded: false }] });
  });

  it('answers with no budgets at all as allowed with nothing to report', () => {
    expect(checkBudgets([], { agentId: 'x' }, NOW, 'fresh')).toEqual({ allowed: true, remainingUsd: null, periodEndsAt: null, budgets: [], degraded: null });
  });
});
