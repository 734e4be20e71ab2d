import type { ModelPrice } from './types.js';

/**
 * Finds the price of `model` at `atMs` in a table of defaults and project
 * overrides. A project's own prices win over the defaults whenever one of them
 * matches. Within each origin, in order:
 *  1. an exact id or alias;
 *  2. the same with a provider prefix removed (`openai/gpt-4o` -> `gpt-4o`);
 *  3. the longest matching pattern (`gpt-4o-mini-*` before `gpt-4o-*`).
 * Of the chosen entry's prices, the one with the latest `effectiveFrom` at or
 * before `atMs` applies: a price change never reaches back to earlier runs.
 * Null when nothing matches (an unknown model).
 */
export function findPrice(table: readonly ModelPrice[], model: string, atMs: number): ModelPrice | null {
  const effective = table.filter((p) => Date.parse(p.effectiveFrom) <= atMs);
  return findIn(effective.filter((p) => p.origin === 'project'), model) ?? findIn(effective.filter((p) => p.origin === 'default'), model);
}

function findIn(prices: readonly ModelPrice[], model: string): ModelPrice | null {
  const slash = model.indexOf('/');
  const names = slash > 0 ? [model, model.slice(slash + 1)] : [model];
  for (const name of names) {
    const exact = latest(prices.filter((p) => p.model === name || p.aliases.includes(name)));
    if (exact) return exact;
  }
  let longest = -1;
  let matching: ModelPrice[] = [];
  for (const p of prices) {
    if (p.pattern === null || !names.some((name) => globMatches(p.pattern!, name))) continue;
    if (p.pattern.length > longest) {
      longest = p.pattern.length;
      matching = [p];
    } else if (p.pattern.length === longest) {
      matching.push(p);
    }
  }
  return latest(matching);
}

/** The price with the latest effectiveFrom. */
function latest(candidates: readonly ModelPrice[]): ModelPrice | null {
  let best: ModelPrice | null = null;
  for (const p of candidates) if (best === null || Date.parse(p.effectiveFrom) > Date.parse(best.effectiveFrom)) best = p;
  return best;
}

const compiled = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else literally; the whole id must match. */
export function globMatches(pattern: string, value: string): boolean {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (compiled.size < 1024) compiled.set(pattern, regex);
  }
  return regex.test(value);
}
