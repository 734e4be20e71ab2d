import { z } from 'zod';
import { CreateReflexionBody, CreateReportBody, ListReflexionsQuery, ListReportsQuery } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { anyJson, id, isoTime, page } from '../schemas.js';

export const ReportView = z.strictObject({
  id,
  kind: z.string(),
  healthScore: z.int(),
  overallHealth: z.enum(['healthy', 'degraded', 'critical']),
  severity: z.enum(['info', 'warning', 'critical']),
  title: z.string(),
  data: anyJson,
  resolvedAt: isoTime.nullable(),
  createdAt: isoTime,
});

export const ReflexionView = z.strictObject({
  id,
  expertId: z.string(),
  kind: z.string(),
  context: z.string(),
  outcome: z.string(),
  success: z.boolean(),
  impactScore: z.number(),
  reuseCount: z.int(),
  createdAt: isoTime,
});

/** Health reports and reflexions: what experts and their operators write down. */
export const reportsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/reports',
    operationId: 'listReports',
    summary: 'Health reports, newest first',
    tag: 'Reports and reflexions',
    auth: 'project',
    query: ListReportsQuery,
    cached: true,
    responses: { 200: { description: 'A page of reports.', schema: page(ReportView) } },
  },
  {
    method: 'POST',
    path: '/api/iris/reports',
    operationId: 'createReport',
    summary: 'File a health report',
    tag: 'Reports and reflexions',
    auth: 'project',
    body: CreateReportBody,
    idempotent: true,
    responses: { 201: { description: 'The stored report.', schema: ReportView } },
  },
  {
    method: 'GET',
    path: '/api/iris/reflexions',
    operationId: 'listReflexions',
    summary: 'Lessons experts recorded, newest first',
    tag: 'Reports and reflexions',
    auth: 'project',
    query: ListReflexionsQuery,
    cached: true,
    responses: { 200: { description: 'A page of reflexions.', schema: page(ReflexionView) } },
  },
  {
    method: 'POST',
    path: '/api/iris/reflexions',
    operationId: 'createReflexion',
    summary: 'Record a reflexion',
    tag: 'Reports and reflexions',
    auth: 'project',
    body: CreateReflexionBody,
    idempotent: true,
    responses: { 201: { description: 'The stored reflexion.', schema: ReflexionView } },
  },
];
