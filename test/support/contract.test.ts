import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument, type OperationSpec } from '../../lib/openapi/index.js';
import { ContractViolation, createContractChecker } from './contract.js';

const operations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/things/:id',
    operationId: 'getThing',
    summary: 'A thing',
    tag: 'Things',
    auth: 'project',
    params: z.strictObject({ id: z.string() }),
    responses: { 200: { description: 'The thing.', schema: z.strictObject({ id: z.string(), size: z.int() }) } },
  },
];
const checker = createContractChecker(buildOpenApiDocument(operations, { version: '1' }));
const headers = { 'content-type': 'application/json', 'x-request-id': 'req-12345678', 'cache-control': 'private, no-cache' };
const answer = (status: number, body: unknown, extra: Record<string, string> = {}) =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { ...headers, ...extra } });
const error = { error: { code: 'x', message: 'y', requestId: 'req-12345678' } };

async function violation(promise: Promise<void>): Promise<string> {
  const caught = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(caught).toBeInstanceOf(ContractViolation);
  return (caught as Error).message;
}

describe('the contract checker', () => {
  it('passes an answer the document describes', async () => {
    await expect(checker.check('GET', '/api/things/a', answer(200, { id: 'a', size: 1 }), '/api/things/:id')).resolves.toBeUndefined();
    await expect(checker.check('GET', '/api/things/a', answer(401, error), '/api/things/:id')).resolves.toBeUndefined();
  });

  it('fails a field the schema does not name, naming the route, method, status and field', async () => {
    const message = await violation(checker.check('GET', '/api/things/a', answer(200, { id: 'a', size: 1, secret: 'x' }), '/api/things/:id'));
    expect(message).toContain('GET /api/things/a (/api/things/{id}) answered 200');
    expect(message).toContain('"additionalProperty":"secret"');
  });

  it('fails a status the operation does not declare', async () => {
    expect(await violation(checker.check('GET', '/api/things/a', answer(418, error), '/api/things/:id'))).toMatch(/status 418 is not declared/);
  });

  it('fails a route the document does not have', async () => {
    expect(await violation(checker.check('POST', '/api/otel/v1/traces', answer(200, {}), '/api/otel/v1/traces'))).toMatch(
      /route \/api\/otel\/v1\/traces is not in the OpenAPI document/,
    );
  });

  it('fails a missing required header, an error body out of shape, and a method that is not documented but answered', async () => {
    expect(
      await violation(
        checker.check(
          'GET',
          '/api/things/a',
          new Response('{"id":"a","size":1}', { status: 200, headers: { 'content-type': 'application/json' } }),
          '/api/things/:id',
        ),
      ),
    ).toMatch(/required header X-Request-Id is missing/);
    expect(await violation(checker.check('GET', '/api/things/a', answer(401, { message: 'no' }), '/api/things/:id'))).toMatch(/does not match/);
    expect(await violation(checker.check('DELETE', '/api/things/a', answer(200, {}), '/api/things/:id'))).toMatch(/DELETE is not documented/);
  });
});
