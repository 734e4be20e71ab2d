/**
 * A client instrumented with the official OpenTelemetry JS SDK, run as a child
 * process by test/integration/otlp-sdk.test.ts: it records GenAI spans with
 * current and deprecated attributes (and an HTTP span Iris skips), exports
 * them with the exporter named by IRIS_OTLP_EXPORTER (`proto` or `http`)
 * through a BatchSpanProcessor, then exports the same spans once more, as an
 * exporter's retry would, and prints what it emitted as one JSON line.
 */
import { context, trace, SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const url = process.env.IRIS_OTLP_URL!;
const key = process.env.IRIS_OTLP_KEY!;
const kind = process.env.IRIS_OTLP_EXPORTER === 'http' ? 'http' : 'proto';
const makeExporter = (): SpanExporter => {
  const options = { url, headers: { Authorization: `Bearer ${key}` } };
  return kind === 'http' ? new JsonExporter(options) : new ProtoExporter(options);
};

const results: { code: number; error?: string }[] = [];
function recording(exporter: SpanExporter): SpanExporter {
  return {
    export: (spans, done) =>
      exporter.export(spans, (result) => {
        results.push({ code: result.code, ...(result.error ? { error: String(result.error) } : {}) });
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

const memory = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': `otel-sdk-${kind}`, 'service.version': '1.0.0' }),
  spanProcessors: [new BatchSpanProcessor(recording(makeExporter())), new SimpleSpanProcessor(memory)],
});
const tracer = provider.getTracer('iris-otlp-client', '1.0.0');

const emitted = { runs: 0, inputTokens: 0, outputTokens: 0, models: {} as Record<string, number> };
const count = (model: string, input: number, output: number) => {
  emitted.runs++;
  emitted.inputTokens += input;
  emitted.outputTokens += output;
  emitted.models[model] = (emitted.models[model] ?? 0) + 1;
};
const t0 = Date.now() - 5_000;
const at = (ms: number) => new Date(t0 + ms);

// Current semantic conventions (gen_ai.provider.name, input/output tokens, cache part).
for (const [i, [model, input, output]] of (
  [
    ['gpt-4o', 1200, 300],
    ['gpt-4o', 800, 100],
    ['claude-sonnet-4', 500, 50],
  ] as const
).entries()) {
  const span = tracer.startSpan(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    startTime: at(i * 100),
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': model.startsWith('gpt') ? 'openai' : 'anthropic',
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      'gen_ai.usage.cache_read.input_tokens': Math.floor(input / 2),
      'iris.expert_id': 'sdk-expert',
    },
  });
  span.end(at(i * 100 + 80));
  count(model, input, output);
}
// Deprecated names (gen_ai.system, prompt_tokens / completion_tokens, no operation name).
for (let i = 0; i < 2; i++) {
  const span = tracer.startSpan('openai.chat', {
    kind: SpanKind.CLIENT,
    startTime: at(500 + i * 100),
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-3.5-turbo',
      'gen_ai.usage.prompt_tokens': 40 + i,
      'gen_ai.usage.completion_tokens': 9,
    },
  });
  span.end(at(560 + i * 100));
  count('gpt-3.5-turbo', 40 + i, 9);
}
// An agent with a chat call inside it: the agent is a run of its own, without tokens.
const agent = tracer.startSpan('invoke_agent Planner', {
  startTime: at(1000),
  attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Planner', 'gen_ai.agent.id': 'planner-1' },
});
const inside = tracer.startSpan(
  'chat gpt-4o-mini',
  {
    startTime: at(1010),
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 70, 'gen_ai.usage.output_tokens': 7 },
  },
  trace.setSpan(context.active(), agent),
);
inside.end(at(1090));
agent.end(at(1100));
count('gpt-4o-mini', 70, 7);
count('agent:planner-1', 0, 0);
// Not a GenAI span: skipped.
tracer.startSpan('GET /health', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } }).end();

await provider.forceFlush();
// The exporter's retry: the very same spans exported again.
const again = recording(makeExporter());
await new Promise<void>((resolve) => again.export(memory.getFinishedSpans(), () => resolve()));
const spans = memory.getFinishedSpans().length;
await provider.shutdown();
await again.shutdown();
process.stdout.write(`${JSON.stringify({ emitted, results, spans })}\n`);
