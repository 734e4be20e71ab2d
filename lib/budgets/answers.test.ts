import { describe, expect, it } from 'vitest';
import { answerValidUntil, createCheckAnswers } from './answers.js';
import type { BudgetState } from './check.js';

const state = (periodEnd: string): BudgetState => ({
  id: 'b',
  name: 'n',
  scope: 'project',
  scopeValue: null,
  period: 'day',
  timeZone: 'UTC',
  amountUsd: 1,
  thresholds: [1],
  hardLimit: true,
  failMode: 'open',
  periodStart: '2026-12-01T00:00:00.000Z',
  periodEnd,
  spentUsd: 0,
});
const END = '2026-12-02T00:00:00.000Z';
const answer = (body: string) => ({ body, allowed: true, validUntilMs: Date.parse(END) });

describe('createCheckAnswers', () => {
  it('returns the answer kept for the same copy of the budgets and the same query, until it expires', () => {
    const answers = createCheckAnswers();
    const copy = [state(END)];
    answers.set(copy, 'agentId=a', answer('A'));
    expect(answers.get(copy, 'agentId=a', Date.parse(END) - 1)?.body).toBe('A');
    expect(answers.get(copy, 'agentId=a', Date.parse(END))).toBeUndefined();
    expect(answers.get(copy, 'agentId=b', 0)).toBeUndefined();
  });

  it('starts empty for a new copy of the same budgets', () => {
    const answers = createCheckAnswers();
    answers.set([state(END)], 'agentId=a', answer('A'));
    expect(answers.get([state(END)], 'agentId=a', 0)).toBeUndefined();
  });

  it('keeps at most maxQueries per copy, dropping the oldest, and never keeps a long query', () => {
    const answers = createCheckAnswers({ maxQueries: 2, maxQueryLength: 10 });
    const copy = [state(END)];
    for (const q of ['q1', 'q2', 'q3']) answers.set(copy, q, answer(q));
    expect(['q1', 'q2', 'q3'].map((q) => answers.get(copy, q, 0)?.body)).toEqual([undefined, 'q2', 'q3']);
    answers.set(copy, 'x'.repeat(11), answer('long'));
    expect(answers.get(copy, 'x'.repeat(11), 0)).toBeUndefined();
    expect(answers.get(copy, 'q3', 0)?.body).toBe('q3');
  });
});

describe('answerValidUntil', () => {
  it('is the earliest period end, and forever when no budget applies', () => {
    expect(answerValidUntil([{ periodEnd: END }, { periodEnd: '2026-12-01T12:00:00.000Z' }])).toBe(Date.parse('2026-12-01T12:00:00.000Z'));
    expect(answerValidUntil([])).toBe(Number.POSITIVE_INFINITY);
  });
});
