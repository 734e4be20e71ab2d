import { z } from 'zod';
import type { OperationSpec } from '../operation.js';
import { ErrorBody } from '../schemas.js';

/** OTLP/HTTP's error body (a google.rpc.Status), here in its JSON encoding; protobuf requests get it as protobuf. */
const RpcStatus = z.strictObject({
  code: z.number().int().meta({ description: 'The google.rpc.Code of the HTTP status (3 invalid argument, 8 resource exhausted, 14 unavailable, ...).' }),
  message: z.string(),
});

/** ExportTraceServiceResponse in JSON: empty when every span was used. */
const ExportResponse = z.strictObject({
  partialSuccess: z
    .strictObject({
      rejectedSpans: z.string().meta({ description: 'An int64, as a string (OTLP JSON).' }),
      errorMessage: z.string(),
    })
    .optional(),
});

/** The body of an error: OTLP's Status from the handler, Iris's error shape when refused before it (auth, media type). */
const OtlpError = z.union([RpcStatus, ErrorBody]);
const PROTOBUF = ['application/x-protobuf'] as const;

export const otlpOperations: OperationSpec[] = [
  {
    method: 'POST',
    path: '/api/otel/v1/traces',
    operationId: 'exportTraces',
    summary: 'OTLP/HTTP trace export: GenAI spans become runs',
    description:
      'Takes an `ExportTraceServiceRequest` (opentelemetry-proto) as `application/x-protobuf` or `application/json`, ' +
      'optionally `Content-Encoding: gzip`, at most 4.5 MB as sent and 32 MiB inflated. Point an exporter at it with ' +
      '`OTEL_EXPORTER_OTLP_ENDPOINT=https://<host>/api/otel` and `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer <key>`. ' +
      'GenAI spans (OpenTelemetry semantic conventions, OpenInference, the Vercel AI SDK) are stored as runs through the ' +
      'path of POST /api/iris/runs; others are skipped. A span exported twice is stored once. See docs/opentelemetry.md.',
    tag: 'OpenTelemetry',
    auth: 'project',
    responses: {
      200: { description: 'Accepted; `partialSuccess` says how many spans could not be used and why.', schema: ExportResponse, textTypes: PROTOBUF },
      400: { description: 'Not an ExportTraceServiceRequest (exporters do not retry it).', schema: OtlpError, textTypes: PROTOBUF },
      413: { description: 'Over 4.5 MB as sent, or over 32 MiB inflated.', schema: OtlpError, textTypes: PROTOBUF },
      415: { description: 'Neither application/x-protobuf nor application/json, or an unknown Content-Encoding.', schema: OtlpError, textTypes: PROTOBUF },
      503: { description: 'Iris cannot store now; retry after Retry-After (exporters do).', schema: OtlpError, textTypes: PROTOBUF },
    },
  },
];
