import { describe, expect, it } from 'vitest';
import { findPrice, globMatches } from './match.js';
import type { ModelPrice } from './types.js';

const entry = (overrides: Partial<ModelPrice>): ModelPrice => ({
  model: 'm', aliases: [], pattern: null, effectiveFrom: '2024-01-01T00:00:00Z', rates: { inputPerMtok: 1, outputPerMtok: 1 }, tiers: [],
  origin: 'default', source: null, readAt: null, ...overrides,
});

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-12-01T00:00:00Z');

const table: ModelPrice[] = [
  entry({ model: 'gpt-4o', aliases: ['gpt-4o-2024-08-06'], pattern: 'gpt-4o-*', rates: { inputPerMtok: 2.5, outputPerMtok: 10 } }),
  entry({ model: 'gpt-4o-mini', pattern: 'gpt-4o-mini-*', rates: { inputPerMtok: 0.15, outputPerMtok: 0.6 } }),
  entry({ model: 'claude-3-5-sonnet', pattern: 'claude-3-5-sonnet-*', rates: { inputPerMtok: 3, outputPerMtok: 15 } }),
  // A price change: from 2025-06-01 the model costs twice as much.
  entry({ model: 'llama-3.1-70b', effectiveFrom: '2024-01-01T00:00:00Z', rates: { inputPerMtok: 0.5, outputPerMtok: 0.5 } }),
  entry({ model: 'llama-3.1-70b', effectiveFrom: '2025-06-01T00:00:00Z', rates: { inputPerMtok: 1, outputPerMtok: 1 } }),
  // A project's negotiated price.
  entry({ model: 'claude-3-5-sonnet', origin: 'project', pattern: null, rates: { inputPerMtok: 2, outputPerMtok: 10 } }),
];

describe('findPrice', () => {
  it.each([
    ['gpt-4o', 'gpt-4o', 2.5],
    ['gpt-4o-2024-08-06', 'gpt-4o', 2.5],
    ['gpt-4o-2024-11-20', 'gpt-4o', 2.5],
    ['gpt-4o-mini', 'gpt-4o-mini', 0.15],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini', 0.15],
    ['openai/gpt-4o-mini', 'gpt-4o-mini', 0.15],
    ['claude-3-5-sonnet', 'claude-3-5-sonnet', 2],
    // The project's price of claude-3-5-sonnet prices its dated snapshots too.
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet', 2],
  ])('prices %s as %s (input %s USD per million)', (model, canonical, input) => {
    const found = findPrice(table, model, NOW);
    expect(found?.model).toBe(canonical);
    expect(found?.rates.inputPerMtok).toBe(input);
  });

  it('answers null for a model it does not know, never a guess', () => {
    expect(findPrice(table, 'gpt-5-turbo', NOW)).toBeNull();
    expect(findPrice(table, 'mistral/gpt-4o-x', NOW)?.model).toBe('gpt-4o');
    expect(findPrice([], 'gpt-4o', NOW)).toBeNull();
  });

  it('applies a price from its effective date on, never to earlier runs', () => {
    expect(findPrice(table, 'llama-3.1-70b', at('2025-05-31T23:59:59Z'))?.rates.inputPerMtok).toBe(0.5);
    expect(findPrice(table, 'llama-3.1-70b', at('2025-06-01T00:00:00Z'))?.rates.inputPerMtok).toBe(1);
    expect(findPrice(table, 'llama-3.1-70b', at('2023-12-31T00:00:00Z'))).toBeNull();
  });

  it('lets a project price win over a default whenever it matches, even a default exact id', () => {
    const project = [...table, entry({ model: 'all-my-openai', origin: 'project', pattern: 'gpt-*', rates: { inputPerMtok: 0.01, outputPerMtok: 0.01 } })];
    expect(findPrice(project, 'gpt-4o-mini', NOW)?.model).toBe('all-my-openai');
    expect(findPrice(project, 'claude-3-5-sonnet-20241022', NOW)?.model).toBe('claude-3-5-sonnet');
  });
});

describe('globMatches', () => {
  it.each([
    ['gpt-4o-*', 'gpt-4o-2024-08-06', true],
    ['gpt-4o-*', 'gpt-4o', false],
    ['*-sonnet-*', 'claude-3-5-sonnet-20241022', true],
    ['gpt-4o.mini', 'gpt-4oXmini', false],
    ['a+b*', 'a+bc', true],
  ])('%s against %s is %s', (pattern, value, matches) => {
    expect(globMatches(pattern, value)).toBe(matches);
  });
});

describe('a project price of a canonical model', () => {
  it('prices every id the defaults map to that model', () => {
    const project = [...table, entry({ model: 'gpt-4o', origin: 'project', rates: { inputPerMtok: 2, outputPerMtok: 8 } })];
    expect(findPrice(project, 'gpt-4o-2024-08-06', NOW)?.rates.inputPerMtok).toBe(2);
    expect(findPrice(project, 'gpt-4o-2025-01-01', NOW)?.rates.inputPerMtok).toBe(2);
    expect(findPrice(project, 'openai/gpt-4o', NOW)?.rates.inputPerMtok).toBe(2);
    // gpt-4o-mini is a model of its own: the project's gpt-4o does not price it.
    expect(findPrice(project, 'gpt-4o-mini', NOW)?.rates.inputPerMtok).toBe(0.15);
  });
});
