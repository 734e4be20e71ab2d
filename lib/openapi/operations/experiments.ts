import { z } from 'zod';
import { EXPERIMENT_METRICS } from '../../experiments/index.js';
import { PROMPT_STATUSES } from '../../prompts/index.js';
import {
  AssignmentQuery,
  CreateExperimentBody,
  ExperimentParams,
  ExperimentResultsQuery,
  ListExperimentsQuery,
  UpdateExperimentBody,
} from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime } from '../schemas.js';
import { PromptConfig, PromptMessageView } from './prompts.js';

const metric = z.enum(EXPERIMENT_METRICS);
const experimentStatus = z.enum(['draft', 'running', 'stopped', 'completed']);

/** A prompt variant's version, with its content (absent if the version cannot be read). */
export const VariantPrompt = z.strictObject({
  name: z.string(),
  version: z.int(),
  template: z.string().nullable().optional(),
  messages: z.array(PromptMessageView).nullable().optional(),
  variables: z.array(z.string()).optional(),
  config: PromptConfig.optional(),
  status: z.enum(PROMPT_STATUSES).optional(),
});

const payload = z
  .record(z.string(), z.unknown())
  .nullable()
  .meta({ description: 'Anything else the variant means to the caller (flags, parameters), as the client stored it.' });

export const VariantView = z.strictObject({
  name: z.string(),
  weight: z.number(),
  runTag: z.string().meta({ description: "What this variant's runs send as `promptVersion`: how results find them." }),
  prompt: VariantPrompt.nullable(),
  payload,
});

export const ExperimentView = z.strictObject({
  key: z.string(),
  name: z.string(),
  description: z.string(),
  status: experimentStatus,
  control: z.string(),
  primaryMetric: metric,
  guardrailMetrics: z.array(metric),
  salt: z.string(),
  winner: z.string().nullable(),
  startedAt: isoTime.nullable(),
  endedAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  variants: z.array(VariantView),
});

export const ExperimentList = z.strictObject({ projectId: id, data: z.array(ExperimentView) });

export const Assignment = z.strictObject({
  experiment: z.string(),
  status: experimentStatus,
  subject: z.string(),
  variant: z.string(),
  inExperiment: z.boolean().meta({ description: 'False outside the run: the answer is the control (or the winner) and counts for nothing.' }),
  promptVersion: z.string().meta({ description: 'What the run made with this variant sends as `promptVersion`.' }),
  prompt: VariantPrompt.nullable(),
  payload,
});

const interval = z.strictObject({ lower: z.number(), upper: z.number() });
const undefinedReason = z.enum(['empty variant', 'too few observations', 'zero variance']).nullable();

const proportionSummary = z.strictObject({ n: z.int(), successes: z.int(), rate: z.number().nullable(), interval: interval.nullable() });
const meanSummary = z.strictObject({ n: z.int(), mean: z.number().nullable(), standardDeviation: z.number().nullable(), interval: interval.nullable() });

const VariantSummary = z.strictObject({
  name: z.string(),
  weight: z.number(),
  runs: z.int(),
  share: z.number().nullable().meta({ description: "This variant's share of all runs, against `weight / Σ weights`." }),
  successRate: proportionSummary,
  meanLatencyMs: meanSummary,
  meanCostUsd: meanSummary,
  meanConfidence: meanSummary,
});

const fixedHorizon = z
  .strictObject({
    method: z.enum(['two-proportion z-test', 'welch t-test']),
    controlMean: z.number().nullable(),
    treatmentMean: z.number().nullable(),
    difference: z.number().nullable(),
    relativeDifference: z.number().nullable(),
    standardError: z.number().nullable(),
    statistic: z.number().nullable(),
    degreesOfFreedom: z.number().nullable(),
    pValue: z.number(),
    interval: interval.nullable(),
    relativeInterval: interval.nullable(),
    undefinedReason,
  })
  .meta({ description: 'Valid at one pre-planned look only.' });

const sequential = z
  .strictObject({
    method: z.literal('mixture sprt'),
    alpha: z.number(),
    mixingVariance: z.number(),
    controlMean: z.number().nullable(),
    treatmentMean: z.number().nullable(),
    difference: z.number().nullable(),
    standardError: z.number().nullable(),
    effectiveSampleSize: z.number().nullable(),
    logLikelihoodRatio: z.number(),
    pValue: z.number(),
    interval: interval.nullable(),
    significant: z.boolean(),
    undefinedReason,
  })
  .meta({ description: 'Valid at every look: act on this one.' });

const metricComparison = z.strictObject({ metric, better: z.enum(['higher', 'lower']), fixedHorizon, sequential });

const sampleRatio = z
  .strictObject({
    expected: z.array(z.number()),
    chiSquare: z.number(),
    degreesOfFreedom: z.int(),
    pValue: z.number(),
    mismatch: z.boolean(),
    threshold: z.number(),
  })
  .nullable()
  .meta({ description: 'The sample-ratio check of the split; null with fewer than two variants.' });

export const ExperimentResultsBody = z.strictObject({
  key: z.string(),
  status: experimentStatus,
  window: z
    .strictObject({ from: isoTime.nullable(), to: isoTime.nullable() })
    .nullable()
    .meta({ description: "The experiment's window the rollups cover; null before any run." }),
  runTags: z.record(z.string(), z.string()).meta({ description: 'Each variant with its run tag.' }),
  control: z.string(),
  primaryMetric: metric,
  alpha: z.number(),
  plannedSampleSizePerVariant: z.int(),
  variants: z.array(VariantSummary),
  sampleRatio,
  comparisons: z.array(
    z.strictObject({
      variant: z.string(),
      primary: metricComparison,
      guardrails: z.array(metricComparison),
      verdict: z.strictObject({
        verdict: z.enum(['treatment better', 'treatment worse', 'no detectable difference yet', 'sample ratio mismatch']),
        reason: z.string(),
      }),
    }),
  ),
});

const TAG = 'Experiments';
const NOT_FOUND = { description: 'No such experiment in this project (`experiment_not_found`).' };

export const experimentsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/experiments',
    operationId: 'listExperiments',
    summary: "The project's experiments",
    tag: TAG,
    auth: 'project',
    query: ListExperimentsQuery,
    cached: true,
    responses: { 200: { description: 'Every experiment.', schema: ExperimentList } },
  },
  {
    method: 'POST',
    path: '/api/iris/experiments',
    operationId: 'createExperiment',
    summary: 'Create an experiment',
    description:
      '2 to 10 variants, each optionally a prompt version; `status: running` starts it at once. 422 `prompt_version_not_found` when a variant names a version the project does not have.',
    tag: TAG,
    auth: 'project',
    body: CreateExperimentBody,
    idempotent: true,
    responses: {
      201: { description: 'The experiment.', schema: ExperimentView },
      409: { description: 'An experiment with this key exists (`experiment_exists`).' },
    },
  },
  {
    method: 'GET',
    path: '/api/iris/experiments/:key',
    operationId: 'getExperiment',
    summary: 'One experiment, with its variants',
    tag: TAG,
    auth: 'project',
    params: ExperimentParams,
    query: ListExperimentsQuery,
    cached: true,
    responses: { 200: { description: 'The experiment.', schema: ExperimentView }, 404: NOT_FOUND },
  },
  {
    method: 'PATCH',
    path: '/api/iris/experiments/:key',
    operationId: 'updateExperiment',
    summary: 'Change an experiment: descriptions, guardrails, status; on completion the winner and a label to move to it',
    description:
      'draft -> running -> stopped or completed, and stopped -> completed. 422 `winner_needs_completion`, `winner_not_found` or `winner_has_no_prompt` for a winner that cannot be named.',
    tag: TAG,
    auth: 'project',
    params: ExperimentParams,
    body: UpdateExperimentBody,
    idempotent: true,
    responses: {
      200: { description: 'The experiment.', schema: ExperimentView },
      404: NOT_FOUND,
      409: {
        description:
          'A transition that goes back (`invalid_transition`), a change fixed once started (`not_draft`), or a label move refused (`production_on_deprecated`).',
      },
    },
  },
  {
    method: 'GET',
    path: '/api/iris/experiments/:key/assignment',
    operationId: 'getExperimentAssignment',
    summary: "A subject's variant, with the prompt to use",
    description:
      "The same on every instance: a hash of the experiment's salt and the subject. Outside its run every subject gets the control, or the winner once there is one.",
    tag: TAG,
    auth: 'project',
    params: ExperimentParams,
    query: AssignmentQuery,
    responses: { 200: { description: 'The assignment.', schema: Assignment }, 404: NOT_FOUND },
  },
  {
    method: 'GET',
    path: '/api/iris/experiments/:key/results',
    operationId: 'getExperimentResults',
    summary: 'Per variant and per comparison against control, from the rollups',
    description: 'The verdict is decided by the always-valid (sequential) comparison only, so it may be read at every refresh.',
    tag: TAG,
    auth: 'project',
    params: ExperimentParams,
    query: ExperimentResultsQuery,
    cached: true,
    responses: { 200: { description: 'The results.', schema: ExperimentResultsBody }, 404: NOT_FOUND },
  },
];
