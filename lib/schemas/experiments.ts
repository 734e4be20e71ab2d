import { z } from 'zod';
import { EXPERIMENT_METRICS } from '../experiments/index.js';
import { runTag } from '../prompts/index.js';
import { jsonObject, projectIdAssertion, text } from './common.js';
import { movableLabel, promptName } from './prompts.js';

/** An experiment key: what paths and runs name it by. */
export const experimentKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 characters of lowercase letters, digits and . _ -, starting with a letter or digit');

const variantName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters of lowercase letters, digits, _ and -');

const variant = z.strictObject({
  name: variantName,
  /** Relative share of subjects; the shares are weight / Σ weights. */
  weight: z.number().gt(0).max(1_000_000),
  /** The prompt version this variant uses. */
  prompt: z.strictObject({ name: promptName, version: z.int().min(1).max(1_000_000) }).optional(),
  /** Anything else the variant means to the caller (flags, parameters). */
  payload: jsonObject(16_384).optional(),
  /** The `promptVersion` its runs carry; defaults to `<prompt>@<version>`, or `<key>:<variant>` without a prompt. */
  runTag: text(64, 1).optional(),
});

const metric = z.enum(EXPERIMENT_METRICS);

/** The run tag a variant's runs carry: what its results are read by. */
export function variantRunTag(key: string, v: { name: string; prompt?: { name: string; version: number } | undefined; runTag?: string | undefined }): string {
  return v.runTag ?? (v.prompt ? runTag(v.prompt.name, v.prompt.version) : `${key}:${v.name}`);
}

/** POST /api/iris/experiments */
export const CreateExperimentBody = z
  .strictObject({
    ...projectIdAssertion,
    key: experimentKey,
    name: text(200, 1),
    description: text(2000).default(''),
    variants: z.array(variant).min(2).max(10),
    /** The variant the others are compared with; defaults to the first. */
    control: variantName.optional(),
    primaryMetric: metric.default('success_rate'),
    guardrailMetrics: z.array(metric).max(4).default([]),
    /** Hashed with each subject id; defaults to the key, so the split can be reproduced anywhere from the key alone. */
    salt: text(64, 1).optional(),
    /** `running` starts it at once. */
    status: z.enum(['draft', 'running']).default('draft'),
  })
  .superRefine((b, ctx) => {
    const names = b.variants.map((v) => v.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant names must be unique' });
    if (b.control !== undefined && !names.includes(b.control))
      ctx.addIssue({ code: 'custom', path: ['control'], message: `must be one of the variants (${names.join(', ')})` });
    const tags = b.variants.map((v) => variantRunTag(b.key, v));
    if (new Set(tags).size !== tags.length)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'each variant needs its own run tag (two use the same prompt version?)' });
    if (tags.some((t) => t.length > 64)) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'a run tag is at most 64 characters; set runTag' });
    if (new Set(b.guardrailMetrics).size !== b.guardrailMetrics.length)
      ctx.addIssue({ code: 'custom', path: ['guardrailMetrics'], message: 'must name each metric once' });
  });
export type CreateExperiment = z.output<typeof CreateExperimentBody>;

/** PATCH /api/iris/experiments/{key}: descriptions, guardrails, status; on completion the winner and, optionally, a label to move to it. */
export const UpdateExperimentBody = z
  .strictObject({
    ...projectIdAssertion,
    name: text(200, 1).optional(),
    description: text(2000).optional(),
    guardrailMetrics: z.array(metric).max(4).optional(),
    status: z.enum(['running', 'stopped', 'completed']).optional(),
    /** The variant that won: with status completed (now or before). */
    winner: variantName.optional(),
    /** A label to point at the winner's prompt version in the same write, recorded like any move. */
    moveLabel: movableLabel.optional(),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'projectId'), { message: 'name at least one field to change' })
  .refine((b) => b.moveLabel === undefined || b.winner !== undefined, { message: 'moveLabel needs a winner', path: ['moveLabel'] });
export type UpdateExperiment = z.output<typeof UpdateExperimentBody>;

export const ExperimentParams = z.strictObject({ key: experimentKey });
export const ListExperimentsQuery = z.strictObject({ ...projectIdAssertion });

/** GET /api/iris/experiments/{key}/assignment?subject=: who is asking (a user, session or conversation id). */
export const AssignmentQuery = z.strictObject({ ...projectIdAssertion, subject: text(256, 1) });

/** GET /api/iris/experiments/{key}/results */
export const ExperimentResultsQuery = z.strictObject({
  ...projectIdAssertion,
  alpha: z.coerce.number().gt(0).max(0.2).default(0.05),
  /** Runs per variant the sequential test is tuned for. */
  plannedRuns: z.coerce.number().int().min(100).max(100_000_000).default(5000),
});
