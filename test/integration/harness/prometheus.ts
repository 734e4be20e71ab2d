import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnServer, stopPid, track, waitFor } from './process.js';

/** Node-only test helper: a throwaway Prometheus server scraping one target. */
export interface StartPrometheusOptions {
  /** Base URL of the target, e.g. `http://127.0.0.1:4321`; scheme and host:port are scraped. */
  target: string;
  /** Path scraped on the target. @default '/metrics' */
  metricsPath?: string;
  /** Query parameters added to every scrape, e.g. `{ format: 'prometheus' }`. @default {} */
  params?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>` (from a credentials file, as in production). @default none */
  bearerToken?: string;
  /** The `job` label of the scraped series. @default 'iris' */
  jobName?: string;
  /** Scrape and rule-evaluation interval, in ms (whole seconds or more). @default 1_000 */
  scrapeIntervalMs?: number;
  /** Rule files to load, by absolute path. @default [] */
  ruleFiles?: string[];
  /** The prometheus executable. @default $IRIS_PROMETHEUS, else `prometheus` on PATH */
  binary?: string;
  /** How long to wait for `/-/ready`, in ms. @default 30_000 */
  startTimeoutMs?: number;
}

/** One sample of an instant-vector query result. */
export interface PromSample {
  metric: Record<string, string>;
  /** `[unix seconds, value as Prometheus formats it]` */
  value: [number, string];
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /** Temp dir holding the generated config, the token file and the TSDB; `stop()` removes it. */
  dir: string;
  /** GETs `/api/v1/<path>` and returns `data`; throws with Prometheus' error when `status` is not `success`. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** Instant query through `/api/v1/query`; throws on a PromQL error, resolves `[]` when nothing matches. */
  query(expr: string): Promise<PromSample[]>;
  /** Stops by PID (SIGTERM, then SIGKILL) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const ATTEMPTS = 3;

/** True when the prometheus binary (or `binary`) runs; tests `describe.skipIf(!hasPrometheus())`. */
export function hasPrometheus(binary = process.env.IRIS_PROMETHEUS ?? 'prometheus'): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The configuration Prometheus is started with. JSON is YAML, so no YAML
 * library is needed.
 */
function renderConfig(options: StartPrometheusOptions, tokenFile: string | null): string {
  const target = new URL(options.target);
  const interval = `${Math.max(1, Math.round((options.scrapeIntervalMs ?? 1_000) / 1000))}s`;
  const params = Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, [v]]));
  return JSON.stringify(
    {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: [
        {
          job_name: options.jobName ?? 'iris',
          scheme: target.protocol.replace(':', ''),
          metrics_path: options.metricsPath ?? '/metrics',
          params,
          ...(tokenFile ? { authorization: { type: 'Bearer', credentials_file: tokenFile } } : {}),
          static_configs: [{ targets: [target.host] }],
        },
      ],
    },
    null,
    2,
  );
}

/**
 * Starts `prometheus` on 127.0.0.1 and a free port, with a generated config
 * that scrapes `target` every `scrapeIntervalMs`, and waits for `/-/ready`.
 * Retries on another port when the bind fails.
 * @example
 * const prom = await startPrometheus({ target: server.url, metricsPath: '/api/metrics', bearerToken });
 * try { await prom.query('up'); } finally { await prom.stop(); }
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? process.env.IRIS_PROMETHEUS ?? 'prometheus';
  const dir = await mkdtemp(join(tmpdir(), 'iris-prometheus-'));
  const untrackDir = track({ dir });
  try {
    let tokenFile: string | null = null;
    if (options.bearerToken !== undefined) {
      tokenFile = join(dir, 'token');
      await writeFile(tokenFile, options.bearerToken, { mode: 0o600 });
    }
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, renderConfig(options, tokenFile));
    for (let attempt = 1; ; attempt++) {
      const server = await launch(binary, dir, configFile, options.startTimeoutMs ?? 30_000);
      if ('retry' in server) {
        if (attempt < ATTEMPTS) continue;
        throw new Error(`${binary} could not bind a port in ${ATTEMPTS} attempts:\n${server.retry}`);
      }
      untrackDir();
      return server;
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    untrackDir();
    throw error;
  }
}

/** One start attempt on a fresh port: a ready server, or `{ retry }` with the output when the bind failed. */
async function launch(
  binary: string,
  dir: string,
  configFile: string,
  timeoutMs: number,
): Promise<PrometheusServer | { retry: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnServer(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { dir, command: 'prometheus', cwd: dir },
  );
  const { pid, failure, untrack } = server;

  const ready = () =>
    fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
  try {
    await waitFor(async () => server.exited() || (await ready()), {
      what: `prometheus on port ${port} to be ready`,
      timeoutMs,
      intervalMs: 100,
    });
  } catch (error) {
    throw await failure((error as Error).message);
  }
  const spawnError = server.spawnError();
  if (spawnError) throw await failure(`could not start ${binary}: ${spawnError.message} (apt-get install prometheus)`);
  if (server.exited()) {
    if (/address already in use/i.test(server.output())) {
      untrack();
      return { retry: server.output() };
    }
    throw await failure(`${binary} exited during start-up`);
  }

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const query = new URLSearchParams(params).toString();
    const res = await fetch(`${url}/api/v1/${path}${query ? `?${query}` : ''}`);
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== 'success') throw new Error(`GET /api/v1/${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  };

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    pid,
    dir,
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSample[] }>('query', { query: expr });
      if (data.resultType !== 'vector') throw new Error(`${expr}: expected an instant vector, got a ${data.resultType}`);
      return data.result;
    },
    stop() {
      stopped ??= stopPid(pid, 'SIGTERM').finally(async () => {
        untrack();
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      });
      return stopped;
    },
  };
}

const PROMQL_KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan',
]);

/**
 * The metric names a PromQL expression reads, without a full parser: string
 * literals, label matchers, ranges, grouping clauses and Grafana variables
 * are removed, then every remaining identifier that is not a function call or
 * a keyword is a metric name.
 * @example promqlMetricNames('sum by (le) (rate(x_bucket{job="a"}[5m])) / on() y') // ['x_bucket', 'y']
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[A-Za-z_:][\w:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}
