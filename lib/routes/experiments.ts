import type { ExperimentRow, Json } from '../db/types.js';
import { conflict, HttpError, notFound } from '../errors.js';
import { assignVariant, experimentResults, type ExperimentMetric, type VariantSums } from '../experiments/index.js';
import {
  defineRoute,
  inputParser,
  json,
  parseBody,
  parseParams,
  parseQuery,
  respond,
  PRIVATE_NO_CACHE,
  type MaybePromise,
  type RouteContext,
} from '../http/index.js';
import {
  AssignmentQuery,
  CreateExperimentBody,
  ExperimentParams,
  ExperimentResultsQuery,
  ListExperimentsQuery,
  UpdateExperimentBody,
  variantRunTag,
} from '../schemas/index.js';
import { invalidate, readCached, respondCached } from './cached.js';
import { runWrite } from './idempotent.js';
import { actorOf, promptRefusal } from './prompts.js';

/** A variant as experiment answers show it; a prompt variant with its version's content. */
export interface VariantView {
  name: string;
  weight: number;
  /** What this variant's runs send as `promptVersion`: how results find them. */
  runTag: string;
  prompt: {
    name: string;
    version: number;
    template?: string | null;
    messages?: { role: string; content: string }[] | null;
    variables?: string[];
    config?: Record<string, Json>;
    status?: string;
  } | null;
  payload: Record<string, Json> | null;
}

export interface ExperimentView {
  key: string;
  name: string;
  description: string;
  status: ExperimentRow['status'];
  control: string;
  primaryMetric: ExperimentMetric;
  guardrailMetrics: ExperimentMetric[];
  salt: string;
  winner: string | null;
  startedAt: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
  variants: VariantView[];
}

const iso = (t: string | null) => (t === null ? null : new Date(t).toISOString());

function experimentView(row: ExperimentRow): ExperimentView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    status: row.status,
    control: row.control,
    primaryMetric: row.primary_metric,
    guardrailMetrics: row.guardrail_metrics as ExperimentMetric[],
    salt: row.salt,
    winner: row.winner,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    variants: (row.variants as unknown as VariantView[]).map((v) => ({
      name: v.name,
      weight: v.weight,
      runTag: v.runTag,
      prompt: v.prompt ?? null,
      payload: v.payload ?? null,
    })),
  };
}

/** The HTTP answer to each refusal the experiment RPCs report as an outcome. */
function experimentRefusal(outcome: string, key: string, detail: string | null): HttpError {
  switch (outcome) {
    case 'experiment_not_found':
      return notFound(`No experiment ${key} in this project.`, 'experiment_not_found');
    case 'experiment_exists':
      return conflict('experiment_exists', `An experiment with key ${key} already exists in this project.`);
    case 'prompt_version_not_found':
      return new HttpError(422, 'prompt_version_not_found', `A variant names ${detail ?? 'a prompt version'}, which this project does not have.`);
    case 'invalid_transition':
      return conflict('invalid_transition', 'An experiment moves draft -> running -> stopped or completed, and stopped -> completed; it never goes back.');
    case 'not_draft':
      return conflict('not_draft', 'Variants, control and primary metric are fixed once an experiment has started.');
    case 'winner_needs_completion':
      return new HttpError(422, 'winner_needs_completion', 'A winner is named when the experiment is completed: send status "completed" with it.');
    case 'winner_not_found':
      return new HttpError(422, 'winner_not_found', 'The winner must be one of the experiment’s variants.');
    case 'winner_has_no_prompt':
      return new HttpError(422, 'winner_has_no_prompt', 'moveLabel needs a winner that is a prompt version.');
    default:
      // The label move's own refusals (production on a deprecated version, too many labels).
      return promptRefusal(outcome, key);
  }
}

async function loadExperiment(c: RouteContext, key: string): Promise<ExperimentView> {
  const [row] = await c.get('services').db.rpc('get_experiment', { p_project_id: c.get('project').id, p_key: key });
  if (!row) throw experimentRefusal('experiment_not_found', key, null);
  return experimentView(row);
}

/**
 * An experiment's definition from the same cache entry its GET serves:
 * synchronously from L1 when it is there (the assignment hot path), else
 * through the tiered cache.
 */
export function cachedExperiment(c: RouteContext, key: string | Readonly<{ key: string }>): MaybePromise<ExperimentView> {
  // A frozen `{ key }` (a route's kept input) finds its cache key without hashing it (lib/cache/key.ts).
  const params = typeof key === 'string' ? { key } : key;
  return readCached(c, 'experiments', params, () => loadExperiment(c, params.key));
}

/** GET|POST /api/iris/experiments */
export const experimentsRoute = defineRoute({
  path: '/api/iris/experiments',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, ListExperimentsQuery);
      const projectId = c.get('project').id;
      return respondCached(c, 'experiments', { list: 'all' }, async () => ({
        projectId,
        data: (await c.get('services').db.rpc('list_experiments', { p_project_id: projectId })).map(experimentView),
      }));
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateExperimentBody);
      const variants = body.variants.map((v) => ({
        name: v.name,
        weight: v.weight,
        runTag: variantRunTag(body.key, v),
        prompt: v.prompt ?? null,
        payload: v.payload ?? null,
      }));
      const { rows } = await runWrite(c, {
        rpc: 'create_experiment',
        args: {
          p_project_id: c.get('project').id,
          p_key: body.key,
          p_name: body.name,
          p_description: body.description,
          p_variants: variants,
          p_control: body.control ?? body.variants[0]!.name,
          p_primary_metric: body.primaryMetric,
          p_guardrail_metrics: body.guardrailMetrics,
          p_salt: body.salt ?? body.key,
          p_status: body.status,
        },
        body,
      });
      const row = rows[0];
      if (!row || row.outcome !== 'created') throw experimentRefusal(row?.outcome ?? 'experiment_not_found', body.key, row?.name ?? null);
      await invalidate(c, 'experiments', 'experimentResults');
      return json(c, experimentView(row as ExperimentRow), 201);
    },
  },
});

/** GET|PATCH /api/iris/experiments/{key}: one experiment; change its status, complete it (optionally moving a label to the winner). */
export const experimentRoute = defineRoute({
  path: '/api/iris/experiments/:key',
  access: 'project',
  methods: {
    GET: (c) => {
      const { key } = parseParams(c, ExperimentParams);
      parseQuery(c, ListExperimentsQuery);
      return respondCached(c, 'experiments', { key }, () => loadExperiment(c, key));
    },
    PATCH: async (c) => {
      const { key } = parseParams(c, ExperimentParams);
      const body = await parseBody(c, UpdateExperimentBody);
      const changes: Record<string, Json> = {};
      if (body.name !== undefined) changes.name = body.name;
      if (body.description !== undefined) changes.description = body.description;
      if (body.guardrailMetrics !== undefined) changes.guardrail_metrics = body.guardrailMetrics;
      if (body.status !== undefined) changes.status = body.status;
      const { rows } = await runWrite(c, {
        rpc: 'update_experiment',
        args: {
          p_project_id: c.get('project').id,
          p_key: key,
          p_changes: changes,
          p_winner: body.winner ?? null,
          p_move_label: body.moveLabel ?? null,
          p_actor: actorOf(c),
        },
        body,
      });
      const row = rows[0];
      if (!row || row.outcome !== 'updated') throw experimentRefusal(row?.outcome ?? 'experiment_not_found', key, null);
      await invalidate(c, 'experiments', 'experimentResults', ...(body.moveLabel === undefined ? [] : (['prompts'] as const)));
      return json(c, experimentView(row as ExperimentRow));
    },
  },
});

/**
 * Each variant's assignment answer around the subject, serialised once per
 * decoded definition (so once per cache fill), not once per request: the
 * answer is `head + JSON.stringify(subject) + tail[variant]`.
 */
const assignmentParts = new WeakMap<ExperimentView, { head: string; tails: Map<string, string> }>();

function partsOf(experiment: ExperimentView) {
  let parts = assignmentParts.get(experiment);
  if (parts === undefined) {
    const running = experiment.status === 'running';
    const tails = new Map<string, string>();
    for (const v of experiment.variants) {
      // Everything after "subject": the same for every subject of this variant.
      const rest = JSON.stringify({
        variant: v.name,
        // False outside the experiment's run: the answer is the control (or the winner) and counts for nothing.
        inExperiment: running,
        promptVersion: v.runTag,
        prompt: v.prompt,
        payload: v.payload,
      });
      tails.set(v.name, `,${rest.slice(1)}`);
    }
    const head = JSON.stringify({ experiment: experiment.key, status: experiment.status }).slice(0, -1) + ',"subject":';
    assignmentParts.set(experiment, (parts = { head, tails }));
  }
  return parts;
}

/** The assignment answer: which variant, and what to run with it. */
function assignmentResponse(c: RouteContext, experiment: ExperimentView, subject: string): Response {
  // Outside its run every subject gets the control, or the winner once there is one.
  const name =
    experiment.status === 'running'
      ? experiment.variants[assignVariant(experiment.salt, subject, experiment.variants)]!.name
      : (experiment.winner ?? experiment.control);
  const { head, tails } = partsOf(experiment);
  const headers = c.get('responseHeaders');
  headers['Cache-Control'] = PRIVATE_NO_CACHE;
  headers['Content-Type'] = 'application/json';
  return respond(c, head + JSON.stringify(subject) + tails.get(name)!, 200);
}

/** The assignment's validated key and subject, kept by URL (lib/http/input.ts): a subject that asks again runs no zod. */
const assignmentInput = inputParser(ExperimentParams, AssignmentQuery);

/**
 * GET /api/iris/experiments/{key}/assignment?subject=: the subject's variant,
 * the same on every instance (a hash of the experiment's salt and the subject),
 * with the prompt to use. From the experiment in memory, synchronously when it is.
 */
export const experimentAssignmentRoute = defineRoute({
  path: '/api/iris/experiments/:key/assignment',
  access: 'project',
  methods: {
    GET: (c) => {
      const { params, query } = assignmentInput(c);
      const { subject } = query;
      const experiment = cachedExperiment(c, params);
      if (experiment instanceof Promise) return experiment.then((e) => assignmentResponse(c, e, subject));
      return assignmentResponse(c, experiment, subject);
    },
  },
});

/** GET /api/iris/experiments/{key}/results: per variant and per comparison, from the rollups. */
export const experimentResultsRoute = defineRoute({
  path: '/api/iris/experiments/:key/results',
  access: 'project',
  methods: {
    GET: (c) => {
      const { key } = parseParams(c, ExperimentParams);
      const query = parseQuery(c, ExperimentResultsQuery);
      return respondCached(c, 'experimentResults', { key, alpha: query.alpha, plannedRuns: query.plannedRuns }, async () => {
        const { db } = c.get('services');
        const projectId = c.get('project').id;
        const experiment = await loadExperiment(c, key);
        const rows = await db.rpc('experiment_results', { p_project_id: projectId, p_key: key });
        const byName = new Map(rows.map((r) => [r.variant, r]));
        const sums: VariantSums[] = experiment.variants.map((v) => {
          const r = byName.get(v.name);
          return {
            name: v.name,
            weight: v.weight,
            runs: Number(r?.runs ?? 0),
            successes: Number(r?.successes ?? 0),
            costUsd: Number(r?.cost_usd ?? 0),
            costUsdSq: Number(r?.cost_usd_sq ?? 0),
            latencyMsSum: Number(r?.latency_ms_sum ?? 0),
            latencyMsSq: Number(r?.latency_ms_sq ?? 0),
            confidenceN: Number(r?.confidence_n ?? 0),
            confidenceSum: Number(r?.confidence_sum ?? 0),
          };
        });
        const results = experimentResults(experiment, sums, { alpha: query.alpha, plannedSampleSizePerVariant: query.plannedRuns });
        return {
          key,
          status: experiment.status,
          window: rows[0] ? { from: iso(rows[0].window_from), to: iso(rows[0].window_to) } : null,
          runTags: Object.fromEntries(experiment.variants.map((v) => [v.name, v.runTag])),
          ...results,
        };
      });
    },
  },
});
