import { sha256Hex } from '../auth/index.js';
import { HttpError } from '../errors.js';
import { defineRoute, parseJsonBody, readBodyBytes, respond, toHttpError, type RouteContext } from '../http/index.js';
import { retentionOf } from '../lifecycle/index.js';
import {
  CONTENT_TYPES,
  MAX_OTLP_BODY_BYTES,
  OtlpDecodeError,
  decodeJsonRequest,
  decodeProtobufRequest,
  encodingOf,
  errorBody,
  exportResponseBody,
  gunzip,
  isGzip,
  mapSpans,
  spanRunId,
  type Convention,
  type OtlpEncoding,
  type OtlpSpan,
} from '../otlp/index.js';
import { MAX_RUNS_PER_BATCH, RunSchema, type RunBody } from '../schemas/index.js';
import { MAX_BACKFILL_DAYS, MAX_CLOCK_SKEW_MS, storeRuns } from './runs.js';

const DAY_MS = 24 * 3600 * 1000;
/** OTLP JSON nests deeper than Iris's own bodies (resource, scope, span, attribute, value, array, ...). */
const MAX_OTLP_JSON_DEPTH = 64;
/** How many rejection reasons the partial-success message quotes. */
const MAX_QUOTED_REASONS = 3;

function unsupportedType(): HttpError {
  return new HttpError(415, 'unsupported_media_type', 'Send an ExportTraceServiceRequest as "Content-Type: application/x-protobuf" or "application/json".');
}

/** Bytes to spans: 413 past the limits, 400 for a body that is not an ExportTraceServiceRequest. */
async function readSpans(request: Request, encoding: OtlpEncoding): Promise<OtlpSpan[]> {
  const gzip = isGzip(request.headers.get('content-encoding'));
  let bytes = await readBodyBytes(request, MAX_OTLP_BODY_BYTES);
  if (gzip) bytes = await gunzip(bytes);
  if (encoding === 'protobuf') return decodeProtobufRequest(bytes);
  // An empty JSON body is no request; an empty protobuf body is a valid request with no spans.
  if (bytes.byteLength === 0) throw new OtlpDecodeError('The body is empty; send an ExportTraceServiceRequest.');
  return decodeJsonRequest(parseJsonBody(bytes, { maxBytes: Infinity, maxDepth: MAX_OTLP_JSON_DEPTH }));
}

/**
 * Spans to stored runs: each GenAI span mapped (lib/otlp/map.ts), held to the
 * run schema and the backfill window of POST /api/iris/runs, given a run id
 * derived from project, trace and span id (a retried span is a duplicate),
 * and stored through the same ingest path (pricing, rollups, budgets).
 */
async function ingest(c: RouteContext, spans: OtlpSpan[]): Promise<{ rejected: number; message: string }> {
  const { metrics, now } = c.get('services');
  const project = c.get('project');
  const nowMs = now();
  const oldestMs = nowMs - Math.min(MAX_BACKFILL_DAYS, retentionOf(project.settings).runsDays) * DAY_MS;
  const runs: RunBody[] = [];
  const reasons: string[] = [];
  const counts = new Map<string, number>();
  const count = (outcome: 'run' | 'skipped' | 'rejected', convention: Convention | 'none') => {
    const key = `${outcome}\n${convention}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const reject = (convention: Convention | 'none', message: string) => {
    count('rejected', convention);
    if (reasons.length < MAX_QUOTED_REASONS) reasons.push(message);
  };

  const mappings = mapSpans(spans);
  for (let i = 0; i < mappings.length; i++) {
    const mapped = mappings[i]!;
    const span = spans[i]!;
    if (mapped.result === 'skipped') count('skipped', mapped.convention);
    else if (mapped.result === 'rejected') reject(mapped.convention, mapped.message);
    else {
      const { run, convention } = mapped;
      const at = Date.parse(run.createdAt);
      const where = `span ${span.spanId}`;
      if (at > nowMs + MAX_CLOCK_SKEW_MS) reject(convention, `${where}: starts in the future`);
      else if (at < oldestMs) reject(convention, `${where}: is older than the project's backfill window`);
      else if (runs.length >= MAX_RUNS_PER_BATCH) reject(convention, `at most ${MAX_RUNS_PER_BATCH} GenAI spans per request; send smaller batches`);
      else {
        const id = spanRunId(await sha256Hex(`${project.id}\n${span.traceId}\n${span.spanId}`));
        const parsed = RunSchema.safeParse({ id, ...run });
        if (parsed.success) {
          runs.push(parsed.data);
          count('run', convention);
        } else {
          const issue = parsed.error.issues[0]!;
          reject(convention, `${where}: ${issue.path.join('.') || 'run'} ${issue.message}`);
        }
      }
    }
  }
  if (runs.length > 0) await storeRuns(c, runs);
  let rejected = 0;
  for (const [key, n] of counts) {
    const [outcome, convention] = key.split('\n') as ['run' | 'skipped' | 'rejected', Convention | 'none'];
    metrics.otlpSpans(outcome, convention, n);
    if (outcome === 'rejected') rejected += n;
  }
  const message = rejected === 0 ? '' : `${rejected} of ${spans.length} spans rejected: ${reasons.join('; ')}${rejected > reasons.length ? '; ...' : ''}`;
  return { rejected, message };
}

/**
 * An error in OTLP's shape: the status the spec asks for (400 is not retried
 * by exporters; 429 and 503 are, after Retry-After) with a google.rpc.Status
 * body in the request's encoding. A 5xx is left to the route's renderer,
 * which logs it (503s keep their Retry-After either way).
 */
function otlpError(c: RouteContext, encoding: OtlpEncoding, error: unknown): Response {
  if (error instanceof OtlpDecodeError) error = new HttpError(400, 'invalid_otlp', error.message);
  const { http, log } = toHttpError(error, 'POST');
  // A 5xx (and its logging) is the route renderer's; a 4xx is answered here, in OTLP's shape.
  if (http.status >= 500) throw error;
  if (log) c.get('services').log[log]('otlp export refused', { requestId: c.get('requestId'), status: http.status, code: http.code });
  const body = errorBody(encoding, http.status, http.message);
  return respond(c, body as BodyInit, http.status, { ...http.headers, 'Content-Type': CONTENT_TYPES[encoding] });
}

/**
 * POST /api/otel/v1/traces: OTLP/HTTP trace ingest, so that
 * `OTEL_EXPORTER_OTLP_ENDPOINT=https://<host>/api/otel` with
 * `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer iris_sk_...` sends an
 * agent's GenAI spans to Iris as runs. docs/opentelemetry.md.
 */
export const otlpTracesRoute = defineRoute({
  path: '/api/otel/v1/traces',
  access: 'project',
  methods: {
    POST: async (c) => {
      const encoding = encodingOf(c.req.header('content-type') ?? null);
      // Without a known type there is no encoding to answer in: JSON, Iris's own error shape.
      if (!encoding) throw unsupportedType();
      try {
        const spans = await readSpans(c.req.raw, encoding);
        const { rejected, message } = await ingest(c, spans);
        return respond(c, exportResponseBody(encoding, rejected, message) as BodyInit, 200, { 'Content-Type': CONTENT_TYPES[encoding] });
      } catch (error) {
        return otlpError(c, encoding, error);
      }
    },
  },
});
