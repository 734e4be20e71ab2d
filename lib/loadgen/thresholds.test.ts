import { describe, expect, it } from 'vitest';
import { evaluateThresholds, parseThreshold, parseThresholds, ThresholdSyntaxError, type MetricSource } from './thresholds.js';

describe('parseThreshold', () => {
  it('reads k6 conditions, several per line', () => {
    expect(parseThreshold('http_req_duration: p(95)<150, p(99)<200')).toEqual([
      { metric: 'http_req_duration', endpoint: null, aggregation: { kind: 'p', percentile: 95 }, operator: '<', value: 150, source: 'http_req_duration: p(95)<150' },
      { metric: 'http_req_duration', endpoint: null, aggregation: { kind: 'p', percentile: 99 }, operator: '<', value: 200, source: 'http_req_duration: p(99)<200' },
    ]);
    expect(parseThreshold('http_req_failed: rate<0.01')[0]).toMatchObject({ aggregation: { kind: 'rate' }, operator: '<', value: 0.01 });
    expect(parseThreshold('dropped_iterations:count==0')[0]).toMatchObject({ aggregation: { kind: 'count' }, operator: '==', value: 0 });
    expect(parseThreshold('http_req_duration: p(99.9) <= 1e3')[0]).toMatchObject({ aggregation: { kind: 'p', percentile: 99.9 }, operator: '<=', value: 1000 });
  });

  it('reads an endpoint filter', () => {
    expect(parseThreshold('http_req_duration{endpoint:GET /api/iris/overview}: avg<50')[0]).toMatchObject({
      endpoint: 'GET /api/iris/overview',
      aggregation: { kind: 'avg' },
      source: 'http_req_duration{endpoint:GET /api/iris/overview}: avg<50',
    });
  });

  it('names what is wrong', () => {
    expect(() => parseThreshold('p(95)<150')).toThrow(ThresholdSyntaxError);
    expect(() => parseThreshold('http_req_latency: p(95)<150')).toThrow(/unknown metric "http_req_latency"/);
    expect(() => parseThreshold('http_req_failed: p(95)<1')).toThrow(/http_req_failed has no p\(N\); use rate, count/);
    expect(() => parseThreshold('http_req_duration: p(95)≈150')).toThrow(/cannot read the condition/);
    expect(() => parseThreshold('http_req_duration: p(101)<1')).toThrow(/between 0 and 100/);
  });

  it('parses several lines', () => {
    expect(parseThresholds(['http_reqs: count>10', 'http_req_cache_hit: rate>0.85'])).toHaveLength(2);
  });
});

describe('evaluateThresholds', () => {
  const values: Record<string, number | null> = { 'http_req_duration:p': 120, 'http_req_failed:rate': 0.02, 'http_req_cache_hit:rate': null };
  const source: MetricSource = (metric, aggregation) => values[`${metric}:${aggregation.kind}`] ?? null;

  it('passes and fails by comparing the actual value', () => {
    const results = evaluateThresholds(parseThresholds(['http_req_duration: p(95)<150, p(99)<100', 'http_req_failed: rate<0.01']), source);
    expect(results.map((r) => [r.threshold.source, r.actual, r.pass])).toEqual([
      ['http_req_duration: p(95)<150', 120, true],
      ['http_req_duration: p(99)<100', 120, false],
      ['http_req_failed: rate<0.01', 0.02, false],
    ]);
  });

  it('fails a threshold that has no data', () => {
    expect(evaluateThresholds(parseThreshold('http_req_cache_hit: rate>0.85'), source)[0]).toMatchObject({ actual: null, pass: false });
  });
});
