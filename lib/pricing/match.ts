import type { ModelPrice } from './types.js';

/**
 * Finds the price of a model at a time in a table of defaults and project
 * overrides. A project's own prices win over the defaults whenever one of them
 * matches, directly or through the canonical model a default maps the id to
 * (a project price of `gpt-4o` also prices `gpt-4o-2024-08-06`, which the
 * defaults know as an alias of `gpt-4o`). Within each origin, in order:
 *  1. an exact id or alias;
 *  2. the same with a provider prefix removed (`openai/gpt-4o` -> `gpt-4o`);
 *  3. the longest matching pattern (`gpt-4o-mini-*` before `gpt-4o-*`).
 * Of the chosen entry's prices, the one with the latest `effectiveFrom` at or
 * before the run applies: a price change never reaches back to earlier runs.
 * Null when nothing matches (an unknown model).
 */
export interface PriceIndex {
  find(model: string, atMs: number): ModelPrice | null;
  /** Every price, as given. */
  readonly prices: readonly ModelPrice[];
}

/** Most model names whose candidate prices an index remembers (a batch repeats a few models many times). */
const MAX_REMEMBERED_MODELS = 1000;

interface OriginIndex {
  byName: Map<string, ModelPrice[]>;
  /** Prices with a pattern, longest pattern first. */
  patterned: ModelPrice[];
}

function indexOrigin(prices: readonly ModelPrice[]): OriginIndex {
  const byName = new Map<string, ModelPrice[]>();
  const add = (name: string, p: ModelPrice) => {
    const list = byName.get(name);
    if (list) list.push(p);
    else byName.set(name, [p]);
  };
  for (const p of prices) {
    add(p.model, p);
    for (const alias of p.aliases) if (alias !== p.model) add(alias, p);
  }
  const patterned = prices.filter((p) => p.pattern !== null).sort((a, b) => b.pattern!.length - a.pattern!.length);
  return { byName, patterned };
}

/** The candidates of one origin for a model name, before effective dates: an exact entry's prices, or the longest pattern's. */
function candidatesIn(index: OriginIndex, names: readonly string[]): ModelPrice[] {
  for (const name of names) {
    const exact = index.byName.get(name);
    if (exact) return exact;
  }
  let longest = -1;
  const matching: ModelPrice[] = [];
  for (const p of index.patterned) {
    if (p.pattern!.length < longest) break;
    if (names.some((name) => globMatches(p.pattern!, name))) {
      longest = p.pattern!.length;
      matching.push(p);
    }
  }
  return matching;
}

/** The price with the latest effectiveFrom at or before atMs. */
function effectiveAt(candidates: readonly ModelPrice[], atMs: number): ModelPrice | null {
  let best: ModelPrice | null = null;
  let bestMs = -Infinity;
  for (const p of candidates) {
    const from = Date.parse(p.effectiveFrom);
    if (from <= atMs && from > bestMs) {
      best = p;
      bestMs = from;
    }
  }
  return best;
}

/** An index over a price table, built once per table and shared by every run of a batch. */
export function createPriceIndex(prices: readonly ModelPrice[]): PriceIndex {
  const project = indexOrigin(prices.filter((p) => p.origin === 'project'));
  const defaults = indexOrigin(prices.filter((p) => p.origin === 'default'));
  const remembered = new Map<string, { project: ModelPrice[]; defaults: ModelPrice[]; canonical: ModelPrice[] }>();
  return {
    prices,
    find(model, atMs) {
      let candidates = remembered.get(model);
      if (candidates === undefined) {
        const slash = model.indexOf('/');
        const names = slash > 0 ? [model, model.slice(slash + 1)] : [model];
        const fromDefaults = candidatesIn(defaults, names);
        // The project's price of the canonical model the defaults resolve the id to.
        const canonical = fromDefaults.length > 0 ? (project.byName.get(fromDefaults[0]!.model) ?? []) : [];
        candidates = { project: candidatesIn(project, names), defaults: fromDefaults, canonical };
        if (remembered.size < MAX_REMEMBERED_MODELS) remembered.set(model, candidates);
      }
      // A project price that is not yet effective at the run's time lets the defaults answer.
      return effectiveAt(candidates.project, atMs) ?? effectiveAt(candidates.canonical, atMs) ?? effectiveAt(candidates.defaults, atMs);
    },
  };
}

/** One lookup without keeping an index (tests, one-off checks). */
export function findPrice(table: readonly ModelPrice[], model: string, atMs: number): ModelPrice | null {
  return createPriceIndex(table).find(model, atMs);
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
