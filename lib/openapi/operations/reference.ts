import { z } from 'zod';
import type { OperationSpec } from '../operation.js';

/** The document and the reference page: how the API describes itself. */
export const referenceOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas the routes validate with. Public and cacheable; carries an ETag.',
    tag: 'Reference',
    auth: 'public',
    query: z.strictObject({}),
    responses: {
      200: { description: 'The document.', schema: z.record(z.string(), z.unknown()), headers: ['ETag'] },
      304: { description: 'Not Modified: the If-None-Match ETag still matches.', headers: ['ETag'] },
    },
  },
  {
    method: 'GET',
    path: '/api/docs',
    operationId: 'getReferencePage',
    summary: 'The API reference page (HTML), rendered from /api/openapi.json',
    tag: 'Reference',
    auth: 'public',
    query: z.strictObject({}),
    responses: {
      200: { description: 'The page.', schema: z.string(), contentType: 'text/html', headers: ['ETag'] },
      304: { description: 'Not Modified: the If-None-Match ETag still matches.', headers: ['ETag'] },
    },
  },
];
