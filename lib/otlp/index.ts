export { decodeJsonRequest, decodeProtobufRequest, OtlpDecodeError, MAX_VALUE_DEPTH, type AttributeValue, type Attributes, type OtlpSpan } from './decode.js';
export {
  CONTENT_TYPES,
  MAX_OTLP_BODY_BYTES,
  MAX_OTLP_DECODED_BYTES,
  encodingOf,
  errorBody,
  exportResponseBody,
  grpcCode,
  gunzip,
  isGzip,
  spanRunId,
  type OtlpEncoding,
} from './encoding.js';
export { mapSpan, mapSpans, toIdentifier, MAX_ANCESTORS, type Convention, type MappedRun, type RunKind, type SpanMapping } from './map.js';
export { otlpTypes, type OtlpTypes } from './proto.js';
