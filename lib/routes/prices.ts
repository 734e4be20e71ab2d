import { CACHE_POLICIES, cacheKey } from '../cache/index.js';
import { notFound } from '../errors.js';
import { defineRoute, json, parseBody, parseParams, parseQuery, type RouteContext } from '../http/index.js';
import { createPriceIndex, priceFromView, priceView, type PriceIndex, type PriceView } from '../pricing/index.js';
import { PricesQuery, ProjectParams, ReplacePricesBody, type PriceBodyT } from '../schemas/index.js';
import type { ModelPriceInput } from '../db/types.js';
import { respondCached } from './cached.js';
import { runWrite } from './idempotent.js';
import { present } from './present.js';

/** The body of GET /api/iris/prices, which is also what ingest prices runs from: one cached value for both. */
interface PricesBody {
  projectId: string;
  prices: PriceView[];
}

async function loadPrices(c: RouteContext, projectId: string): Promise<PricesBody> {
  const rows = await c.get('services').db.rpc('list_model_prices', { p_project_id: projectId });
  return { projectId, prices: rows.map(priceView) };
}

const decodeIndex = (value: string): PriceIndex => createPriceIndex((JSON.parse(value) as PricesBody).prices.map(priceFromView));

/**
 * The price index of the key's project, for ingest: decoded once per cached
 * copy of its price table (the L1 entry keeps it), so a batch costs one map
 * lookup per model, not a database round trip.
 */
export async function projectPriceIndex(c: RouteContext): Promise<PriceIndex> {
  const { cache } = c.get('services');
  const projectId = c.get('project').id;
  const key = cacheKey(projectId, 'prices', {});
  const known = cache.peekDecoded(key, decodeIndex);
  if (known) return known;
  const result = await cache.getOrCompute(key, async () => JSON.stringify(await loadPrices(c, projectId)), { policy: CACHE_POLICIES.prices });
  return cache.peekDecoded(key, decodeIndex) ?? decodeIndex(result.value);
}

/** GET /api/iris/prices: Iris's default prices merged with the project's own (which win), every effective date. */
export const pricesRoute = defineRoute({
  path: '/api/iris/prices',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, PricesQuery);
      const projectId = c.get('project').id;
      return respondCached(c, 'prices', {}, () => loadPrices(c, projectId));
    },
  },
});

/** GET /api/iris/prices/unknown-models: models of the project's runs that no price matched, with their run counts. */
export const unknownModelsRoute = defineRoute({
  path: '/api/iris/prices/unknown-models',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, PricesQuery);
      const projectId = c.get('project').id;
      return respondCached(c, 'stats', { fn: 'unknown_models' }, async () => {
        const rows = await c.get('services').db.rpc('list_unknown_models', { p_project_id: projectId });
        return { projectId, data: rows.map((r) => present(r)) };
      });
    },
  },
});

function toPriceInput(p: PriceBodyT): ModelPriceInput {
  return {
    model: p.model,
    aliases: p.aliases,
    pattern: p.pattern ?? null,
    ...(p.effectiveFrom === undefined ? {} : { effective_from: new Date(p.effectiveFrom).toISOString() }),
    input_per_mtok: p.inputPerMtok,
    output_per_mtok: p.outputPerMtok,
    cache_read_per_mtok: p.cacheReadPerMtok ?? null,
    cache_write_per_mtok: p.cacheWritePerMtok ?? null,
    reasoning_per_mtok: p.reasoningPerMtok ?? null,
    tiers: p.tiers,
  };
}

/**
 * PUT /api/admin/projects/{id}/prices: replaces the project's own prices
 * (admin token). Runs ingested afterwards are priced with them; runs already
 * stored keep their cost.
 */
export const adminProjectPricesRoute = defineRoute({
  path: '/api/admin/projects/:id/prices',
  access: 'admin',
  methods: {
    PUT: async (c) => {
      const { id } = parseParams(c, ProjectParams);
      const body = await parseBody(c, ReplacePricesBody);
      const { db, cache } = c.get('services');
      const [project] = await db.rpc('get_project', { p_project_id: id });
      if (!project) throw notFound(`No project ${id}.`, 'project_not_found');
      const { rows } = await runWrite(c, { rpc: 'replace_project_prices', args: { p_project_id: id, p_prices: body.prices.map(toPriceInput) }, body });
      // Every instance prices the next batch with the new table.
      await cache.bump(id, 'prices');
      return json(c, { projectId: id, prices: rows.map(priceView) });
    },
  },
});
