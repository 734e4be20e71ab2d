import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createInstruments } from '../../lib/telemetry/index.js';
import { promqlMetricNames } from './harness/prometheus.js';

// The operations assets under docs/monitoring: Prometheus' own tools check
// the rules, their unit tests and the scrape config; the rest checks that
// rules, dashboard and docs speak only of metrics Iris really exports.

const root = fileURLToPath(new URL('../..', import.meta.url));
const monitoring = join(root, 'docs/monitoring');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

function promtool(args: string[], cwd = root) {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Sample names Iris exports, from the real instruments: a histogram `x` exports x_bucket, x_sum and x_count. */
function exportedSampleNames(): Set<string> {
  const instruments = createInstruments({ version: 'test' });
  try {
    const names = new Set<string>();
    for (const [, name, type] of instruments.registry.render('prometheus').body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      else names.add(name!);
    }
    return names;
  } finally {
    instruments.stop();
  }
}

/** The `expr` of every rule in a rules file, block scalars included. */
function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, i) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const [, indent = '', inline = ''] = match;
    if (inline !== '|' && inline !== '>') return void exprs.push(inline);
    const body: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      body.push(next);
    }
    exprs.push(body.join('\n'));
  });
  return exprs;
}

/** `alert` name and `severity` label of every alerting rule, in file order. */
function alertRules(yaml: string): { alert: string; severity: string }[] {
  return [...yaml.matchAll(/- alert: (\w+)[\s\S]*?severity: (\w+)/g)].map(([, alert, severity]) => ({
    alert: alert!,
    severity: severity!,
  }));
}

/** GitHub's anchor for a Markdown heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

const alertsYaml = read('docs/monitoring/alerts.yml');
const testsYaml = read('docs/monitoring/alerts.test.yml');
const observability = read('docs/observability.md');
const exported = exportedSampleNames();

describe.skipIf(!hasPromtool)('the monitoring assets, checked by promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-monitoring-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has alerting rules promtool accepts', () => {
    const { status, output } = promtool(['check', 'rules', 'docs/monitoring/alerts.yml']);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('has alerts that pass their promtool unit tests', () => {
    const { status, output } = promtool(['test', 'rules', 'docs/monitoring/alerts.test.yml']);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('has a scrape config promtool accepts once the credentials file exists', () => {
    // The shipped config points at /etc/prometheus/...; check a copy whose token file exists.
    const config = readFileSync(join(monitoring, 'prometheus.yml'), 'utf8');
    const credentials = /credentials_file: (\S+)/.exec(config)?.[1];
    expect(credentials).toBeDefined();
    writeFileSync(join(dir, 'token'), 'metrics-token-0123456789abcdef\n', { mode: 0o600 });
    writeFileSync(join(dir, 'prometheus.yml'), config.replace(credentials!, join(dir, 'token')));
    copyFileSync(join(monitoring, 'alerts.yml'), join(dir, 'alerts.yml'));
    const { status, output } = promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(output).toContain('SUCCESS: 1 rule files found');
    expect(status).toBe(0);
  });
});

describe('the monitoring assets', () => {
  it('unit-test every alert firing at each severity, and staying silent', () => {
    const expectations = [...testsYaml.matchAll(/alertname: (\w+)([\s\S]*?)(?=alertname:|- name:|$)/g)].map(([, alert, block]) => ({
      alert: alert!,
      silent: /exp_alerts: \[\]/.test(block!),
      severities: [...block!.matchAll(/severity: (\w+)/g)].map((m) => m[1]),
    }));
    const rules = alertRules(alertsYaml);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const { alert, severity } of rules) {
      expect(expectations.some((e) => e.alert === alert && e.severities.includes(severity)), `${alert} firing at ${severity}`).toBe(true);
      expect(expectations.some((e) => e.alert === alert && e.silent), `${alert} silent`).toBe(true);
    }
  });

  it('link every alert to a runbook section of docs/observability.md', () => {
    const anchors = new Set([...observability.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => slug(heading!)));
    const links = [...alertsYaml.matchAll(/runbook_url: docs\/observability\.md#(\S+)/g)].map(([, anchor]) => anchor!);
    expect(links).toHaveLength(alertRules(alertsYaml).length);
    for (const anchor of links) expect(anchors, `#${anchor}`).toContain(anchor);
  });

  it('alert only on metrics Iris exports (and the scrape health `up`)', () => {
    const exprs = ruleExpressions(alertsYaml);
    expect(exprs).toHaveLength(alertRules(alertsYaml).length);
    for (const expr of exprs) {
      const names = promqlMetricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect([...exported, 'up'], `${name} in ${expr}`).toContain(name);
    }
  });

  it('ship a Grafana dashboard whose panels query only metrics Iris exports', () => {
    const dashboard = JSON.parse(read('docs/monitoring/grafana-dashboard.json')) as {
      schemaVersion: number;
      uid: string;
      __inputs: { name: string; pluginId: string }[];
      panels: { id: number; type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }));
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThanOrEqual(10);
    const used = new Set<string>();
    for (const panel of queried) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        const names = promqlMetricNames(expr);
        expect(names.length, expr).toBeGreaterThan(0);
        for (const name of names) {
          expect([...exported], `${panel.title}: ${name}`).toContain(name);
          used.add(name);
        }
      }
    }
    // What the dashboard must show: traffic, latency, errors, cache, database, rate limits, memory.
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'cache_requests_total',
      'cache_coalesced_total',
      'cache_stale_served_total',
      'db_rpc_duration_seconds_bucket',
      'rate_limit_decisions_total',
      'process_resident_memory_bytes',
    ]) {
      expect(used, name).toContain(name);
    }
  });

  it('document every exported metric in docs/observability.md', () => {
    const families = new Set([...exported].map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    for (const family of families) expect(observability, family).toContain(`\`${family}\``);
  });
});
