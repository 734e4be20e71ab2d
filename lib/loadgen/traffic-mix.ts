import { irisPath, type RequestBody } from '../client/index.js';
import type { PreparedRequest, RequestBuilder } from './http-client.js';
import { pick, randomInt, weightedPicker, type Random } from './random.js';

/**
 * The traffic the tools send: Iris's real routes with their right methods and
 * valid bodies, each with a weight.
 */

/** One kind of request in a mix. */
export interface RequestTemplate {
  /** Short name used by `--mix` (`overview=3`). */
  id: string;
  /** Name in reports: method and route template, e.g. `GET /api/iris/overview`. */
  endpoint: string;
  method: 'GET' | 'POST';
  /** Path and query, or a function drawing one per request. */
  path: string | ((random: Random) => string);
  /** A JSON body drawn per request. */
  body?: (random: Random) => string;
  /** Relative share of the traffic; 0 leaves it out. */
  weight: number;
}

/** Experts and models of the demo project (lib/seed/demo.ts), so ingested runs look like the seeded ones. */
const EXPERTS = ['planner', 'code-review', 'sql-generation', 'summarizer', 'triage', 'translation', 'retrieval', 'safety-check'] as const;
const MODELS = [
  { model: 'gpt-4o', latencyMs: 1400, usdPerMtokIn: 2.5, usdPerMtokOut: 10 },
  { model: 'gpt-4o-mini', latencyMs: 650, usdPerMtokIn: 0.15, usdPerMtokOut: 0.6 },
  { model: 'claude-3-5-sonnet', latencyMs: 1900, usdPerMtokIn: 3, usdPerMtokOut: 15 },
  { model: 'claude-3-5-haiku', latencyMs: 800, usdPerMtokIn: 0.8, usdPerMtokOut: 4 },
  { model: 'llama-3.1-70b', latencyMs: 1100, usdPerMtokIn: 0.59, usdPerMtokOut: 0.79 },
] as const;
const ERROR_TYPES = ['timeout', 'rate_limited', 'invalid_output', 'upstream_error'] as const;

/** Largest batch the load test sends in one POST /api/iris/runs. */
export const MAX_LOAD_TEST_BATCH = 50;

/** The `{ runs: [...] }` body of POST /api/iris/runs, as the OpenAPI document types it (lib/client). */
export type RunBatchBody = Extract<RequestBody<'/api/iris/runs', 'post'>, { runs: unknown }>;
/** One run as POST /api/iris/runs accepts it. */
export type RunBody = RunBatchBody['runs'][number];

/** One valid run as POST /api/iris/runs accepts it (lib/schemas/runs.ts). */
export function randomRun(random: Random): RunBody {
  const m = pick(random, MODELS);
  const u = random();
  const outcome = u < 0.06 ? 'failure' : u < 0.085 ? 'partial' : 'success';
  const inputTokens = randomInt(random, 200, 6000);
  const outputTokens = outcome === 'failure' ? randomInt(random, 0, 40) : randomInt(random, 20, 900);
  // A log-normal-ish latency around the model's typical one (sum of uniforms ~ normal).
  const z = (random() + random() + random() - 1.5) * 2;
  const run: RunBody = {
    expertId: pick(random, EXPERTS),
    agentId: `agent-${String(randomInt(random, 1, 12)).padStart(2, '0')}`,
    model: m.model,
    promptVersion: 'v3',
    inputTokens,
    outputTokens,
    costUsd: Math.round(((inputTokens * m.usdPerMtokIn + outputTokens * m.usdPerMtokOut) / 1e6) * 1e6) / 1e6,
    latencyMs: Math.round(m.latencyMs * Math.exp(0.45 * z) * 10) / 10,
    confidence: Math.round((outcome === 'success' ? 0.62 + 0.37 * random() : 0.05 + 0.5 * random()) * 1000) / 1000,
    outcome,
    metadata: { source: 'iris-load-test' },
  };
  if (outcome !== 'success') run.errorType = outcome === 'partial' ? 'truncated_output' : pick(random, ERROR_TYPES);
  return run;
}

/** A `{ runs: [...] }` body of 1 to `maxRuns` valid runs. */
export function randomRunBatch(random: Random, maxRuns = MAX_LOAD_TEST_BATCH): string {
  const n = randomInt(random, 1, maxRuns);
  const body: RunBatchBody = { runs: Array.from({ length: n }, () => randomRun(random)) };
  return JSON.stringify(body);
}

const read = (id: string, path: string, weight: number, route = path.split('?')[0]!): RequestTemplate => ({
  id,
  endpoint: `GET ${route}`,
  method: 'GET',
  path,
  weight,
});

/** The benchmark's standard mix: the dashboard reads, equally weighted. */
export function standardReadMix(): RequestTemplate[] {
  return [
    read('overview', irisPath('/api/iris/overview', 'get'), 1),
    read('tokens', irisPath('/api/iris/stats/tokens', 'get'), 1),
    read('performance', irisPath('/api/iris/stats/performance', 'get'), 1),
    read('experts', irisPath('/api/iris/experts', 'get', { query: { active: 'true' } }), 1),
    read('reports', irisPath('/api/iris/reports', 'get', { query: { limit: 20 } }), 1),
  ];
}

/**
 * The load test's mix: dashboards reading (about 70%) while agents ingest
 * batches of runs and count expert uses (about 30%).
 */
export function loadTestMix(): RequestTemplate[] {
  return [
    read('overview', irisPath('/api/iris/overview', 'get'), 20),
    read('tokens', irisPath('/api/iris/stats/tokens', 'get'), 10),
    read('performance', irisPath('/api/iris/stats/performance', 'get'), 10),
    read('experts', irisPath('/api/iris/experts', 'get', { query: { active: 'true' } }), 10),
    read('reports', irisPath('/api/iris/reports', 'get', { query: { limit: 20 } }), 8),
    read('runs-list', irisPath('/api/iris/runs', 'get', { query: { limit: 20 } }), 7),
    read('reflexions', irisPath('/api/iris/reflexions', 'get', { query: { limit: 20 } }), 5),
    {
      id: 'runs-ingest',
      endpoint: 'POST /api/iris/runs',
      method: 'POST',
      path: irisPath('/api/iris/runs', 'post'),
      body: (random) => randomRunBatch(random),
      weight: 25,
    },
    {
      id: 'expert-usage',
      endpoint: 'POST /api/iris/experts/{expertId}/usage',
      method: 'POST',
      path: (random) => irisPath('/api/iris/experts/{expertId}/usage', 'post', { params: { expertId: pick(random, EXPERTS) } }),
      weight: 5,
    },
  ];
}

/**
 * Parses `--mix overview=3,reports=1,runs-ingest=0` into weights by id.
 * @throws RangeError naming the malformed entry.
 */
export function parseMixWeights(spec: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([\w.-]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new RangeError(`--mix: "${part}" is not id=weight (e.g. overview=3)`);
    weights[match[1]!] = Number(match[2]);
  }
  return weights;
}

/**
 * `templates` with their weights replaced by `weights` (by id).
 * @throws RangeError for an unknown id, or when every weight ends up 0.
 */
export function withWeights(templates: readonly RequestTemplate[], weights: Record<string, number>): RequestTemplate[] {
  const ids = new Set(templates.map((t) => t.id));
  for (const id of Object.keys(weights)) {
    if (!ids.has(id)) throw new RangeError(`--mix: unknown request "${id}"; known: ${[...ids].join(', ')}`);
  }
  const result = templates.map((t) => ({ ...t, weight: weights[t.id] ?? t.weight }));
  if (!result.some((t) => t.weight > 0)) throw new RangeError('--mix: every weight is 0');
  return result;
}

/** A chosen request: its template (for the endpoint name) and its bytes. */
export interface NextRequest {
  template: RequestTemplate;
  request: PreparedRequest;
}

/**
 * Draws requests from `templates` by weight. Requests without a drawn path or
 * body are serialised once and reused.
 */
export function createRequestSource(
  templates: readonly RequestTemplate[],
  builder: RequestBuilder,
  random: Random,
  extraHeaders?: Record<string, string>,
): () => NextRequest {
  const active = templates.filter((t) => t.weight > 0);
  const prepared = new Map<RequestTemplate, PreparedRequest>();
  for (const t of active) {
    if (typeof t.path === 'string' && t.body === undefined) prepared.set(t, builder.build(t.method, t.path, undefined, extraHeaders));
  }
  const choose = weightedPicker(active, active.map((t) => t.weight));
  return () => {
    const template = choose(random);
    const request =
      prepared.get(template) ??
      builder.build(
        template.method,
        typeof template.path === 'string' ? template.path : template.path(random),
        template.body?.(random),
        extraHeaders,
      );
    return { template, request };
  };
}
