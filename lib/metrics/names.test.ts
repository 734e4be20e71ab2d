import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors.js';
import { reservedNames, validateLabelNames, validateMetricName } from './names.js';

function reasonOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricsError);
    return (error as MetricsError).reason;
  }
  return undefined;
}

describe('validateMetricName', () => {
  it('accepts conventional names of each type', () => {
    expect(() => validateMetricName('http_requests_total', 'counter')).not.toThrow();
    expect(() => validateMetricName('http_request_duration_seconds', 'histogram')).not.toThrow();
    expect(() => validateMetricName('process_resident_memory_bytes', 'gauge')).not.toThrow();
    expect(() => validateMetricName('job:requests:rate5m', 'gauge')).not.toThrow();
  });

  it('rejects characters outside the Prometheus alphabet and names the metric', () => {
    expect(() => validateMetricName('http-requests_total', 'counter')).toThrow(/metric "http-requests_total"/);
    expect(reasonOf(() => validateMetricName('1abc', 'gauge'))).toBe('invalid_name');
    expect(reasonOf(() => validateMetricName('', 'gauge'))).toBe('invalid_name');
  });

  it('requires counters to end in _total and forbids it elsewhere', () => {
    expect(() => validateMetricName('http_requests', 'counter')).toThrow(/must end in "_total"/);
    expect(() => validateMetricName('queue_depth_total', 'gauge')).toThrow(/only counters/);
    expect(() => validateMetricName('_total', 'counter')).toThrow(/word before/);
  });

  it('rejects names ending in a non-base unit, before _total too', () => {
    expect(() => validateMetricName('request_duration_ms', 'histogram')).toThrow(/"ms" is not a base unit.*seconds/);
    expect(() => validateMetricName('request_duration_milliseconds', 'histogram')).toThrow(/seconds/);
    expect(() => validateMetricName('cpu_time_ms_total', 'counter')).toThrow(/"ms"/);
    expect(() => validateMetricName('payload_kb', 'gauge')).toThrow(/bytes/);
  });

  it('reserves the histogram sample suffixes', () => {
    expect(reasonOf(() => validateMetricName('requests_count', 'gauge'))).toBe('invalid_name');
    expect(reasonOf(() => validateMetricName('latency_bucket', 'histogram'))).toBe('invalid_name');
  });
});

describe('validateLabelNames', () => {
  it('accepts distinct valid names', () => {
    expect(() => validateLabelNames('m', ['route', 'status_code', '_x'], 'counter')).not.toThrow();
  });

  it('rejects invalid, reserved and repeated label names with the metric and label in the message', () => {
    expect(() => validateLabelNames('m', ['a-b'], 'gauge')).toThrow(/metric "m": label "a-b"/);
    expect(() => validateLabelNames('m', ['__name'], 'gauge')).toThrow(/"__"/);
    expect(() => validateLabelNames('m', ['a', 'a'], 'gauge')).toThrow(/twice/);
    expect(() => validateLabelNames('m', ['le'], 'histogram')).toThrow(/reserved for histogram/);
    expect(() => validateLabelNames('m', ['le'], 'gauge')).not.toThrow();
  });
});

describe('reservedNames', () => {
  it('lists every family and sample name a metric puts on the wire', () => {
    expect(reservedNames('a_total', 'counter')).toEqual(['a_total', 'a']);
    expect(reservedNames('h_seconds', 'histogram')).toEqual([
      'h_seconds',
      'h_seconds_bucket',
      'h_seconds_sum',
      'h_seconds_count',
    ]);
  });
});
