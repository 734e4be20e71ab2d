/**
 * The Vercel AI SDK with telemetry on, run as a child process by
 * test/integration/otlp-sdk.test.ts: generateText and streamText on the SDK's
 * own mock language model, with `experimental_telemetry: { isEnabled: true }`,
 * exporting whatever spans the SDK really emits to Iris over OTLP/protobuf.
 * Prints the usage the SDK reported, as one JSON line.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { generateText, simulateReadableStream, streamText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';

const memory = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'ai-sdk-client' }),
  spanProcessors: [
    new BatchSpanProcessor(new OTLPTraceExporter({ url: process.env.IRIS_OTLP_URL!, headers: { Authorization: `Bearer ${process.env.IRIS_OTLP_KEY!}` } })),
    new SimpleSpanProcessor(memory),
  ],
});
provider.register();

const usage = (input: number, cacheRead: number, output: number, reasoning: number) => ({
  inputTokens: { total: input, noCache: input - cacheRead, cacheRead, cacheWrite: undefined },
  outputTokens: { total: output, text: output - reasoning, reasoning },
});
const model = new MockLanguageModelV3({
  modelId: 'mock-writer-1',
  doGenerate: async () => ({
    content: [{ type: 'text', text: 'Hello, world!' }],
    finishReason: { unified: 'stop', raw: undefined },
    usage: usage(10, 4, 20, 5),
    warnings: [],
  }),
  doStream: async () => ({
    stream: simulateReadableStream({
      chunks: [
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Hi' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage: usage(30, 0, 6, 0) },
      ],
    }),
  }),
});

const reported = { runs: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, reasoningTokens: 0 };
const telemetry = { isEnabled: true, functionId: 'ai-writer', metadata: { 'iris.prompt.version': 'p3' } };
for (let i = 0; i < 2; i++) {
  const result = await generateText({ model, prompt: 'Say hello', experimental_telemetry: telemetry });
  reported.runs++;
  reported.inputTokens += result.usage.inputTokens ?? 0;
  reported.outputTokens += result.usage.outputTokens ?? 0;
  reported.cacheReadTokens += result.usage.inputTokenDetails?.cacheReadTokens ?? 0;
  reported.reasoningTokens += result.usage.outputTokenDetails?.reasoningTokens ?? 0;
}
const stream = streamText({ model, prompt: 'Say hi', experimental_telemetry: telemetry });
await stream.consumeStream();
const streamed = await stream.usage;
reported.runs++;
reported.inputTokens += streamed.inputTokens ?? 0;
reported.outputTokens += streamed.outputTokens ?? 0;

await provider.forceFlush();
// Read before shutdown, which empties the in-memory exporter.
const spans = memory.getFinishedSpans().map((s) => ({ name: s.name, operationId: s.attributes['ai.operationId'] }));
await provider.shutdown();
process.stdout.write(`${JSON.stringify({ reported, spans })}\n`);
