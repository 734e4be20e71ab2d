/**
 * Whether Iris exports its own traces, and where to: read from the standard
 * OpenTelemetry environment variables (the OTLP exporter and batch span
 * processor variables of the OpenTelemetry specification), so an operator
 * configures Iris as any other instrumented service.
 *
 * Pure: `lib/config.ts` hands it the environment. When nothing is configured
 * the answer is `null` and the request path does no tracing work at all.
 */

/** OTLP/HTTP encodings @vercel/otel can send (it has no gRPC exporter). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type TracingConfig =
  | {
      /** An OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces). */
      exporter: 'otlp';
      /** The full traces URL spans are posted to. */
      url: string;
      protocol: OtlpProtocol;
      /** Headers sent with each export (OTEL_EXPORTER_OTLP_HEADERS and _TRACES_HEADERS): often a vendor's token, so never logged. */
      headers: Record<string, string>;
      batch: BatchConfig;
      serviceName: string;
    }
  | {
      /** Vercel's own collector, which Vercel announces with VERCEL_OTEL_ENDPOINTS when a trace drain is configured. */
      exporter: 'vercel';
      batch: BatchConfig;
      serviceName: string;
    };

/** The batch span processor's bounds (OTEL_BSP_*): spans wait in a bounded queue and leave in batches. */
export interface BatchConfig {
  /** Longest a span waits before its batch is sent, in ms. @default 5000 */
  scheduledDelayMillis: number;
  /** Spans kept waiting at most; beyond it new spans are dropped (the SDK counts them). @default 2048 */
  maxQueueSize: number;
  /** Spans per export request. @default 512 */
  maxExportBatchSize: number;
  /** Deadline of one export request, in ms. @default 10000 */
  exportTimeoutMillis: number;
}

export const BATCH_DEFAULTS: Readonly<BatchConfig> = Object.freeze({
  scheduledDelayMillis: 5_000,
  maxQueueSize: 2_048,
  maxExportBatchSize: 512,
  exportTimeoutMillis: 10_000,
});

export const DEFAULT_SERVICE_NAME = 'iris';

/** The result of reading the environment: a config (or null: tracing off) and what is wrong with it. */
export interface TracingFromEnv {
  tracing: TracingConfig | null;
  problems: string[];
}

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

/**
 * `key1=value1,key2=value2` with URL-encoded values, as the specification
 * defines OTEL_EXPORTER_OTLP_HEADERS. Returns null for a malformed list (the
 * message never includes the values: they are usually credentials).
 */
export function parseOtlpHeaders(list: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const pair of list.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    const name = pair.slice(0, eq).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return null;
    try {
      out[name.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return out;
}

/** The traces URL: the signal-specific endpoint as given, or the base endpoint with `/v1/traces` appended. */
export function tracesUrl(base: string | undefined, signal: string | undefined): string | undefined {
  if (signal !== undefined) return signal;
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function positiveInt(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 600_000) {
    problems.push(`${name} must be a whole number between 1 and 600000`);
    return fallback;
  }
  return n;
}

/** Reads the tracing configuration from `env`; see docs/observability.md, "Iris's own traces". */
export function tracingFromEnv(env: Env): TracingFromEnv {
  const problems: string[] = [];
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { tracing: null, problems };
  const exporters = value(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporters === 'none') return { tracing: null, problems };
  if (exporters !== undefined && exporters !== 'otlp') problems.push(`OTEL_TRACES_EXPORTER must be otlp or none (got "${exporters}")`);

  const batch: BatchConfig = {
    scheduledDelayMillis: positiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY', BATCH_DEFAULTS.scheduledDelayMillis, problems),
    maxQueueSize: positiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', BATCH_DEFAULTS.maxQueueSize, problems),
    maxExportBatchSize: positiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', BATCH_DEFAULTS.maxExportBatchSize, problems),
    exportTimeoutMillis: positiveInt(env, 'OTEL_BSP_EXPORT_TIMEOUT', BATCH_DEFAULTS.exportTimeoutMillis, problems),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) problems.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE');
  const serviceName = value(env, 'OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME;

  const url = tracesUrl(value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'), value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'));
  if (url === undefined) {
    if (value(env, 'VERCEL_OTEL_ENDPOINTS') !== undefined) return { tracing: { exporter: 'vercel', batch, serviceName }, problems };
    return { tracing: null, problems };
  }
  if (!/^https?:\/\/[^/]/.test(url)) problems.push('OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) must be an http(s) URL');
  const protocol = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got "${protocol}"; gRPC is not supported on Vercel's runtimes)`);
  }
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const list = value(env, name);
    if (list === undefined) continue;
    const parsed = parseOtlpHeaders(list);
    if (parsed === null) problems.push(`${name} must be a list of name=value pairs separated by commas (values URL-encoded)`);
    else Object.assign(headers, parsed);
  }
  return { tracing: { exporter: 'otlp', url, protocol: protocol as OtlpProtocol, headers, batch, serviceName }, problems };
}
