import { z } from 'zod';
import { CreateKeyBody, CreateProjectBody, EmptyBody, KeyParams, ListKeysQuery } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { anyJson, id, isoTime, list } from '../schemas.js';

export const ProjectView = z.strictObject({ id, name: z.string(), settings: anyJson, createdAt: isoTime });

export const ApiKeyView = z.strictObject({
  id,
  projectId: id,
  prefix: z.string().meta({ description: 'The first characters of the key, to recognise it.' }),
  label: z.string().nullable(),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
});

const plaintext = z
  .string()
  .regex(/^iris_sk_[A-Za-z0-9_-]{43}$/)
  .meta({ description: 'The key itself, returned this once: Iris keeps only its SHA-256 hash.' });

export const ApiKeyListItem = z.strictObject({ ...ApiKeyView.shape, usageCount: z.int() });
export const CreatedApiKey = z.strictObject({ ...ApiKeyView.shape, key: plaintext });
export const RotatedApiKey = z.strictObject({ ...ApiKeyView.shape, key: plaintext, replaces: id });

const TAG = 'Admin';

export const adminOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/admin/projects',
    operationId: 'listProjects',
    summary: 'Every project',
    tag: TAG,
    auth: 'admin',
    query: EmptyBody,
    responses: { 200: { description: 'The projects.', schema: list(ProjectView) } },
  },
  {
    method: 'POST',
    path: '/api/admin/projects',
    operationId: 'createProject',
    summary: 'Create a project',
    description: "Settings hold the project's rate limits and retention.",
    tag: TAG,
    auth: 'admin',
    body: CreateProjectBody,
    idempotent: true,
    responses: { 201: { description: 'The project.', schema: ProjectView } },
  },
  {
    method: 'GET',
    path: '/api/admin/api-keys',
    operationId: 'listApiKeys',
    summary: "A project's keys (never their hashes)",
    tag: TAG,
    auth: 'admin',
    query: ListKeysQuery,
    responses: { 200: { description: 'The keys.', schema: list(ApiKeyListItem) } },
  },
  {
    method: 'POST',
    path: '/api/admin/api-keys',
    operationId: 'createApiKey',
    summary: 'Mint a key for a project',
    tag: TAG,
    auth: 'admin',
    body: CreateKeyBody,
    idempotent: true,
    responses: {
      201: { description: 'The key, with its plaintext once.', schema: CreatedApiKey },
      404: { description: 'No such project (`project_not_found`).' },
    },
  },
  {
    method: 'POST',
    path: '/api/admin/api-keys/:id/revoke',
    operationId: 'revokeApiKey',
    summary: 'Revoke a key: it stops authenticating at once, fleet-wide',
    tag: TAG,
    auth: 'admin',
    params: KeyParams,
    body: EmptyBody,
    bodyOptional: true,
    idempotent: true,
    responses: { 200: { description: 'The revoked key.', schema: ApiKeyView }, 404: { description: 'No such key (`api_key_not_found`).' } },
  },
  {
    method: 'POST',
    path: '/api/admin/api-keys/:id/rotate',
    operationId: 'rotateApiKey',
    summary: 'Revoke a key and mint its successor',
    tag: TAG,
    auth: 'admin',
    params: KeyParams,
    body: EmptyBody,
    bodyOptional: true,
    idempotent: true,
    responses: {
      201: { description: 'The successor, with its plaintext once.', schema: RotatedApiKey },
      404: { description: 'No such active key (`api_key_not_found`).' },
    },
  },
];
