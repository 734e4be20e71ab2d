import { describe, expect, it } from 'vitest';
import type { Attributes, OtlpSpan } from './decode.js';
import { mapSpan, mapSpans, storable, toIdentifier, type SpanMapping } from './map.js';

const START = Date.parse('2026-11-30T10:00:00Z');

function span(attributes: Attributes, overrides: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    name: 'chat gpt-4o',
    kind: 3,
    startMs: START,
    endMs: START + 1234,
    attributes,
    statusCode: 0,
    statusMessage: '',
    exceptionType: undefined,
    resource: { 'service.name': 'support-bot', 'service.version': '1.2.3', 'host.name': 'not-kept' },
    scopeName: 'test',
    scopeVersion: '1',
    ...overrides,
  };
}

function run(mapping: SpanMapping) {
  if (mapping.result !== 'run') throw new Error(`expected a run, got ${JSON.stringify(mapping)}`);
  return mapping.run;
}

/** One fixture per convention and version: the attributes an instrumentation really sets, and the run they make. */
const FIXTURES: { name: string; attributes: Attributes; expected: Record<string, unknown> }[] = [
  {
    name: 'GenAI semconv 1.37+ (gen_ai.provider.name, cache and reasoning parts)',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'gen_ai.agent.name': 'Support Agent',
      'iris.prompt.version': 'v7',
    },
    expected: {
      model: 'gpt-4o-2024-08-06',
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadTokens: 1000,
      reasoningTokens: 100,
      expertId: 'Support-Agent',
      agentId: 'Support-Agent',
      promptVersion: 'v7',
    },
  },
  {
    name: 'GenAI semconv 1.26-1.36 (gen_ai.system, input/output tokens, operation name)',
    attributes: {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-3-5-haiku',
      'gen_ai.usage.input_tokens': '40',
      'gen_ai.usage.output_tokens': 2,
    },
    expected: { model: 'claude-3-5-haiku', inputTokens: 40, outputTokens: 2, expertId: 'support-bot' },
  },
  {
    name: 'GenAI semconv before 1.26 (deprecated prompt_tokens / completion_tokens, no operation name)',
    attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-3.5-turbo', 'gen_ai.usage.prompt_tokens': 11, 'gen_ai.usage.completion_tokens': 7 },
    expected: { model: 'gpt-3.5-turbo', inputTokens: 11, outputTokens: 7 },
  },
  {
    name: 'OpenLLMetry Anthropic (input tokens without the cache, cache_*_input_tokens)',
    attributes: {
      'gen_ai.system': 'Anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read_input_tokens': 900,
      'gen_ai.usage.cache_creation_input_tokens': 100,
    },
    expected: { model: 'claude-sonnet-4', inputTokens: 1020, outputTokens: 5, cacheReadTokens: 900, cacheWriteTokens: 100 },
  },
  {
    name: 'GenAI embeddings',
    attributes: {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 8,
    },
    expected: { model: 'text-embedding-3-small', inputTokens: 8, outputTokens: 0 },
  },
  {
    name: 'OpenInference LLM span (llm.model_name, llm.token_count.*)',
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'llm.provider': 'openai',
      'llm.token_count.prompt': 50,
      'llm.token_count.completion': 10,
      'llm.token_count.total': 60,
      'llm.token_count.prompt_details.cache_read': 20,
      'llm.token_count.completion_details.reasoning': 4,
      'llm.prompt_template.version': '3',
    },
    expected: { model: 'gpt-4o-mini', inputTokens: 50, outputTokens: 10, cacheReadTokens: 20, reasoningTokens: 4, promptVersion: '3' },
  },
  {
    name: 'OpenInference EMBEDDING span (embedding.model_name)',
    attributes: { 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'text-embedding-ada-002', 'llm.token_count.prompt': 3 },
    expected: { model: 'text-embedding-ada-002', inputTokens: 3 },
  },
  {
    name: 'Vercel AI SDK 4 (ai.generateText.doGenerate, ai.usage.promptTokens)',
    attributes: {
      'ai.operationId': 'ai.generateText.doGenerate',
      'operation.name': 'ai.generateText.doGenerate my-fn',
      'ai.model.id': 'gpt-4o',
      'ai.model.provider': 'openai.chat',
      'ai.usage.promptTokens': 30,
      'ai.usage.completionTokens': 12,
      'ai.telemetry.functionId': 'my-fn',
    },
    expected: { model: 'gpt-4o', inputTokens: 30, outputTokens: 12, expertId: 'my-fn' },
  },
  {
    name: 'Vercel AI SDK 5 and 6 (ai.usage.inputTokens, cachedInputTokens, reasoningTokens; gen_ai.* beside)',
    attributes: {
      'ai.operationId': 'ai.streamText.doStream',
      'ai.model.id': 'claude-sonnet-4-5',
      'ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.system': 'anthropic.messages',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'ai.usage.inputTokens': 100,
      'ai.usage.outputTokens': 40,
      'ai.usage.cachedInputTokens': 64,
      'ai.usage.reasoningTokens': 16,
      'ai.telemetry.metadata.iris.expert_id': 'writer',
    },
    expected: { model: 'claude-sonnet-4-5-20250929', inputTokens: 100, outputTokens: 40, cacheReadTokens: 64, reasoningTokens: 16, expertId: 'writer' },
  },
  {
    name: 'Vercel AI SDK embed (ai.embed.doEmbed, ai.usage.tokens)',
    attributes: { 'ai.operationId': 'ai.embed.doEmbed', 'ai.model.id': 'text-embedding-3-small', 'ai.usage.tokens': 9 },
    expected: { model: 'text-embedding-3-small', inputTokens: 9, outputTokens: 0 },
  },
];

describe('mapSpan', () => {
  for (const fixture of FIXTURES) {
    it(`maps a ${fixture.name} span to a model run`, () => {
      expect(run(mapSpan(span(fixture.attributes)))).toMatchObject({
        latencyMs: 1234,
        outcome: 'success',
        createdAt: '2026-11-30T10:00:00.000Z',
        ...fixture.expected,
      });
    });
  }

  it('keeps the trace and span ids and the resource in metadata, and leaves the cost to the price table', () => {
    const mapped = run(mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }, { parentSpanId: '00f067aa0ba902b7' })));
    expect(mapped.metadata).toEqual({
      otel: {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: '00f067aa0ba902b7',
        spanName: 'chat gpt-4o',
        convention: 'gen_ai',
        operation: 'chat',
        scope: 'test',
      },
      resource: { 'service.name': 'support-bot', 'service.version': '1.2.3' },
    });
    expect(mapped.costUsd).toBeUndefined();
  });

  it('makes an invoke_agent span an agent run without tokens, its own usage kept in metadata', () => {
    const mapping = mapSpan(
      span({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'agent_42', 'gen_ai.agent.name': 'Planner', 'gen_ai.usage.input_tokens': 500 }),
    );
    expect(mapping).toMatchObject({ result: 'run', kind: 'agent' });
    expect(run(mapping)).toMatchObject({ model: 'agent:agent_42', agentId: 'agent_42', expertId: 'Planner', inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect((run(mapping).metadata.otel as Record<string, unknown>).inputTokens).toBe(500);
  });

  it('makes an execute_tool span a tool run named after the tool', () => {
    expect(run(mapSpan(span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get weather' })))).toMatchObject({
      model: 'tool:get-weather',
      inputTokens: 0,
      costUsd: 0,
    });
    expect(run(mapSpan(span({ 'openinference.span.kind': 'TOOL', 'tool.name': 'search' })))).toMatchObject({ model: 'tool:search' });
    expect(run(mapSpan(span({ 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'lookup' })))).toMatchObject({ model: 'tool:lookup' });
  });

  it('gives a chat span the agent, expert and prompt version of the agent span around it', () => {
    const agent = span(
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'agent_42', 'iris.expert_id': 'triage', 'iris.prompt.version': '12' },
      { spanId: '1111111111111111' },
    );
    const chat = span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }, { parentSpanId: '1111111111111111' });
    const [, mapped] = mapSpans([agent, chat]);
    expect(run(mapped!)).toMatchObject({ agentId: 'agent_42', expertId: 'triage', promptVersion: '12' });
  });

  it('falls back to gen_ai.prompt.name for the expert', () => {
    expect(run(mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.prompt.name': 'summarize' })))).toMatchObject({
      expertId: 'summarize',
    });
  });

  it('records a failure from the span status and error.type', () => {
    expect(run(mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'error.type': 'RateLimitError' })))).toMatchObject({
      outcome: 'failure',
      errorType: 'RateLimitError',
    });
    expect(
      run(mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' }, { statusCode: 2, exceptionType: 'TimeoutError' }))),
    ).toMatchObject({ outcome: 'failure', errorType: 'TimeoutError' });
    expect(run(mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' }, { statusCode: 2 })))).toMatchObject({
      outcome: 'failure',
      errorType: 'span_status_error',
    });
  });

  it('skips spans of no GenAI convention and AI SDK spans that sum their model calls', () => {
    expect(mapSpan(span({ 'http.request.method': 'GET', 'url.full': 'https://x' }))).toEqual({ result: 'skipped', convention: 'none', reason: 'not_genai' });
    expect(mapSpan(span({ 'ai.operationId': 'ai.generateText', 'ai.usage.promptTokens': 30 }))).toEqual({
      result: 'skipped',
      convention: 'ai_sdk',
      reason: 'aggregate',
    });
    expect(mapSpan(span({ 'openinference.span.kind': 'CHAIN' }))).toMatchObject({ result: 'skipped', reason: 'not_genai' });
    expect(mapSpan(span({ 'gen_ai.operation.name': 'create_agent' }))).toMatchObject({ result: 'skipped' });
  });

  const model = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' };
  const REJECTED: [string, OtlpSpan, RegExp][] = [
    ['negative tokens', span({ ...model, 'gen_ai.usage.input_tokens': -1 }), /gen_ai.usage.input_tokens must be a whole number/],
    ['absurd tokens', span({ ...model, 'gen_ai.usage.output_tokens': 1e30 }), /gen_ai.usage.output_tokens/],
    ['fractional tokens', span({ ...model, 'gen_ai.usage.output_tokens': 1.5 }), /whole number/],
    ['tokens that are text', span({ ...model, 'gen_ai.usage.input_tokens': 'many' }), /whole number/],
    ['no model', span({ 'gen_ai.operation.name': 'chat' }), /no model/],
    ['a model of nothing but symbols', span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': '!!!' }), /no model/],
    ['an end before the start', span(model, { endMs: START - 1 }), /before the start/],
    ['no start time', span(model, { startMs: NaN }), /startTimeUnixNano/],
    ['a span longer than a day', span(model, { endMs: START + 86_400_001 }), /longer than/],
    ['an all-zero trace id', span(model, { traceId: '0'.repeat(32) }), /traceId/],
    ['a missing span id', span(model, { spanId: '' }), /spanId/],
  ];
  for (const [name, given, message] of REJECTED) {
    it(`rejects a GenAI span with ${name}, saying why`, () => {
      const mapping = mapSpan(given);
      expect(mapping.result).toBe('rejected');
      expect(mapping.result === 'rejected' && mapping.message).toMatch(message);
    });
  }

  it('cuts absurdly long names to identifiers and metadata strings to 256 characters', () => {
    const mapped = run(
      mapSpan(span({ ...model, 'gen_ai.request.model': 'm'.repeat(70_000), 'gen_ai.agent.name': 'a b'.repeat(10_000) }, { name: 'n'.repeat(5000) })),
    );
    expect(mapped.model).toHaveLength(128);
    expect(mapped.agentId).toHaveLength(128);
    expect(mapped.metadata.otel).toMatchObject({ spanName: 'n'.repeat(256) });
  });
});

describe('toIdentifier', () => {
  it('replaces characters outside an Iris identifier and drops leading symbols', () => {
    expect(toIdentifier('Support Agent')).toBe('Support-Agent');
    expect(toIdentifier('anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(toIdentifier('  x')).toBe('x');
    expect(toIdentifier('💥')).toBeUndefined();
  });
});

describe('storable', () => {
  it('removes NUL and replaces lone surrogates, keeping pairs', () => {
    expect(storable('a\u0000b')).toBe('ab');
    expect(storable('x\ud800y')).toBe('x\ufffdy');
    expect(storable('\udc00')).toBe('\ufffd');
    expect(storable('💥')).toBe('💥');
  });

  it('leaves no lone surrogate when a prompt version is cut through an emoji', () => {
    const mapped = mapSpan(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'iris.prompt.version': 'a' + '💥'.repeat(40) }));
    expect(mapped.result === 'run' && mapped.run.promptVersion).toBe('a' + '💥'.repeat(31) + '\ufffd');
  });
});
