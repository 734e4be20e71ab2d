import { z } from 'zod';
import { EmptyBody } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { ErrorBody, isoTime } from '../schemas.js';

const dependency = z.strictObject({
  kind: z.string(),
  required: z.boolean(),
  status: z.enum(['up', 'slow', 'down']),
  latencyMs: z.number(),
  sqlState: z.string().optional(),
  reason: z.enum(['timeout', 'connection', 'error']).optional(),
});
const migrationSet = z.strictObject({ count: z.int(), latest: z.string().nullable() });

export const HealthBody = z.strictObject({ status: z.literal('ok'), version: z.string(), uptimeS: z.int() });

export const DetailedHealthBody = z.strictObject({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  region: z.string().nullable(),
  uptimeS: z.int(),
  checkedAt: isoTime,
  database: dependency,
  migrations: z.strictObject({
    status: z.enum(['current', 'behind', 'ahead', 'untracked', 'unknown']),
    expected: migrationSet,
    applied: migrationSet.nullable(),
    missing: z.array(z.string()),
    unexpected: z.array(z.string()),
  }),
  kv: dependency,
  circuits: z.strictObject({ db: z.enum(['closed', 'open', 'half-open']), kv: z.enum(['closed', 'open', 'half-open', 'none']) }),
  limiter: z.strictObject({ mode: z.enum(['memory', 'fleet']) }),
  cache: z.strictObject({ l1Entries: z.int(), l1Bytes: z.int(), inFlight: z.int(), generations: z.int() }),
});

export const healthOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/health',
    operationId: 'getHealth',
    summary: 'Liveness',
    description: 'Says the process runs; touches no dependency.',
    tag: 'Operations',
    auth: 'public',
    responses: { 200: { description: 'The process runs.', schema: HealthBody } },
  },
  {
    method: 'GET',
    path: '/api/health/detailed',
    operationId: 'getDetailedHealth',
    summary: 'Dependencies, migrations, circuits',
    description:
      'Whether the database and the KV answer and how fast, applied against expected migrations, both circuits, the limiter mode and the L1 cache. Never cached; 404 while neither the metrics nor the admin token is configured.',
    tag: 'Operations',
    auth: 'operator',
    query: EmptyBody,
    responses: {
      200: { description: 'Everything required answers (`status` `ok` or `degraded`).', schema: DetailedHealthBody },
      503: {
        description: 'The database or a needed migration is missing (`status: "down"`), or the instance is starting.',
        schema: z.union([DetailedHealthBody, ErrorBody]),
      },
    },
  },
];
