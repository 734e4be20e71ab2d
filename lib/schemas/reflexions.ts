import { z } from 'zod';
import { identifier, pageQuery, projectIdAssertion, text } from './common.js';

export const ListReflexionsQuery = z.strictObject({
  ...projectIdAssertion,
  ...pageQuery,
  expertId: identifier.optional(),
});

export const CreateReflexionBody = z.strictObject({
  ...projectIdAssertion,
  expertId: identifier,
  kind: identifier.max(64),
  context: text(8_000, 1),
  outcome: text(8_000, 1),
  success: z.boolean(),
  impactScore: z.number().min(0).max(1),
});
