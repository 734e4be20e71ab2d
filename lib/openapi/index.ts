export {
  buildOpenApiDocument,
  jsonSchema,
  openApiPath,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiOptions,
} from './document.js';
export { HEADERS, type HeaderName } from './headers.js';
export type { OperationAuth, OperationSpec, ResponseSpec } from './operation.js';
export { OPERATIONS } from './operations/index.js';
export { referencePage, type ReferencePage } from './reference-page.js';

import { buildOpenApiDocument, type OpenApiDocument } from './document.js';
import { OPERATIONS } from './operations/index.js';

const documents = new Map<string, { document: OpenApiDocument; json: string }>();

/** The document of every operation for build `version`, and its JSON: built once per instance. */
export function openApiDocument(version: string): { document: OpenApiDocument; json: string } {
  let built = documents.get(version);
  if (!built) {
    const document = buildOpenApiDocument(OPERATIONS, { version });
    documents.set(version, (built = { document, json: JSON.stringify(document) }));
  }
  return built;
}
