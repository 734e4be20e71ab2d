import { z } from 'zod';
import { ExpertParams, ExpertUsageBody, ListExpertsQuery, UpsertExpertBody } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { anyJson, isoTime, list } from '../schemas.js';

export const ExpertView = z.strictObject({
  expertId: z.string(),
  version: z.int(),
  signature: z.string(),
  active: z.boolean(),
  performance: anyJson,
  usageCount: z.int(),
  updatedAt: isoTime,
});

export const ExpertUsage = z.strictObject({ expertId: z.string(), version: z.int(), usageCount: z.int() });

export const expertsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/experts',
    operationId: 'listExperts',
    summary: 'Expert signatures',
    tag: 'Experts',
    auth: 'project',
    query: ListExpertsQuery,
    cached: true,
    responses: { 200: { description: "Every version of every expert's signature (`active=true`: the active ones).", schema: list(ExpertView) } },
  },
  {
    method: 'POST',
    path: '/api/iris/experts',
    operationId: 'upsertExpert',
    summary: "Create or replace one version of an expert's signature",
    tag: 'Experts',
    auth: 'project',
    body: UpsertExpertBody,
    idempotent: true,
    responses: { 201: { description: 'The stored version.', schema: ExpertView } },
  },
  {
    method: 'POST',
    path: '/api/iris/experts/:expertId/usage',
    operationId: 'countExpertUsage',
    summary: "Count one use of the expert's active signature",
    tag: 'Experts',
    auth: 'project',
    params: ExpertParams,
    body: ExpertUsageBody,
    bodyOptional: true,
    idempotent: true,
    responses: {
      200: { description: 'The new count.', schema: ExpertUsage },
      404: { description: 'No such expert in this project (`expert_not_found`).' },
    },
  },
];
