/**
 * Response-side zod schemas shared by several domains: the error shape, list
 * pages and the field types rows come back with. Strict objects: a field the
 * document does not name fails the contract tests.
 */
import { z } from 'zod';

/** A timestamp as Postgres (`to_jsonb`) or `toISOString` writes it: RFC 3339 with an offset. */
export const isoTime = z.string().meta({ format: 'date-time' });
export const id = z.uuid();
export const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();
/** Free-form JSON a client stored (metadata, settings, report data). */
export const anyJson = z.unknown().meta({ description: 'Any JSON value, as the client stored it.' });

/** One issue of a 422 `validation_failed`: where and what. */
export const ValidationIssue = z.strictObject({ path: z.string(), code: z.string(), message: z.string() });

/** `{ "error": { "code", "message", "details"?, "requestId", "traceId"? } }`: every error Iris sends (lib/errors.ts). */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string().meta({ description: 'Stable, machine-readable, snake_case.' }),
    message: z.string(),
    details: z
      .union([z.array(ValidationIssue), z.record(z.string(), anyJson)])
      .optional()
      .meta({
        description: 'The issues of a 422 validation_failed, or an object with structured detail (limits, retry times, reasons).',
      }),
    requestId: z.string().meta({ description: 'The X-Request-Id of the response: quote it when reporting a problem.' }),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional()
      .meta({
        description:
          "The request's W3C trace id: Iris's own trace when its tracing is on, else the trace of the caller's traceparent header. Absent when there is neither.",
      }),
  }),
});

/** A keyset-paginated list: `cursor=<nextCursor>` gives the next page. */
export const page = <T extends z.ZodType>(item: T) => z.strictObject({ data: z.array(item), nextCursor: z.string().nullable() });

/** A list that is not paginated. */
export const list = <T extends z.ZodType>(item: T) => z.strictObject({ data: z.array(item) });
