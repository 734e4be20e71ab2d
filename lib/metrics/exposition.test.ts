import { describe, expect, it } from 'vitest';
import {
  formatFromAccept,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  render,
  renderOpenMetrics,
  renderPrometheus,
} from './exposition.js';
import type { Snapshot } from './snapshot.js';

const snapshot: Snapshot = {
  version: 1,
  timestampMs: 0,
  sources: 1,
  metrics: [
    {
      type: 'counter',
      name: 'http_requests_total',
      help: 'Requests "served".\nBy route \\ status.',
      labelNames: ['route', 'status'],
      series: [
        { labels: ['/a"b', '200'], value: 3 },
        { labels: ['line\nbreak\\', '500'], value: 1 },
      ],
    },
    {
      type: 'gauge',
      name: 'temperature_celsius',
      help: 'T.',
      labelNames: [],
      merge: 'last',
      series: [{ labels: [], value: 'NaN' }],
    },
    {
      type: 'gauge',
      name: 'limit_bytes',
      help: 'L.',
      labelNames: ['kind'],
      merge: 'max',
      series: [
        { labels: ['hard'], value: '+Inf' },
        { labels: ['soft'], value: 1.5e21 },
      ],
    },
    {
      type: 'histogram',
      name: 'lat_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      buckets: [0.1, 1],
      sketch: null,
      series: [{ labels: ['/a'], counts: [2, 1, 1], sum: 3.25 }],
    },
    {
      type: 'histogram',
      name: 'size_bytes',
      help: 'Size.',
      labelNames: [],
      buckets: [1024],
      sketch: null,
      series: [{ labels: [], counts: [0, 0], sum: 0 }],
    },
  ],
};

const SAMPLES = `http_requests_total{route="/a\\"b",status="200"} 3
http_requests_total{route="line\\nbreak\\\\",status="500"} 1
`;
const REST = `# HELP temperature_celsius T.
# TYPE temperature_celsius gauge
temperature_celsius NaN
# HELP limit_bytes L.
# TYPE limit_bytes gauge
limit_bytes{kind="hard"} +Inf
limit_bytes{kind="soft"} 1.5e+21
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{route="/a",le="0.1"} 2
lat_seconds_bucket{route="/a",le="1.0"} 3
lat_seconds_bucket{route="/a",le="+Inf"} 4
lat_seconds_sum{route="/a"} 3.25
lat_seconds_count{route="/a"} 4
# HELP size_bytes Size.
# TYPE size_bytes histogram
size_bytes_bucket{le="1024.0"} 0
size_bytes_bucket{le="+Inf"} 0
size_bytes_sum 0
size_bytes_count 0
`;

describe('renderPrometheus', () => {
  it('writes HELP, TYPE and samples in the 0.0.4 text format with its escaping', () => {
    expect(renderPrometheus(snapshot)).toBe(
      `# HELP http_requests_total Requests "served".\\nBy route \\\\ status.
# TYPE http_requests_total counter
${SAMPLES}${REST}`,
    );
  });
});

describe('renderOpenMetrics', () => {
  it('names counter families without _total, escapes quotes in HELP and ends with # EOF', () => {
    expect(renderOpenMetrics(snapshot)).toBe(
      `# HELP http_requests Requests \\"served\\".\\nBy route \\\\ status.
# TYPE http_requests counter
${SAMPLES}${REST}# EOF
`,
    );
  });

  it('renders an empty snapshot as just # EOF', () => {
    expect(renderOpenMetrics({ version: 1, timestampMs: 0, sources: 1, metrics: [] })).toBe('# EOF\n');
  });
});

describe('render', () => {
  it('pairs each format with its Content-Type', () => {
    expect(render(snapshot).contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(render(snapshot, 'openmetrics').contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });
});

describe('formatFromAccept', () => {
  it('picks OpenMetrics when Prometheus asks for it and text otherwise', () => {
    const prometheusScraper =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    expect(formatFromAccept(prometheusScraper)).toBe('openmetrics');
    expect(formatFromAccept('text/plain')).toBe('prometheus');
    expect(formatFromAccept(null)).toBe('prometheus');
    expect(formatFromAccept('application/openmetrics-text; q=0')).toBe('prometheus');
  });
});
