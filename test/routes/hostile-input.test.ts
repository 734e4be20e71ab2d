import fc from 'fast-check';
import { METHODS, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../lib/db/errors.js';
import { createChaosDb, type ChaosDb } from '../../lib/db/testing.js';
import { SECURITY_HEADERS } from '../../lib/http/index.js';
import { encodeCursor, pgTimestampMs } from '../../lib/schemas/index.js';
import { REFUSED_TIMESTAMPS } from '../../lib/schemas/testing.js';
import { startLocalServer } from '../../lib/server/index.js';
import { ADMIN_TOKEN, API_DIR, apiRoutes, createTestApp, rowCounts, sampleRun, type TestApp, type TestProject } from '../support/app.js';
import { chatSpan, gzip, otlpJson, otlpProtobuf } from '../support/otlp.js';

/**
 * Generated hostile requests against every route: wrong types, huge numbers,
 * deep nesting, wrong content types, bad cursors, SQL-looking strings, unknown
 * and prototype-polluting keys. Every request is invalid by construction, so the
 * expectation is exact: a 4xx in the one error shape, and not one row changed.
 */
const REQUESTS = Number(process.env.IRIS_FUZZ_REQUESTS ?? 10_000);

let app: TestApp;
let project: TestProject;
let budgetId = '';
let webhookId = '';

beforeAll(async () => {
  app = await createTestApp({ env: { CRON_SECRET: 'cron-secret-the-fuzzer-never-sends' } });
  project = await app.createProject('Fuzz target');
  const runs = Array.from({ length: 30 }, (_, i) => sampleRun({ latencyMs: i }));
  await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: runs });
  await app.request('/api/iris/experts', { method: 'POST', key: project.key, json: { expertId: 'planner', version: 1, signature: 's' } });
  const budget = await app.request('/api/iris/budgets', { method: 'POST', key: project.key, json: { name: 'fuzzed', period: 'day', amountUsd: 3 } });
  budgetId = ((await budget.json()) as { id: string }).id;
  const hook = await app.request('/api/iris/webhooks', { method: 'POST', key: project.key, json: { url: 'https://93.184.215.14/hook', eventTypes: ['budget.threshold_crossed'] } });
  webhookId = ((await hook.json()) as { id: string }).id;
});
afterAll(() => app.close());

const SQLISH = [
  "'; DROP TABLE model_runs; --",
  "1' OR '1'='1",
  '" OR 1=1 --',
  '$$; delete from projects; $$',
  "\\x27; select pg_sleep(10); --",
  '1); TRUNCATE api_keys CASCADE; --',
];
const HOSTILE_STRINGS = [
  ...SQLISH,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '💥'.repeat(300),
  'x'.repeat(70_000),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '%00',
  '${jndi:ldap://x}',
  'NaN',
  '-1',
  '1e309',
  '__proto__',
];
/** Cursors Iris never issues whose position Postgres would reject or misread (issue 11). */
const REFUSED_CURSORS = REFUSED_TIMESTAMPS.map((createdAt) => encodeCursor({ createdAt, id: '0b0f4a4e-2c2e-4b8e-9d7e-5a1f9d0c3b21' }));
const HUGE_NUMBERS = [-1, -1e308, 1e308, 2 ** 63, -(2 ** 63), 1.5e20, 0.1 + 1e16, Number.MAX_SAFE_INTEGER + 2];

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(...HOSTILE_STRINGS, ...HUGE_NUMBERS, null, true, false, [], {}, [[[[[]]]]], { $gt: '' }),
  fc.jsonValue({ maxDepth: 3 }),
);

type Field = { name: string; kind: 'string' | 'id' | 'number' | 'int' | 'enum' | 'bool' | 'object' | 'list' };
interface WriteSpec {
  /** @default 'POST' */
  method?: 'PUT' | 'PATCH' | 'DELETE';
  /** A getter where the path names something beforeAll creates. */
  path: string;
  valid: () => Record<string, unknown>;
  fields: Field[];
}

const WRITES: WriteSpec[] = [
  {
    path: '/api/iris/runs',
    valid: () => sampleRun(),
    fields: [
      { name: 'id', kind: 'id' },
      { name: 'expertId', kind: 'id' },
      { name: 'model', kind: 'id' },
      { name: 'latencyMs', kind: 'number' },
      { name: 'inputTokens', kind: 'int' },
      { name: 'outcome', kind: 'enum' },
      { name: 'confidence', kind: 'number' },
      { name: 'costUsd', kind: 'number' },
      { name: 'cacheReadTokens', kind: 'int' },
      { name: 'reasoningTokens', kind: 'int' },
    ],
  },
  {
    path: '/api/iris/experts',
    valid: () => ({ expertId: 'fuzzed', version: 1, signature: 'sig' }),
    fields: [
      { name: 'expertId', kind: 'id' },
      { name: 'version', kind: 'int' },
      { name: 'signature', kind: 'string' },
    ],
  },
  {
    path: '/api/iris/reports',
    valid: () => ({ kind: 'health', healthScore: 50, overallHealth: 'healthy', severity: 'info', title: 't' }),
    fields: [
      { name: 'kind', kind: 'id' },
      { name: 'healthScore', kind: 'int' },
      { name: 'overallHealth', kind: 'enum' },
      { name: 'severity', kind: 'enum' },
      { name: 'title', kind: 'string' },
    ],
  },
  {
    path: '/api/iris/reflexions',
    valid: () => ({ expertId: 'planner', kind: 'lesson', context: 'c', outcome: 'o', success: true, impactScore: 0.5 }),
    fields: [
      { name: 'expertId', kind: 'id' },
      { name: 'context', kind: 'string' },
      { name: 'success', kind: 'bool' },
      { name: 'impactScore', kind: 'number' },
    ],
  },
  {
    path: '/api/iris/webhooks',
    valid: () => ({ url: 'https://93.184.215.14/hook', eventTypes: ['budget.threshold_crossed'] }),
    fields: [
      { name: 'url', kind: 'string' },
      { name: 'eventTypes', kind: 'enum' },
    ],
  },
  {
    path: '/api/iris/budgets',
    valid: () => ({ name: 'fuzzed budget', period: 'day', amountUsd: 5 }),
    fields: [
      { name: 'name', kind: 'string' },
      { name: 'period', kind: 'enum' },
      { name: 'amountUsd', kind: 'number' },
    ],
  },
  {
    get path() {
      return `/api/iris/webhooks/${webhookId}/rotate-secret`;
    },
    // Its one field is optional: a valid body without it still rotates, so only the field itself is fuzzed.
    valid: () => ({ overlapSeconds: 60 }),
    fields: [{ name: 'overlapSeconds', kind: 'int' }],
  },
  {
    method: 'PATCH',
    get path() {
      return `/api/iris/webhooks/${webhookId}`;
    },
    // One field, so that leaving it out is a PATCH that changes nothing (422); the URL, so the SSRF guard gets the hostile strings.
    valid: () => ({ url: 'https://93.184.215.14/hook' }),
    fields: [{ name: 'url', kind: 'string' }],
  },
  {
    method: 'PATCH',
    get path() {
      return `/api/iris/budgets/${budgetId}`;
    },
    // One field, so that leaving it out is a PATCH that changes nothing.
    valid: () => ({ amountUsd: 7 }),
    fields: [{ name: 'amountUsd', kind: 'number' }],
  },
  {
    method: 'PUT',
    get path() {
      return `/api/admin/projects/${project.id}/prices`;
    },
    valid: () => ({ prices: [{ model: 'fuzz-model', inputPerMtok: 1, outputPerMtok: 2 }] }),
    fields: [{ name: 'prices', kind: 'list' }],
  },
  {
    path: '/api/iris/prompts',
    valid: () => ({ name: 'fuzzed-prompt', template: 'Hi {{x}}' }),
    fields: [
      { name: 'name', kind: 'id' },
      { name: 'template', kind: 'string' },
    ],
  },
  {
    // A label of a prompt the fuzz project does not have: a body that passes validation is a 404, never a write.
    method: 'DELETE',
    path: '/api/iris/prompts/fuzz-ghost/labels/staging',
    valid: () => ({ reason: 'retired' }),
    fields: [{ name: 'reason', kind: 'string' }],
  },
  {
    // A prompt the fuzz project does not have: a body that passes validation is a 404, never a write.
    path: '/api/iris/prompts/fuzz-ghost/versions',
    valid: () => ({ template: 'Hi {{x}}' }),
    fields: [
      { name: 'template', kind: 'string' },
      { name: 'status', kind: 'enum' },
    ],
  },
  {
    path: '/api/iris/prompts/fuzz-ghost/render',
    valid: () => ({ variables: { x: 'a' } }),
    fields: [
      { name: 'variables', kind: 'object' },
      { name: 'version', kind: 'int' },
      { name: 'label', kind: 'enum' },
    ],
  },
  {
    path: '/api/iris/experiments',
    valid: () => ({ key: 'fuzzed-exp', name: 'x', variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }] }),
    fields: [
      { name: 'key', kind: 'id' },
      { name: 'name', kind: 'string' },
      { name: 'variants', kind: 'enum' },
    ],
  },
  {
    path: '/api/admin/projects',
    valid: () => ({ name: 'fuzz' }),
    fields: [{ name: 'name', kind: 'string' }],
  },
  {
    path: '/api/admin/api-keys',
    valid: () => ({ projectId: project.id }),
    fields: [{ name: 'projectId', kind: 'id' }],
  },
];

/** A value that is certainly invalid for a field of this kind. */
function invalidFor(kind: Field['kind']): fc.Arbitrary<unknown> {
  const notString = fc.constantFrom<unknown>(null, 1, -1e308, true, [], {}, ['a'], { a: 1 });
  switch (kind) {
    case 'string':
      return fc.oneof(notString, fc.constantFrom('', 'x'.repeat(70_000), 'a\u0000b'));
    case 'id':
      return fc.oneof(notString, fc.constantFrom(...SQLISH, '', ' lead', 'x'.repeat(300), '../..', 'a b'));
    case 'number':
      return fc.constantFrom<unknown>('1', null, true, [], {}, -1, -1e308, 1e308, '1e309', 'NaN');
    case 'int':
      return fc.constantFrom<unknown>('1', null, true, [], {}, -1, 1.5, 1e308, 2 ** 63);
    case 'enum':
      return fc.constantFrom<unknown>('exploded', '', 'SUCCESS', 1, null, ['success'], ...SQLISH);
    case 'bool':
      return fc.constantFrom<unknown>('true', 1, 0, null, [], {});
    case 'object':
      return fc.constantFrom<unknown>('x', 1, [], null, true);
    case 'list':
      return fc.constantFrom<unknown>('x', 1, {}, null, true, [1], [{}], [null], ['a']);
  }
}

interface Generated {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A function for bodies built only when sent (large ones). */
  body?: BodyInit | (() => BodyInit);
  label: string;
}

/** Percent-encodes like encodeURIComponent, but lets lone surrogates through as invalid UTF-8 (%ED%A0%80). */
function enc(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\s\S]/g, (ch) => {
      const code = ch.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdfff) return `%ED%${(0xa0 + ((code >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 + (code & 0x3f)).toString(16).toUpperCase()}`;
      return encodeURIComponent(ch);
    });
  }
}

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** Fields a valid body may leave out: leaving them out makes no invalid request. */
const OPTIONAL_FIELDS = new Set(['id', 'confidence', 'costUsd', 'inputTokens', 'cacheReadTokens', 'reasoningTokens', 'overlapSeconds']);

function writeRequest(spec: WriteSpec): fc.Arbitrary<Generated> {
  const key = spec.path.startsWith('/api/admin') ? ADMIN_TOKEN : project.key;
  const json = (label: string, body: unknown, extra: Record<string, string> = {}): Generated => ({
    method: spec.method ?? 'POST',
    path: spec.path,
    headers: { ...auth(key), 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
    label: `${spec.path} ${label}`,
  });
  const field = fc.constantFrom(...spec.fields);
  const required = spec.fields.filter((f) => !OPTIONAL_FIELDS.has(f.name));
  return fc.oneof(
    // One field of the wrong type or out of range (other fields may hold SQL-looking text).
    fc.tuple(field, fc.constant(null)).chain(([f]) =>
      fc.tuple(fc.constant(f), invalidFor(f.kind), fc.constantFrom(...SQLISH)).map(([f2, bad]) => {
        const body = spec.valid();
        body[f2.name] = bad;
        return json(`field ${f2.name}=${String(JSON.stringify(bad)).slice(0, 40)}`, body);
      }),
    ),
    // A required field missing (a spec whose every field is optional has no such request: it draws another invalid field instead).
    ...(required.length === 0
      ? []
      : [
          fc.constantFrom(...required).map((f) => {
            const body = spec.valid();
            delete body[f.name];
            return json(`missing ${f.name}`, body);
          }),
        ]),
    // Unknown and prototype-polluting keys.
    fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'project_id', "x'; --"), hostileValue).map(([k, v]) => {
      const text = JSON.stringify(spec.valid()).replace(/}$/, `,${JSON.stringify(k)}:${JSON.stringify(v ?? null)}}`);
      return { ...json(`unknown key ${k}`, null), body: text };
    }),
    // A valid body that claims another project (admin bodies take projectId as a real argument).
    fc.uuid({ version: 4 }).map((other) => {
      const body = spec.valid();
      return spec.path.startsWith('/api/admin') ? json('projectId unknown', { ...body, projectId: other, name: 1 }) : json('foreign projectId', spec.path === '/api/iris/runs' ? { projectId: other, runs: [body] } : { ...body, projectId: other });
    }),
    // The wrong JSON shape altogether.
    fc.constantFrom<unknown>(null, 1, 'runs', true, [], [null], [[]], { runs: [] }, { runs: {} }, { runs: [1, 2] }).map((b) =>
      json(`shape ${JSON.stringify(b)}`, b),
    ),
    // Not JSON, or not declared as JSON.
    fc.constantFrom(
      { label: 'text/plain', type: 'text/plain', body: JSON.stringify(spec.valid()) },
      { label: 'form', type: 'application/x-www-form-urlencoded', body: 'a=1&b=2' },
      { label: 'no type', type: '', body: JSON.stringify(spec.valid()) },
      { label: 'truncated', type: 'application/json', body: JSON.stringify(spec.valid()).slice(0, -3) },
      { label: 'trailing garbage', type: 'application/json', body: JSON.stringify(spec.valid()) + 'garbage' },
      { label: 'empty', type: 'application/json', body: '' },
      { label: 'deep', type: 'application/json', body: '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) },
      { label: 'huge', type: 'application/json', body: JSON.stringify({ ...spec.valid(), pad: 'x'.repeat(1_200_000) }) },
      { label: 'xml', type: 'application/xml', body: '<runs/>' },
    ).map((v) => ({
      method: spec.method ?? 'POST',
      path: spec.path,
      headers: { ...auth(key), ...(v.type ? { 'content-type': v.type } : {}) },
      body: v.body,
      label: `${spec.path} ${v.label}`,
    })),
    fc.constant<Generated>({
      method: spec.method ?? 'POST',
      path: spec.path,
      headers: { ...auth(key), 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      label: `${spec.path} invalid utf-8`,
    }),
    // Duplicate keys: the last one wins in JSON.parse, so a valid first copy cannot smuggle in an invalid last one.
    field.chain((f) =>
      invalidFor(f.kind).map((bad) => {
        const valid = JSON.stringify(spec.valid());
        const text = valid.replace(/}$/, `,${JSON.stringify(f.name)}:${JSON.stringify(bad ?? null)}}`);
        return { ...json(`duplicate ${f.name}`, null), body: text };
      }),
    ),
    // A 10 MiB body, declared honestly or streamed without a length.
    fc.constantFrom('declared', 'streamed').map((how): Generated => {
      const body = () => {
        const big = new Uint8Array(10 * 1024 * 1024).fill(0x20);
        return how === 'declared'
          ? big
          : new ReadableStream<Uint8Array>({
              start(controller) {
                for (let i = 0; i < 10; i++) controller.enqueue(big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
                controller.close();
              },
            });
      };
      return { method: spec.method ?? 'POST', path: spec.path, headers: { ...auth(key), 'content-type': 'application/json' }, body, label: `${spec.path} 10 MiB ${how}` };
    }),
    // Hostile values in headers Iris reads or echoes.
    fc
      .tuple(
        fc.constantFrom('x-request-id', 'x-forwarded-for', 'x-real-ip', 'if-none-match', 'cache-control', 'origin', 'accept', 'idempotency-key'),
        fc.constantFrom(...SQLISH, '', ' ', 'x'.repeat(8_000), '"unterminated', '*, *, *', '999.999.999.999', '<script>'),
      )
      .map(([header, value]) => {
        const body = spec.valid();
        body[spec.fields[0]!.name] = null;
        return { ...json(`header ${header}`, body, { [header]: value }) };
      }),
    // An Idempotency-Key no key can be, on an otherwise valid write: refused before anything is written.
    fc
      .constantFrom('', ' ', 'short', '""', 'x'.repeat(256), '"unterminated-key', 'two words here', 'a,b,c,d,e,f,g,h', ...SQLISH)
      .map((bad) => json(`idempotency-key ${JSON.stringify(bad).slice(0, 30)}`, spec.valid(), { 'idempotency-key': bad })),
    // Credentials that do not authenticate.
    fc.constantFrom('', 'Bearer', 'Bearer ', `Bearer ${key}x`, `Basic ${btoa('a:b')}`, `Bearer iris_sk_${'A'.repeat(43)}`, `Bearer ${SQLISH[0]}`).map(
      (h) => ({
        method: spec.method ?? 'POST',
        path: spec.path,
        headers: { ...(h ? { authorization: h } : {}), 'content-type': 'application/json' },
        body: JSON.stringify(spec.valid()),
        label: `${spec.path} auth ${h.slice(0, 20)}`,
      }),
    ),
  );
}

const READ_PATHS = [
  '/api/iris/overview',
  '/api/iris/stats/tokens',
  '/api/iris/stats/performance',
  '/api/iris/stats/timeseries',
  '/api/iris/stats/breakdown',
  '/api/iris/prices',
  '/api/iris/prices/unknown-models',
  '/api/iris/experts',
  '/api/iris/reports',
  '/api/iris/reflexions',
  '/api/iris/runs',
  '/api/admin/api-keys',
  '/api/admin/projects',
  '/api/cron/retention',
  '/api/iris/webhooks',
  '/api/iris/prompts',
  '/api/iris/prompts/fuzz-ghost',
  '/api/iris/prompts/fuzz-ghost/versions',
  '/api/iris/prompts/fuzz-ghost/labels/production',
  '/api/iris/experiments',
  '/api/iris/experiments/fuzz-ghost',
  '/api/iris/experiments/fuzz-ghost/assignment',
  '/api/iris/experiments/fuzz-ghost/results',
  '/api/cron/webhooks',
  '/api/health/detailed',
  '/api/iris/budgets',
  '/api/iris/budgets/check',
];
/** Read paths that take the admin token. */
const operatorPath = (path: string) => path.startsWith('/api/admin') || path === '/api/health/detailed';
const QUERY_KEYS = [
  'from', 'to', 'limit', 'cursor', 'active', 'expertId', 'projectId', 'unknown', '__proto__', 'constructor',
  'metric', 'interval', 'groupBy', 'top', 'by', 'sort', 'order', 'label', 'version', 'subject', 'alpha', 'plannedRuns',
];

const readRequest = (): fc.Arbitrary<Generated> =>
  fc
  .tuple(
    fc.constantFrom(...READ_PATHS),
    fc.array(
      fc.tuple(
        fc.constantFrom(...QUERY_KEYS),
        fc.oneof(fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 1000)), fc.constantFrom(...REFUSED_TIMESTAMPS, ...REFUSED_CURSORS), fc.string()),
      ),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  )
  .filter(([, params]) => params.some(([k, v]) => !isHarmless(k, v)))
  .map(([path, params]) => {
    const qs = params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    return {
      method: 'GET',
      path: `${path}?${qs}`,
      headers: auth(operatorPath(path) ? ADMIN_TOKEN : project.key),
      label: `GET ${path}?${qs.slice(0, 60)}`,
    };
  });

/** A query parameter that some route could accept; requests made only of such parameters are skipped. */
function isHarmless(key: string, value: string): boolean {
  if (key === 'from' || key === 'to') return pgTimestampMs(value) !== null;
  if (key === 'limit') return /^\s*\d+\s*$/.test(value);
  if (key === 'active') return value === 'true' || value === 'false';
  if (key === 'expertId') return /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/.test(value);
  return false;
}

const pathRequest = (): fc.Arbitrary<Generated> =>
  fc
  .tuple(
    fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 200), 'ghost-expert', '..', '%2e%2e', 'planner%00'),
    fc.constantFrom(
      '/api/iris/experts/:x/usage',
      '/api/admin/api-keys/:x/revoke',
      '/api/admin/api-keys/:x/rotate',
      '/api/iris/webhooks/:x',
      '/api/iris/webhooks/:x/deliveries',
      '/api/iris/webhooks/:x/test',
      '/api/iris/webhooks/:x/rotate-secret',
      '/api/iris/budgets/:x',
      '/api/admin/projects/:x/prices',
      '/api/iris/no-such-route/:x',
      '/api/iris/prompts/:x',
      '/api/iris/prompts/:x/versions',
      '/api/iris/prompts/:x/render',
      '/api/iris/prompts/:x/labels/production',
      '/api/iris/prompts/fuzz-ghost/labels/:x',
      '/api/iris/prompts/fuzz-ghost/versions/:x',
      '/api/iris/experiments/:x',
      '/api/iris/experiments/:x/assignment',
      '/api/iris/experiments/:x/results',
    ),
    fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
  )
  .map(([segment, template, method]) => {
    const path = template.replace(':x', enc(segment).replace(/\./g, '%2E'));
    const key = template.startsWith('/api/admin') ? ADMIN_TOKEN : project.key;
    return { method, path, headers: auth(key), label: `${method} ${path.slice(0, 80)}` };
  });

const methodRequest = (): fc.Arbitrary<Generated> =>
  fc
  .tuple(fc.constantFrom(...READ_PATHS, '/api/health'), fc.constantFrom('PUT', 'PATCH', 'DELETE', 'PROPFIND'))
  .map(([path, method]) => ({ method, path, headers: auth(project.key), label: `${method} ${path}` }));

/** Built after beforeAll, when the project and its key exist. */
const anyRequest = () =>
  fc.oneof(
    { arbitrary: fc.oneof(...WRITES.map(writeRequest)), weight: 6 },
    { arbitrary: readRequest(), weight: 3 },
    { arbitrary: pathRequest(), weight: 1 },
    { arbitrary: methodRequest(), weight: 1 },
  );

/**
 * What is wrong with an error response, or null: Iris's JSON error shape whose
 * requestId is the `X-Request-Id` header, and the security headers every
 * response carries (docs/security.md).
 */
function errorShapeProblem(status: number, header: (name: string) => string | null | undefined, text: string): string | null {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (header(name) !== value) return `${status} without ${name}`;
  const requestId = header('x-request-id');
  if (!requestId) return `${status} without X-Request-Id`;
  let body: { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `${status} with a body that is not JSON`;
  }
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.requestId !== requestId) {
    return `${status} with a bad error shape`;
  }
  return null;
}

describe('hostile input', () => {
  it(`answers ${REQUESTS.toLocaleString('en')} generated malformed requests with a 4xx in the error shape and changes nothing`, async () => {
    const before = await rowCounts(app.db);
    const requests = fc.sample(anyRequest(), { numRuns: REQUESTS, seed: 20261124 });
    const failures: string[] = [];
    const statuses = new Map<number, number>();

    for (let i = 0; i < requests.length; i += 8) {
      await Promise.all(
        requests.slice(i, i + 8).map(async (r) => {
          const sent = typeof r.body === 'function' ? r.body() : r.body;
          const res = await app.request(r.path, { method: r.method, headers: r.headers, body: sent, ...(sent instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          if (res.status < 400 || res.status >= 500) {
            failures.push(`${res.status} ${r.label}: ${text.slice(0, 200)}`);
            return;
          }
          const problem = errorShapeProblem(res.status, (name) => res.headers.get(name), text);
          if (problem) failures.push(`${problem} for ${r.label}: ${text.slice(0, 200)}`);
        }),
      );
    }

    expect(failures).toEqual([]);
    expect(await rowCounts(app.db)).toEqual(before);
    // The generator reached the validation, auth, media-type, size and routing paths.
    for (const status of [400, 401, 403, 404, 405, 413, 415, 422]) expect(statuses.get(status) ?? 0, `status ${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
  });
});

describe('values that pass a plain ISO check but not Postgres', () => {
  const STATS = ['/api/iris/stats/tokens', '/api/iris/stats/performance', '/api/iris/stats/timeseries', '/api/iris/stats/breakdown?by=model'];
  const LISTS = ['/api/iris/reports', '/api/iris/reflexions', '/api/iris/runs', '/api/iris/webhooks'];
  /** A project of its own, with budgets the fuzzing above has not spent. */
  let dated: TestProject;
  beforeAll(async () => {
    dated = await app.createProject('dates', { rateLimit: { readsPerMinute: 1_000_000, writesPerMinute: 1_000_000 } });
  });

  it('answers every refused date in from= and to= on the stats routes with a 422, in the error shape', async () => {
    const failures: string[] = [];
    for (const path of STATS) {
      for (const value of REFUSED_TIMESTAMPS) {
        for (const query of [`to=${enc(value)}`, `from=${enc(value)}`, `from=${enc(value)}&to=${enc(value)}`]) {
          const res = await app.request(`${path}${path.includes('?') ? '&' : '?'}${query}`, { key: dated.key });
          const text = await res.text();
          const problem = res.status === 422 ? errorShapeProblem(res.status, (name) => res.headers.get(name), text) : `${res.status}`;
          if (problem) failures.push(`${problem} GET ${path}?${query}: ${text.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers every cursor holding a refused date with a 422 on every list route', async () => {
    const failures: string[] = [];
    for (const path of LISTS) {
      for (const cursor of REFUSED_CURSORS) {
        const res = await app.request(`${path}?cursor=${cursor}`, { key: dated.key });
        const text = await res.text();
        const problem = res.status === 422 ? errorShapeProblem(res.status, (name) => res.headers.get(name), text) : `${res.status}`;
        if (problem) failures.push(`${problem} GET ${path}?cursor=${atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))}: ${text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses a run whose createdAt Postgres would reject, storing nothing', async () => {
    const before = await rowCounts(app.db);
    for (const createdAt of REFUSED_TIMESTAMPS) {
      const res = await app.request('/api/iris/runs', { method: 'POST', key: dated.key, json: [sampleRun({ createdAt })] });
      expect(res.status, createdAt).toBe(422);
    }
    expect(await rowCounts(app.db)).toEqual(before);
  });
});

describe('values the database refuses', () => {
  it('answers them with a 422 on a cached read, cold or with a copy in grace, and serves no stale copy for them', async () => {
    let now = Date.UTC(2026, 10, 24, 7);
    let chaos!: ChaosDb;
    const instance = await createTestApp({ wrapDb: (db) => (chaos = createChaosDb(db)), now: () => now });
    try {
      const p = await instance.createProject('refused values');
      expect((await instance.request('/api/iris/reports', { key: p.key })).status).toBe(200);
      chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '22008', 'date/time field value out of range: "2026-02-30"') }, ['list_reports', 'list_model_runs']);
      // Cold: no copy at all, which an outage would turn into a 503.
      const cold = await instance.request('/api/iris/runs', { key: p.key });
      expect(cold.status).toBe(422);
      expect(await cold.json()).toMatchObject({ error: { code: 'validation_failed', details: { sqlState: '22008' } } });
      // Warm, past its stale window but inside its grace window, where an outage would serve the copy.
      now += 90_000;
      const warm = await instance.request('/api/iris/reports', { key: p.key });
      expect(warm.status).toBe(422);
      expect(warm.headers.get('x-cache')).toBeNull();
      // Logged as a warning that names the function and the SQLSTATE, never the value.
      const logged = instance.logs.filter((line) => line.includes('request failed'));
      expect(logged.length).toBeGreaterThan(0);
      for (const line of logged) {
        expect(JSON.parse(line)).toMatchObject({ level: 'warn', sqlState: '22008', status: 422 });
        expect(line).not.toContain('2026-02-30');
      }
    } finally {
      await instance.close();
    }
  });
});

describe('every method on every route', () => {
  /** Sends one request over HTTP, as a client would: Node's parser and @hono/node-server stand between it and the route. */
  function send(port: number, method: string, path: string, headers: Record<string, string>) {
    return new Promise<{ status: number; header: (name: string) => string | undefined; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const value = (name: string) => {
            const v = res.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          };
          resolve({ status: res.statusCode ?? 0, header: value, text });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  // CONNECT asks for a tunnel: Node's server (like Vercel's edge) never hands it to a route.
  const methods = METHODS.filter((m) => m !== 'CONNECT');

  it(`answers ${methods.length} methods on every route, bracket paths included, without a 5xx and in the error shape with Iris's headers`, async () => {
    const instance = await createTestApp();
    const p = await instance.createProject('methods');
    // The local server closes the instance's services when it stops.
    const server = await startLocalServer({ apiDir: API_DIR, services: instance.services, port: 0 });
    try {
      const paths: { path: string; auth: string | null }[] = [];
      for (const route of await apiRoutes()) {
        const auth = route.path.startsWith('/api/admin') ? ADMIN_TOKEN : route.path.startsWith('/api/iris') ? p.key : null;
        paths.push({ path: route.path.replace(/:(\w+)/g, 'ghost'), auth });
        if (route.dynamic) {
          // Vercel may hand the function its file path, with the value as a query parameter.
          const file = route.path.replace(/:(\w+)/g, '[$1]');
          const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
          paths.push({ path: `${file}?${names.map((n) => `${n}=ghost`).join('&')}`, auth }, { path: file, auth });
        }
      }
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      for (const { path, auth } of paths) {
        await Promise.all(
          methods.map(async (method) => {
            const res = await send(server.port, method, path, auth ? { authorization: `Bearer ${auth}` } : {});
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500) failures.push(`${res.status} ${method} ${path}: ${res.text.slice(0, 120)}`);
            else if (res.status >= 400 && method !== 'HEAD') {
              const problem = errorShapeProblem(res.status, res.header, res.text);
              if (problem) failures.push(`${problem}: ${method} ${path}: ${res.text.slice(0, 120)}`);
            } else if (!res.header('x-request-id') || res.header('x-content-type-options') !== 'nosniff') {
              failures.push(`${res.status} ${method} ${path} without Iris's headers`);
            }
          }),
        );
      }
      expect(failures).toEqual([]);
      expect(statuses.get(405) ?? 0).toBeGreaterThan(paths.length * (methods.length - 4));
    } finally {
      await server.close();
    }
  });
});

describe('hostile OTLP exports', () => {
  const PATH = '/api/otel/v1/traces';
  const PROTOBUF = { 'content-type': 'application/x-protobuf' };
  // A project of its own with room for every request: the fuzzer would use up the default write limit.
  let target: TestProject;
  beforeAll(async () => {
    target = await app.createProject('OTLP fuzz target', { rateLimit: { writesPerMinute: 1_000_000 } });
  });
  const send = (body: Uint8Array | string, headers: Record<string, string>) => app.request(PATH, { method: 'POST', key: target.key, headers, body: body as BodyInit });

  /** A nesting of kvlist values `depth` deep, as raw protobuf (encoders recurse; this does not). */
  function deepAttribute(depth: number): Uint8Array {
    const field = (tag: number, bytes: Uint8Array) => {
      const length: number[] = [];
      for (let n = bytes.length; ; n >>>= 7) {
        if (n < 0x80) { length.push(n); break; }
        length.push((n & 0x7f) | 0x80);
      }
      return Uint8Array.from([tag, ...length, ...bytes]);
    };
    let value = field(0x0a, new TextEncoder().encode('x')); // AnyValue.string_value
    for (let i = 0; i < depth; i++) value = field(0x32, field(0x0a, Uint8Array.from([...field(0x0a, Uint8Array.of(0x6b)), ...field(0x12, value)]))); // kvlist_value { values { key: "k", value } }
    const kv = Uint8Array.from([...field(0x0a, new TextEncoder().encode('deep')), ...field(0x12, value)]);
    const span = Uint8Array.from([...field(0x0a, new Uint8Array(16).fill(1)), ...field(0x12, new Uint8Array(8).fill(2)), ...field(0x4a, kv)]);
    return field(0x0a, field(0x12, field(0x12, span))); // resource_spans { scope_spans { spans } }
  }

  it('answers malformed protobuf, truncated gzip, wrong content types and oversized bodies with a 4xx, changing nothing', async () => {
    const before = await rowCounts(app.db);
    const valid = otlpProtobuf(otlpJson([chatSpan()]));
    const zipped = gzip(valid);
    const cases: [Uint8Array | string, Record<string, string>][] = [
      [Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), PROTOBUF],
      [valid.subarray(0, valid.length - 3), PROTOBUF],
      [zipped.subarray(0, zipped.length - 8), { ...PROTOBUF, 'content-encoding': 'gzip' }],
      [valid, { ...PROTOBUF, 'content-encoding': 'gzip' }],
      [zipped, { ...PROTOBUF, 'content-encoding': 'deflate, br' }],
      [valid, { 'content-type': 'application/grpc' }],
      [valid, { 'content-type': 'text/plain' }],
      [valid, {}],
      ['{"resourceSpans":', { 'content-type': 'application/json' }],
      ['[1,2,3]', { 'content-type': 'application/json' }],
      ['"\ud800"', { 'content-type': 'application/json' }],
      ['['.repeat(100) + ']'.repeat(100), { 'content-type': 'application/json' }],
      [new Uint8Array(4_600_000), PROTOBUF],
      [gzip(new Uint8Array(40 * 1024 * 1024)), { ...PROTOBUF, 'content-encoding': 'gzip' }],
      [valid, { ...PROTOBUF, 'content-length': 'lots' }],
    ];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.boolean(), async (bytes, zip) => {
        const res = await send(zip ? gzip(bytes).subarray(0, Math.max(1, bytes.length % 40)) : bytes, { ...PROTOBUF, ...(zip ? { 'content-encoding': 'gzip' } : {}) });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    for (const [body, headers] of cases) {
      const res = await send(body, headers);
      expect(res.status, `${JSON.stringify(headers)} ${String(body).slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(await rowCounts(app.db)).toEqual(before);
  });

  it('answers absurd attribute values without a 5xx: impossible numbers are rejected spans, absurd strings are cut', async () => {
    const before = await rowCounts(app.db);
    const absurd = [1e308, -1, 2 ** 63, 1.5, 'NaN', '1e309', '-0', '9'.repeat(400)].map((n) => chatSpan({ attributes: { 'gen_ai.usage.input_tokens': n } }));
    const res = await app.request(PATH, { method: 'POST', key: target.key, json: otlpJson(absurd) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedSpans: String(absurd.length) } });
    expect(await rowCounts(app.db)).toEqual(before);

    const strings = HOSTILE_STRINGS.flatMap((s) => [chatSpan({ model: s }), chatSpan({ attributes: { 'gen_ai.agent.name': s, 'iris.prompt.version': s, '__proto__': s } })]);
    const mixed = await app.request(PATH, { method: 'POST', key: target.key, json: otlpJson(strings, { 'service.name': 'x'.repeat(70_000), constructor: '💥' }) });
    expect(mixed.status).toBe(200);
    for (const depth of [10, 3000]) {
      const deep = await send(deepAttribute(depth), PROTOBUF);
      expect(deep.status, `depth ${depth}`).toBeLessThan(500);
    }
  });
});
