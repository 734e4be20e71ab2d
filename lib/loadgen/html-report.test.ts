import { describe, expect, it } from 'vitest';
import { jsonForScript, renderHtmlReport } from './html-report.js';
import { niceTicks } from './svg-chart.js';
import { syntheticRun, syntheticSummary } from './test-support.js';
import { evaluateThresholds, parseThresholds } from './thresholds.js';

function report(data: unknown = { hello: 'world' }) {
  const recorder = syntheticRun({ failEvery: 20 });
  return renderHtmlReport({
    title: 'Iris load test: <smoke>',
    meta: { target: 'http://127.0.0.1:3000' },
    summary: syntheticSummary({ failEvery: 20 }),
    thresholds: evaluateThresholds(parseThresholds(['http_req_duration: p(95)<150', 'http_req_failed: rate<0.01']), recorder.metric),
    notes: ['Breakpoint: none'],
    data,
  });
}

describe('renderHtmlReport', () => {
  it('is self-contained: no external URL in any src or href, no script or stylesheet to fetch', () => {
    const html = report();
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('draws the four charts as inline SVG', () => {
    const html = report();
    const svgs = html.match(/<svg\b[^>]*class="chart"/g) ?? [];
    expect(svgs).toHaveLength(4);
    for (const title of ['Latency of successful requests', 'Throughput', 'Errors', 'Virtual users']) expect(html).toContain(title);
    expect(html).toMatch(/<polyline [^>]*points="[\d., ]+"/);
  });

  it('embeds the data so it can be read back exactly, even when it contains markup', () => {
    const data = { nested: { text: '</script><script>alert(1)</script>', list: [1, 2.5, null] } };
    const html = report(data);
    const match = /<script type="application\/json" id="iris-report-data">([\s\S]*?)<\/script>/.exec(html);
    expect(match).not.toBeNull();
    expect(JSON.parse(match![1]!)).toEqual(data);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });

  it('escapes text and shows the verdict, thresholds and failures', () => {
    const html = report();
    expect(html).toContain('Iris load test: &lt;smoke&gt;');
    expect(html).toContain('FAIL');
    expect(html).toContain('http_req_failed: rate&lt;0.01');
    expect(html).toContain('503 service_unavailable');
  });
});

describe('chart helpers', () => {
  it('picks round tick values that cover the range', () => {
    expect(niceTicks(0, 97, 4)).toEqual([0, 50, 100]);
    expect(niceTicks(0, 0.9, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('escapes script-breaking characters in embedded JSON', () => {
    expect(jsonForScript({ a: '<b>&' })).toBe('{"a":"\\u003cb\\u003e\\u0026"}');
  });
});
