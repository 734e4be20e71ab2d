import type { AttributeValue, Attributes, OtlpSpan } from './decode.js';

/**
 * Maps one OTLP span to an Iris run, or says why not. Pure: the span and its
 * ancestors in the same request in, a run (without its id) out. Every
 * attribute name below is written as its convention spells it:
 *
 * - OpenTelemetry GenAI semantic conventions, current and deprecated names
 *   (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/,
 *   https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-agent-spans/);
 * - OpenInference (https://github.com/Arize-ai/openinference/blob/main/spec/semantic_conventions.md);
 * - the Vercel AI SDK's telemetry (https://ai-sdk.dev/docs/ai-sdk-core/telemetry).
 *
 * docs/opentelemetry.md has the whole table; lib/otlp/map.test.ts one fixture per convention and version.
 */

/** Which attribute set a span was read with. */
export type Convention = 'gen_ai' | 'openinference' | 'ai_sdk';

/** What a run stands for: one model call (with tokens), one agent invocation or one tool execution (without). */
export type RunKind = 'model' | 'agent' | 'tool';

/** A run as POST /api/iris/runs would take it (RunBody's fields), before its id is derived. */
export interface MappedRun {
  expertId: string;
  agentId?: string;
  model: string;
  promptVersion?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Only agent and tool runs carry one (0): they have no tokens to price. */
  costUsd?: number;
  latencyMs: number;
  outcome: 'success' | 'failure';
  errorType?: string;
  metadata: Record<string, AttributeValue>;
  createdAt: string;
}

export type SpanMapping =
  | { result: 'run'; convention: Convention; kind: RunKind; run: MappedRun }
  /** Not a GenAI span (an HTTP or database span), or an AI SDK span that sums the model calls under it. */
  | { result: 'skipped'; convention: Convention | 'none'; reason: 'not_genai' | 'aggregate' }
  /** A GenAI span whose values cannot make a run; `message` says which attribute. */
  | { result: 'rejected'; convention: Convention | 'none'; message: string };

/** Up to this many ancestors are searched for the expert, agent and prompt version. */
export const MAX_ANCESTORS = 16;
/** Longest string kept in metadata. */
export const MAX_METADATA_STRING = 256;
/** The largest token count accepted on a span (as on POST /api/iris/runs). */
export const MAX_TOKENS = 100_000_000;
/** The longest span accepted as a run (as on POST /api/iris/runs: 24 h). */
export const MAX_LATENCY_MS = 86_400_000;

const MODEL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

// First present wins. Current names before deprecated ones, then the other conventions.
const MODEL = ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'embedding.model_name', 'ai.response.model', 'ai.model.id'];
const PROVIDER = ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'ai.model.provider'];
const INPUT = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.token_count.prompt',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
  'ai.usage.tokens',
];
const OUTPUT = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.token_count.completion',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
];
const CACHE_READ = [
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'llm.token_count.prompt_details.cache_read',
  'ai.usage.cachedInputTokens',
  'ai.usage.inputTokenDetails.cacheReadTokens',
];
const CACHE_WRITE = [
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'llm.token_count.prompt_details.cache_write',
  'ai.usage.inputTokenDetails.cacheWriteTokens',
];
const REASONING = [
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.usage.reasoning_tokens',
  'llm.token_count.completion_details.reasoning',
  'ai.usage.reasoningTokens',
  'ai.usage.outputTokenDetails.reasoningTokens',
];
// Read on the span, then on its ancestors (a chat span inside an invoke_agent span belongs to that agent).
const EXPERT = [
  'iris.expert_id',
  'ai.telemetry.metadata.iris.expert_id',
  'gen_ai.prompt.name',
  'gen_ai.agent.name',
  'gen_ai.agent.id',
  'agent.name',
  'ai.telemetry.functionId',
];
const AGENT = ['iris.agent_id', 'ai.telemetry.metadata.iris.agent_id', 'gen_ai.agent.id', 'gen_ai.agent.name', 'agent.name'];
const PROMPT_VERSION = ['iris.prompt.version', 'ai.telemetry.metadata.iris.prompt.version', 'gen_ai.prompt.version', 'llm.prompt_template.version'];
const TOOL = ['gen_ai.tool.name', 'tool.name', 'ai.toolCall.name'];
const RESOURCE_KEPT = [
  'service.name',
  'service.version',
  'service.namespace',
  'deployment.environment.name',
  'deployment.environment',
  'telemetry.sdk.language',
];

const IDENTIFIER_OUTSIDE = /[^A-Za-z0-9._:/@+-]/g;

/**
 * A value as an Iris identifier (model, expert, agent): characters outside
 * letters, digits and `. _ : / @ + -` become `-`, cut at 128; undefined when
 * nothing is left. "Support Agent" is `Support-Agent`.
 */
export function toIdentifier(value: string): string | undefined {
  const cleaned = value
    .replace(IDENTIFIER_OUTSIDE, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned.length > 0 ? cleaned : undefined;
}

// eslint-disable-next-line no-control-regex -- NUL is what Postgres refuses in text.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string Postgres can store: NUL removed, a lone surrogate (invalid UTF-16) made U+FFFD. */
export function storable(value: string): string {
  return value.replace(UNSTORABLE, (ch) => (ch === '\u0000' ? '' : '\ufffd'));
}

/** `value` cut to `length` UTF-16 units, still storable (a cut through a surrogate pair leaves U+FFFD). */
const cut = (value: string, length: number): string => storable(value.slice(0, length));

function first(attributes: Attributes, keys: readonly string[]): { key: string; value: AttributeValue } | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined && value !== null && value !== '') return { key, value };
  }
  return undefined;
}

function text(attributes: Attributes, keys: readonly string[]): string | undefined {
  const found = first(attributes, keys);
  if (!found) return undefined;
  return typeof found.value === 'string' ? storable(found.value) : typeof found.value === 'number' ? String(found.value) : undefined;
}

/** A token count: absent is undefined; anything but a whole number from 0 to MAX_TOKENS is a problem naming the attribute. */
function tokens(attributes: Attributes, keys: readonly string[]): number | undefined | { problem: string } {
  const found = first(attributes, keys);
  if (!found) return undefined;
  const n = typeof found.value === 'number' ? found.value : typeof found.value === 'string' && /^\d+$/.test(found.value) ? Number(found.value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_TOKENS) return { problem: `${found.key} must be a whole number from 0 to ${MAX_TOKENS}` };
  return n;
}

const isProblem = (value: unknown): value is { problem: string } => typeof value === 'object' && value !== null;

/** What kind of span this is, by the first convention whose marker attribute it carries. */
function classify(a: Attributes): { convention: Convention; kind: RunKind | 'aggregate' | 'other'; operation: string } | undefined {
  const aiOperation = a['ai.operationId'];
  if (typeof aiOperation === 'string') {
    // ai.generateText (and streamText, generateObject, embed, ...) sums the provider calls under it
    // (ai.generateText.doGenerate, .doStream, .doEmbed): only those are runs, so tokens are counted once.
    if (/\.do(?:Generate|Stream|Embed)$/.test(aiOperation)) return { convention: 'ai_sdk', kind: 'model', operation: aiOperation };
    if (aiOperation === 'ai.toolCall') return { convention: 'ai_sdk', kind: 'tool', operation: aiOperation };
    return { convention: 'ai_sdk', kind: aiOperation.startsWith('ai.') ? 'aggregate' : 'other', operation: aiOperation };
  }
  const oiKind = a['openinference.span.kind'];
  if (typeof oiKind === 'string') {
    const kind = oiKind.toUpperCase();
    const mapped = kind === 'LLM' || kind === 'EMBEDDING' ? 'model' : kind === 'TOOL' ? 'tool' : kind === 'AGENT' ? 'agent' : 'other';
    return { convention: 'openinference', kind: mapped, operation: kind };
  }
  const operation = a['gen_ai.operation.name'];
  if (typeof operation === 'string') {
    const kind = MODEL_OPERATIONS.has(operation) ? 'model' : operation === 'invoke_agent' ? 'agent' : operation === 'execute_tool' ? 'tool' : 'other';
    return { convention: 'gen_ai', kind, operation };
  }
  // Instrumentations older than gen_ai.operation.name (semconv 1.26) still name a system and a model.
  if (first(a, ['gen_ai.system', 'gen_ai.provider.name']) && first(a, ['gen_ai.request.model', 'gen_ai.response.model'])) {
    return { convention: 'gen_ai', kind: 'model', operation: 'chat' };
  }
  return undefined;
}

function clip(value: AttributeValue | undefined): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return cut(value, MAX_METADATA_STRING);
  return typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/** The run's metadata: where it came from in the trace, and the resource that sent it (bounded, a few keys). */
function metadataOf(span: OtlpSpan, convention: Convention, operation: string, provider: string | undefined, extra: Record<string, AttributeValue>) {
  const otel: Record<string, AttributeValue> = {
    traceId: span.traceId,
    spanId: span.spanId,
    spanName: cut(span.name, MAX_METADATA_STRING),
    convention,
    operation: cut(operation, MAX_METADATA_STRING),
  };
  if (span.parentSpanId) otel.parentSpanId = span.parentSpanId;
  if (provider) otel.provider = cut(provider, MAX_METADATA_STRING);
  if (span.scopeName) otel.scope = cut(span.scopeName, MAX_METADATA_STRING);
  for (const [key, value] of Object.entries(extra)) otel[key] = value;
  const resource: Record<string, AttributeValue> = {};
  for (const key of RESOURCE_KEPT) {
    const value = clip(span.resource[key]);
    if (value !== undefined) resource[key] = value;
  }
  return { otel, resource };
}

/**
 * Maps `span`; `ancestors` are its parent, grandparent, ... as far as the
 * request holds them (at most MAX_ANCESTORS are read).
 * @example
 * mapSpan(span, []) // { result: 'run', convention: 'gen_ai', kind: 'model', run: { model: 'gpt-4o', inputTokens: 10, ... } }
 */
export function mapSpan(span: OtlpSpan, ancestors: readonly OtlpSpan[] = []): SpanMapping {
  const a = span.attributes;
  const kind = classify(a);
  if (!kind) return { result: 'skipped', convention: 'none', reason: 'not_genai' };
  const { convention, operation } = kind;
  if (kind.kind === 'aggregate') return { result: 'skipped', convention, reason: 'aggregate' };
  if (kind.kind === 'other') return { result: 'skipped', convention, reason: 'not_genai' };
  const reject = (message: string): SpanMapping => ({ result: 'rejected', convention, message: `span ${span.spanId || '(no id)'}: ${message}` });

  if (!span.traceId || /^0+$/.test(span.traceId)) return reject('traceId must be 16 bytes, not all zero');
  if (!span.spanId || /^0+$/.test(span.spanId)) return reject('spanId must be 8 bytes, not all zero');
  if (!Number.isFinite(span.startMs) || span.startMs <= 0) return reject('startTimeUnixNano is missing');
  if (!Number.isFinite(span.endMs) || span.endMs < span.startMs) return reject('endTimeUnixNano is missing or before the start');
  // Both ends are ms since the epoch as float64 (about 0.2 µs apart at today's values), so their difference
  // carries float noise (419.99951171875 for 420 ms): keep whole microseconds.
  const latencyMs = Math.round((span.endMs - span.startMs) * 1000) / 1000;
  if (latencyMs > MAX_LATENCY_MS) return reject(`the span lasts longer than ${MAX_LATENCY_MS} ms`);

  const chain = [span, ...ancestors.slice(0, MAX_ANCESTORS)];
  const inherited = (keys: readonly string[]) => {
    for (const s of chain) {
      const value = text(s.attributes, keys);
      if (value !== undefined) return toIdentifier(value);
    }
    return undefined;
  };
  const provider = text(a, PROVIDER);
  const extra: Record<string, AttributeValue> = {};
  let model: string | undefined;
  let usage = { inputTokens: 0, outputTokens: 0 } as Pick<
    MappedRun,
    'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens'
  >;
  let costUsd: number | undefined;

  if (kind.kind === 'model') {
    const name = text(a, MODEL);
    model = name === undefined ? undefined : toIdentifier(name);
    if (!model) return reject(`no model: set ${MODEL.slice(0, 2).join(' or ')}`);
    const requested = text(a, ['gen_ai.request.model']);
    if (requested && requested !== name) extra.requestModel = cut(requested, MAX_METADATA_STRING);
    const counts = {
      input: tokens(a, INPUT),
      output: tokens(a, OUTPUT),
      cacheRead: tokens(a, CACHE_READ),
      cacheWrite: tokens(a, CACHE_WRITE),
      reasoning: tokens(a, REASONING),
    };
    for (const value of Object.values(counts)) if (isProblem(value)) return reject(value.problem);
    const n = counts as Record<keyof typeof counts, number | undefined>;
    let input = n.input ?? 0;
    let output = n.output ?? 0;
    // Iris's convention (docs/costs.md) counts cache reads and writes inside the input total and reasoning
    // inside the output total, as gen_ai.usage.* says. Some SDKs report Anthropic's native numbers, where the
    // input excludes the cache: parts larger than their total mean the total left them out, so they are added.
    const cached = (n.cacheRead ?? 0) + (n.cacheWrite ?? 0);
    if (cached > input) input += cached;
    if ((n.reasoning ?? 0) > output) output += n.reasoning!;
    if (input > MAX_TOKENS || output > MAX_TOKENS) return reject(`token counts above ${MAX_TOKENS}`);
    usage = { inputTokens: input, outputTokens: output };
    if (n.cacheRead !== undefined) usage.cacheReadTokens = n.cacheRead;
    if (n.cacheWrite !== undefined) usage.cacheWriteTokens = n.cacheWrite;
    if (n.reasoning !== undefined) usage.reasoningTokens = n.reasoning;
  } else if (kind.kind === 'agent') {
    const name = text(a, AGENT) ?? storable(span.name);
    model = toIdentifier(`agent:${name}`) ?? 'agent';
    // An agent span's usage sums its chat spans, which are runs of their own: kept, not counted twice.
    for (const [key, keys] of [
      ['inputTokens', INPUT],
      ['outputTokens', OUTPUT],
    ] as const) {
      const value = tokens(a, keys);
      if (typeof value === 'number') extra[key] = value;
    }
    const requested = text(a, ['gen_ai.request.model', 'llm.model_name']);
    if (requested) extra.requestModel = cut(requested, MAX_METADATA_STRING);
    costUsd = 0;
  } else {
    const name = text(a, TOOL) ?? storable(span.name);
    model = toIdentifier(`tool:${name}`) ?? 'tool';
    costUsd = 0;
  }

  const errorType =
    text(a, ['error.type']) ?? (span.exceptionType && storable(span.exceptionType)) ?? (span.statusCode === 2 ? 'span_status_error' : undefined);
  const agentId = inherited(AGENT);
  const expertId = inherited(EXPERT) ?? toIdentifier(text(span.resource, ['service.name']) ?? '') ?? 'otel';
  const promptVersion = chain.map((s) => text(s.attributes, PROMPT_VERSION)).find((v) => v !== undefined);

  const run: MappedRun = {
    expertId,
    model,
    ...usage,
    latencyMs,
    outcome: errorType === undefined ? 'success' : 'failure',
    metadata: metadataOf(span, convention, operation, provider, extra),
    createdAt: new Date(span.startMs).toISOString(),
  };
  if (agentId) run.agentId = agentId;
  if (promptVersion) run.promptVersion = cut(promptVersion, 64);
  if (errorType) run.errorType = cut(errorType, 128);
  if (costUsd !== undefined) run.costUsd = costUsd;
  return { result: 'run', convention, kind: kind.kind, run };
}

/**
 * Maps every span of one request, each with its ancestors found among the
 * request's spans (by trace and parent span id).
 */
export function mapSpans(spans: readonly OtlpSpan[]): SpanMapping[] {
  const byId = new Map<string, OtlpSpan>();
  for (const s of spans) if (s.spanId) byId.set(`${s.traceId}/${s.spanId}`, s);
  return spans.map((span) => {
    const ancestors: OtlpSpan[] = [];
    let parent = span.parentSpanId ? byId.get(`${span.traceId}/${span.parentSpanId}`) : undefined;
    while (parent && ancestors.length < MAX_ANCESTORS && parent !== span) {
      ancestors.push(parent);
      parent = parent.parentSpanId ? byId.get(`${parent.traceId}/${parent.parentSpanId}`) : undefined;
    }
    return mapSpan(span, ancestors);
  });
}
