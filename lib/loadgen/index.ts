/**
 * Iris's load generator (Node-only): the engine, histogram, traffic mix,
 * thresholds and reports behind `npm run benchmark`, `npm run load-test:*`
 * and `npm run bench:loadgen`.
 */
export { LatencyHistogram, type LatencyHistogramOptions, type LatencySummary } from './histogram.js';
export { HttpConnection, RequestBuilder, type HttpClientOptions, type HttpResult, type PreparedRequest } from './http-client.js';
export { HttpParseError, ResponseParser, type ParsedResponse, type ResponseParserOptions } from './response-parser.js';
export { cacheOutcome, failureReason, serverTimingMs, type CacheOutcome } from './response-meta.js';
export { Recorder, windowMetric, type EndpointSummary, type IntervalSummary, type RecentWindow, type RecorderOptions, type RunSummary } from './recorder.js';
export { pick, randomInt, seededRandom, weightedPicker, type Random } from './random.js';
export { ArrivalSchedule, scaleStages, totalDurationMs, validateStages, valueAt, type Stage } from './stages.js';
export {
  createRequestSource,
  loadTestMix,
  MAX_LOAD_TEST_BATCH,
  parseMixWeights,
  randomRun,
  randomRunBatch,
  standardReadMix,
  withWeights,
  type NextRequest,
  type RequestTemplate,
} from './traffic-mix.js';
export { runClosed, runOpen, type ClosedRunOptions, type OpenRunOptions, type RunOptions } from './engine.js';
export {
  evaluateThresholds,
  parseThreshold,
  parseThresholds,
  THRESHOLD_METRICS,
  ThresholdSyntaxError,
  type Aggregation,
  type MetricSource,
  type Operator,
  type Threshold,
  type ThresholdMetric,
  type ThresholdResult,
} from './thresholds.js';
export { cacheBypassHeaders, isLoopbackUrl, remoteTarget, TargetError, targetHeaders, targetKind, type Target, type TargetEnv, type TargetKind } from './target.js';
export { startLocalTarget, type LocalTarget, type LocalTargetOptions } from './local-target.js';
export {
  memoryDriftPerHour,
  parseServerMetrics,
  readServerMetrics,
  serverMetricsDelta,
  type ServerMetrics,
  type ServerMetricsDelta,
  type ServerMetricsReading,
} from './server-metrics.js';
export { createProgress, progressLine, type Progress, type ProgressOptions } from './progress.js';
export { runMetadata, type RunMetadata, type RunMetadataOptions } from './run-metadata.js';
export {
  BenchmarkError,
  DEFAULT_TARGETS,
  PHASES,
  runBenchmark,
  targetThresholds,
  type BenchmarkOptions,
  type BenchmarkResult,
  type BenchmarkTargets,
  type PhaseName,
  type PhaseResult,
  type Variant,
} from './benchmark.js';
export {
  autoRate,
  capacityPhase,
  CLOSE_CALL_FRACTION,
  closestCall,
  DEFAULT_RATE_PER_S,
  latencyMargins,
  NEAR_CAPACITY_FRACTION,
  noiseWords,
  rateHeadroom,
  rateLine,
  resolveRate,
  verdictNotes,
  type LatencyMargin,
  type RateHeadroom,
  type RateSource,
} from './benchmark-verdict.js';
export { startNoiseProbe, type NoiseProbe, type NoiseProbeOptions, type NoiseReading } from './machine-noise.js';
export {
  beforeAfterTable,
  compareBenchmarks,
  formatBenchmark,
  formatComparison,
  renderBenchmarkPrometheus,
  type BenchmarkReport,
  type CompareOptions,
  type ComparisonRow,
} from './benchmark-report.js';
export {
  DEFAULT_LOAD_THRESHOLDS,
  intervalFor,
  runLoadTest,
  scaleScenario,
  scenario,
  SCENARIO_NAMES,
  type LoadTestOptions,
  type LoadTestResult,
  type MemorySample,
  type Scenario,
  type ScenarioName,
  type ScenarioParams,
} from './load-test.js';
export { formatLoadTest, loadTestHtml, loadTestNotes, type LoadTestReport } from './load-test-report.js';
export { renderHtmlReport, jsonForScript, type HtmlReportInput } from './html-report.js';
export { escapeHtml, lineChart, niceTicks, type ChartSeries, type LineChartOptions } from './svg-chart.js';
export { clock, counts, endpointTable, mib, ms, num, pct, table } from './format.js';
export {
  interruptSignal,
  measure,
  numberFlag,
  openTarget,
  parseDuration,
  parseThinkTime,
  runScript,
  UsageError,
  writeOutput,
  type MeasureContext,
  type MeasureOptions,
  type OpenedTarget,
} from './cli.js';
