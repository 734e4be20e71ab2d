/**
 * Registers the OpenTelemetry SDK for this process through `@vercel/otel`
 * (Node and Edge builds; on Vercel it also flushes spans before a function
 * instance freezes), loaded only when tracing is configured: an unconfigured
 * deployment never loads it.
 *
 * - `otlp`: one batch span processor exporting to the configured OTLP/HTTP
 *   endpoint, with Iris's bounds (the queue, the batch, the export deadline).
 * - `vercel`: @vercel/otel's automatic export to the collector of Vercel's
 *   trace drains.
 *
 * Either way W3C Trace Context is the propagator, and the fetch
 * instrumentation gives every outbound fetch a span; calls to Iris's own
 * backends (Supabase, Upstash) carry `traceparent` on.
 */
import { trace } from '@opentelemetry/api';
import type { TracingConfig } from './config.js';
import { setTracer } from './spans.js';

export interface StartTracingOptions {
  config: TracingConfig;
  /** service.version. */
  version: string;
  /** service.instance.id: the instance id of the fleet view. */
  instanceId: string;
  /**
   * URL prefixes whose requests carry `traceparent` on: Iris's own backends (the Supabase and
   * Upstash REST endpoints). Other outbound calls (webhook receivers) get a span but no trace context.
   */
  propagateTo: string[];
}

let registered: Promise<void> | null = null;

/** Registers the SDK once per process (later calls share the first); resolves when Iris's spans are on. */
export function startTracing(options: StartTracingOptions): Promise<void> {
  registered ??= register(options).catch((error: unknown) => {
    registered = null;
    throw error;
  });
  return registered;
}

async function register({ config, version, instanceId, propagateTo }: StartTracingOptions): Promise<void> {
  const { registerOTel, OTLPHttpJsonTraceExporter, OTLPHttpProtoTraceExporter } = await import('@vercel/otel');
  const attributes = { 'service.version': version, 'service.instance.id': instanceId };
  if (config.exporter === 'otlp') {
    const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const exporterOptions = { url: config.url, headers: config.headers, timeoutMillis: config.batch.exportTimeoutMillis };
    const exporter = config.protocol === 'http/json' ? new OTLPHttpJsonTraceExporter(exporterOptions) : new OTLPHttpProtoTraceExporter(exporterOptions);
    registerOTel({
      serviceName: config.serviceName,
      attributes,
      propagators: ['tracecontext'],
      spanProcessors: [new BatchSpanProcessor(exporter, config.batch)],
      instrumentations: ['fetch'],
      // The exporter's own requests are not traced.
      instrumentationConfig: { fetch: { ignoreUrls: [config.url], propagateContextUrls: propagateTo } },
    });
  } else {
    registerOTel({
      serviceName: config.serviceName,
      attributes,
      propagators: ['tracecontext'],
      instrumentations: ['fetch'],
      instrumentationConfig: { fetch: { propagateContextUrls: propagateTo } },
    });
  }
  setTracer(trace.getTracer('iris', version));
}

/** Sends the spans still waiting (before a process exits, and in tests). */
export async function flushTracing(): Promise<void> {
  if (registered === null) return;
  await registered;
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}
