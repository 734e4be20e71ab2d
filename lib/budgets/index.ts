export { applies, checkBudgets, viewBudget, type Availability, type BudgetCheck, type BudgetPeriod, type BudgetScope, type BudgetState, type BudgetView, type CheckSubject } from './check.js';
export { answerValidUntil, createCheckAnswers, type CheckAnswer, type CheckAnswers, type CheckAnswersOptions } from './answers.js';
