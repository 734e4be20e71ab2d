import { z } from 'zod';
import { identifier, jsonObject, pageQuery, projectIdAssertion, text } from './common.js';

export const ListReportsQuery = z.strictObject({ ...projectIdAssertion, ...pageQuery });

export const CreateReportBody = z.strictObject({
  ...projectIdAssertion,
  kind: identifier.max(64),
  healthScore: z.int().min(0).max(100),
  overallHealth: z.enum(['healthy', 'degraded', 'critical']),
  severity: z.enum(['info', 'warning', 'critical']),
  title: text(200, 1),
  data: jsonObject(65_536).default({}),
});
