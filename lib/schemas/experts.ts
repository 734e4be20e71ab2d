import { z } from 'zod';
import { flag, identifier, jsonObject, projectIdAssertion, text } from './common.js';

export const ListExpertsQuery = z.strictObject({ ...projectIdAssertion, active: flag.optional() });

export const ExpertParams = z.strictObject({ expertId: identifier });

export const UpsertExpertBody = z.strictObject({
  ...projectIdAssertion,
  expertId: identifier,
  version: z.int().min(1).max(1_000_000),
  signature: text(20_000, 1),
  active: z.boolean().default(true),
  performance: jsonObject(16_384).default({}),
});

export const ExpertUsageBody = z.strictObject({ ...projectIdAssertion });
