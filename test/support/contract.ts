/**
 * Contract checks: every response a route test receives through the test app
 * (test/support/app.ts) is validated against the OpenAPI document
 * (lib/openapi): the route and method must be documented, the status declared
 * for them, the declared headers present and well-formed, and the body valid
 * against the declared schema (ajv, JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1). An undocumented route, status or field fails the test that
 * received it, with a message naming the route, method, status and the error.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { templatePattern } from '../../lib/http/index.js';
import { openApiDocument, openApiPath, type OpenApiDocument, type OpenApiOperation } from '../../lib/openapi/index.js';

// ajv-formats is CommonJS; its default export arrives wrapped under tsx and vitest.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

interface DocumentedPath {
  template: string;
  pattern: RegExp;
  dynamic: boolean;
  item: Record<string, OpenApiOperation>;
}

export interface ContractChecker {
  /**
   * Throws a ContractViolation when `response` to `method path` breaks the document; `routeTemplate` is the
   * api/ route that answered, if any. Reads the body: pass `body` when the caller already has it as text.
   */
  check(method: string, path: string, response: Response, routeTemplate: string | undefined, body?: string): Promise<void>;
  document: OpenApiDocument;
}

const DOC_ID = 'openapi.json';

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

let shared: ContractChecker | undefined;

/** The checker for this build's document (one per process: compiling the schemas is the slow part). */
export function contractChecker(): ContractChecker {
  return (shared ??= createContractChecker(openApiDocument('0.0.0-test').document));
}

export function createContractChecker(document: OpenApiDocument): ContractChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(document as object, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string): ValidateFunction => {
    let fn = compiled.get(ref);
    if (!fn) compiled.set(ref, (fn = ajv.compile({ $ref: `${DOC_ID}#${ref}` })));
    return fn;
  };
  const paths: DocumentedPath[] = Object.entries(document.paths)
    .map(([template, item]) => ({
      template,
      item,
      dynamic: template.includes('{'),
      pattern: templatePattern(template.replace(/\{([^}]+)\}/g, ':$1')),
    }))
    .sort((a, b) => Number(a.dynamic) - Number(b.dynamic));
  const errorRef = '/components/schemas/Error';
  const headerSpecs = (document.components as { headers: Record<string, { schema: { pattern?: string; enum?: string[] } }> }).headers;

  function fail(what: string, method: string, path: string, status: number, detail: string): never {
    throw new ContractViolation(`OpenAPI contract: ${method} ${path} answered ${status}: ${what}\n${detail}`);
  }

  function checkJson(ref: string, text: string, label: { method: string; path: string; status: number }): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail('the body is not JSON', label.method, label.path, label.status, text.slice(0, 300));
    }
    const validate = validator(ref);
    if (!validate(value)) {
      const errors = (validate.errors ?? []).slice(0, 8).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
      fail(
        `the body does not match the documented schema (${ref})`,
        label.method,
        label.path,
        label.status,
        `${errors.join('\n')}\nbody: ${text.slice(0, 600)}`,
      );
    }
  }

  async function check(method: string, path: string, response: Response, routeTemplate: string | undefined, body?: string): Promise<void> {
    const text = body ?? (response.body === null ? '' : await response.clone().text());
    const status = response.status;
    // Methods are case-sensitive (RFC 9110 §9.1): `patch` is not PATCH, and no route answers it.
    const upper = method;
    const documented = paths.find((p) => p.pattern.test(path));
    if (routeTemplate !== undefined && (!documented || openApiPath(routeTemplate) !== documented.template)) {
      fail(`the route ${routeTemplate} is not in the OpenAPI document: add its operations to lib/openapi/operations/`, upper, path, status, '');
    }
    if (!documented) {
      // No such route: the router's 404, in the error shape.
      if (status !== 404) fail('no documented route matches this path, and the answer is not a 404', upper, path, status, '');
      return checkJson(errorRef, text, { method: upper, path, status });
    }
    const label = { method: upper, path: documented.template === path ? path : `${path} (${documented.template})`, status };
    if (upper === 'OPTIONS') {
      if (status === 204) {
        if (!response.headers.has('allow')) fail('an OPTIONS answer without Allow', upper, label.path, status, '');
        return;
      }
      return checkJson(errorRef, text, label);
    }
    const op = upper === upper.toUpperCase() ? documented.item[upper === 'HEAD' ? 'get' : upper.toLowerCase()] : undefined;
    if (!op) {
      const methods = Object.keys(documented.item).map((m) => m.toUpperCase());
      if (status !== 405 && status !== 503 && status !== 429) {
        fail(`${upper} is not documented for this path (documented: ${methods.join(', ')}); it must answer 405`, upper, label.path, status, '');
      }
      if (status === 405 && !response.headers.has('allow')) fail('a 405 without Allow', upper, label.path, status, '');
      return checkJson(errorRef, text, label);
    }
    // A 405 is what a path answers for a method it does not take; the router also gives it to a documented
    // method on a path with a trailing slash (Hono routes strictly; Vercel redirects such a path first).
    if (status === 405 && path.endsWith('/')) return checkJson(errorRef, text, label);
    const declared = op.responses[String(status)];
    if (!declared) {
      fail(`status ${status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`, upper, label.path, status, text.slice(0, 600));
    }
    for (const [name, spec] of Object.entries(declared.headers ?? {})) {
      const value = response.headers.get(name);
      const header = '$ref' in (spec as object) ? headerSpecs[name] : (spec as { required?: boolean; schema: { pattern?: string; enum?: string[] } });
      if (value === null) {
        if ((spec as { required?: boolean }).required) fail(`the required header ${name} is missing`, upper, label.path, status, '');
        continue;
      }
      const schema = header?.schema;
      if (schema?.pattern && !new RegExp(schema.pattern).test(value))
        fail(`the header ${name}: ${value} does not match ${schema.pattern}`, upper, label.path, status, '');
      if (schema?.enum && !schema.enum.includes(value))
        fail(`the header ${name}: ${value} is not one of ${schema.enum.join(', ')}`, upper, label.path, status, '');
    }
    const contentType = response.headers.get('content-type');
    const hasBody = upper !== 'HEAD' && status !== 204 && status !== 304;
    if (!hasBody) return;
    const media = declared.content ?? {};
    if (Object.keys(media).length === 0) {
      if (text.length > 0) fail('a body where the document declares none', upper, label.path, status, text.slice(0, 300));
      return;
    }
    const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const type = Object.keys(media).find((t) => t.split(';')[0]!.trim().toLowerCase() === base);
    if (!type) fail(`Content-Type ${contentType ?? '(none)'} is not declared (declared: ${Object.keys(media).join(', ')})`, upper, label.path, status, '');
    if (base === 'application/json') {
      checkJson(
        `/${pointer('paths', documented.template, upper === 'HEAD' ? 'get' : upper.toLowerCase(), 'responses', String(status), 'content', type, 'schema')}`,
        text,
        label,
      );
    }
  }

  return { check, document };
}
