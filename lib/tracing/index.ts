export {
  BATCH_DEFAULTS,
  parseOtlpHeaders,
  tracesUrl,
  tracingFromEnv,
  type BatchConfig,
  type OtlpProtocol,
  type TracingConfig,
  type TracingFromEnv,
} from './config.js';
export { traceDb, traceKv } from './decorators.js';
export {
  currentTraceId,
  setTracer,
  traceIdOfTraceparent,
  traceLogFields,
  tracingOn,
  withClientSpan,
  withRequestSpan,
  withSpan,
  type RequestSpanResult,
} from './spans.js';
export { flushTracing, startTracing, type StartTracingOptions } from './start.js';
