import type { BudgetState } from './check.js';

/**
 * Budget-check answers kept ready to send. The check is a hot path (agents
 * call it before every LLM call), and most of its cost, once the budgets are
 * in memory, is validating the query and serializing the answer, though both
 * only change when the budgets do: so the serialized answer is kept with the
 * copy of the budgets it was computed from, by the raw query string that
 * asked for it. A new copy (a refresh, a bump after a write or a crossing)
 * is a new array and starts empty; the old one's answers go with it (weakly
 * held). An answer stays valid until the earliest end of the periods it
 * covers, when spend starts again from zero.
 */
export interface CheckAnswer {
  /** The JSON body sent. */
  body: string;
  allowed: boolean;
  /** Epoch ms from which it must be computed again. */
  validUntilMs: number;
}

export interface CheckAnswersOptions {
  /**
   * Query strings kept per copy of a project's budgets; the oldest goes
   * first. Queries are client input, so this bounds the memory a client can
   * make one copy hold (with `maxQueryLength`). @default 256
   */
  maxQueries?: number;
  /** Longer query strings are answered but never kept. @default 512 */
  maxQueryLength?: number;
}

export interface CheckAnswers {
  get(states: readonly BudgetState[], query: string, nowMs: number): CheckAnswer | undefined;
  set(states: readonly BudgetState[], query: string, answer: CheckAnswer): void;
}

export function createCheckAnswers(options: CheckAnswersOptions = {}): CheckAnswers {
  const maxQueries = options.maxQueries ?? 256;
  const maxQueryLength = options.maxQueryLength ?? 512;
  const byCopy = new WeakMap<readonly BudgetState[], Map<string, CheckAnswer>>();
  return {
    get(states, query, nowMs) {
      const answer = byCopy.get(states)?.get(query);
      return answer !== undefined && nowMs < answer.validUntilMs ? answer : undefined;
    },
    set(states, query, answer) {
      if (query.length > maxQueryLength) return;
      let answers = byCopy.get(states);
      if (answers === undefined) byCopy.set(states, (answers = new Map()));
      answers.delete(query);
      if (answers.size >= maxQueries) answers.delete(answers.keys().next().value!);
      answers.set(query, answer);
    },
  };
}

/** When an answer covering these budgets stops being valid: the earliest end of their periods. */
export function answerValidUntil(budgets: readonly { periodEnd: string }[]): number {
  let until = Number.POSITIVE_INFINITY;
  for (const b of budgets) until = Math.min(until, Date.parse(b.periodEnd));
  return until;
}
