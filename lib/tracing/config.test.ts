import { describe, expect, it } from 'vitest';
import { BATCH_DEFAULTS, parseOtlpHeaders, tracesUrl, tracingFromEnv } from './config.js';

describe('tracingFromEnv', () => {
  const cases: { name: string; env: Record<string, string>; exporter: 'otlp' | 'vercel' | null; url?: string; problem?: RegExp }[] = [
    { name: 'is off when nothing is configured', env: {}, exporter: null },
    {
      name: 'appends /v1/traces to the base endpoint',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      exporter: 'otlp',
      url: 'http://127.0.0.1:4318/v1/traces',
    },
    {
      name: 'appends it once to a base endpoint with a trailing slash',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/otlp/' },
      exporter: 'otlp',
      url: 'https://otel.example.com/otlp/v1/traces',
    },
    {
      name: 'takes the traces endpoint as it is, and over the base endpoint',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' },
      exporter: 'otlp',
      url: 'http://b:4318/custom',
    },
    { name: "uses Vercel's collector when Vercel announces it", env: { VERCEL_OTEL_ENDPOINTS: '1' }, exporter: 'vercel' },
    {
      name: 'is off with OTEL_SDK_DISABLED=true, whatever else is set',
      env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' },
      exporter: null,
    },
    { name: 'is off with OTEL_TRACES_EXPORTER=none', env: { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }, exporter: null },
    {
      name: 'refuses gRPC, which Vercel runtimes cannot send',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      exporter: 'otlp',
      problem: /http\/protobuf or http\/json/,
    },
    {
      name: 'refuses an endpoint that is not an http(s) URL',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      exporter: 'otlp',
      problem: /http\(s\) URL/,
    },
    {
      name: 'refuses a batch larger than the queue',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_BSP_MAX_QUEUE_SIZE: '10' },
      exporter: 'otlp',
      problem: /must not exceed/,
    },
    {
      name: 'refuses a schedule delay that is not a whole number',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_BSP_SCHEDULE_DELAY: '1.5' },
      exporter: 'otlp',
      problem: /OTEL_BSP_SCHEDULE_DELAY/,
    },
    {
      name: 'refuses an exporter other than otlp',
      env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' },
      exporter: 'otlp',
      problem: /otlp or none/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { tracing, problems } = tracingFromEnv(c.env);
      expect(tracing?.exporter ?? null).toBe(c.exporter);
      if (c.url) expect(tracing).toMatchObject({ url: c.url });
      if (c.problem) expect(problems.join('\n')).toMatch(c.problem);
      else expect(problems).toEqual([]);
    });
  }

  it('defaults to protobuf, the batch bounds of the specification and the service name iris', () => {
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' }).tracing).toEqual({
      exporter: 'otlp',
      url: 'http://a/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      batch: BATCH_DEFAULTS,
      serviceName: 'iris',
    });
  });

  it('merges the general and the traces headers, the traces ones winning, and never names their values in a problem', () => {
    const { tracing } = tracingFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20one,x-team=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=Bearer%20two',
    });
    expect(tracing).toMatchObject({ headers: { authorization: 'Bearer two', 'x-team': 'a' } });
    const broken = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_EXPORTER_OTLP_HEADERS: 'secret-value-without-a-name' });
    expect(broken.problems.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_HEADERS/);
    expect(broken.problems.join('\n')).not.toContain('secret-value');
  });
});

describe('parseOtlpHeaders', () => {
  const cases: [string, Record<string, string> | null][] = [
    ['a=1,b=2', { a: '1', b: '2' }],
    [' a = 1 , ', { a: '1' }],
    ['api-key=x%3Dy', { 'api-key': 'x=y' }],
    ['a==b', { a: '=b' }],
    ['=1', null],
    ['no-equals', null],
    ['bad name=1', null],
    ['a=%E0%A4%A', null],
  ];
  for (const [list, expected] of cases) {
    it(`reads ${JSON.stringify(list)} as ${JSON.stringify(expected)}`, () => expect(parseOtlpHeaders(list)).toEqual(expected));
  }
});

describe('tracesUrl', () => {
  it('is undefined without either endpoint', () => expect(tracesUrl(undefined, undefined)).toBeUndefined());
});
