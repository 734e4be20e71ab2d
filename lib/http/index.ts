export { readJsonBody, readOptionalJsonBody, readBodyBytes, parseJsonBody, concatBytes, jsonDepth, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH, type JsonBodyOptions } from './body.js';
export { appendVary, corsHeaders, requestIdFrom, NO_STORE, PRIVATE_NO_CACHE, SECURITY_HEADERS } from './headers.js';
export { inputParser, parseBody, parseOptionalBody, parseParams, parseQuery, type InputParserOptions, type ParsedInput } from './input.js';
export { json, respond } from './respond.js';
export {
  defineRoute,
  templatePattern,
  type Access,
  type AnyMethod,
  type AppEnv,
  type MaybePromise,
  type Method,
  type Route,
  type RouteBindings,
  type RouteContext,
  type RouteDefinition,
  type RouteHandler,
  type WebHandler,
} from './route.js';
export { isDataError, isOutage, loggableError, toHttpError, type DatabaseUnavailableDetails, type ErrorLogLevel, type MappedError } from './error-map.js';
export { toIssues, validate, queryObject, type ValidationIssue } from './validate.js';
