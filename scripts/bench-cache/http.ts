/**
 * Node-only. A plain HTTP client for set-up calls, metric reads and bursts of
 * concurrent requests (node:http: one socket per concurrent request, no
 * connection limit), and a reader of Prometheus text.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  latencyMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** Sends one request; rejects only on a network error or after `timeoutMs`. */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), latencyMs: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.setTimeout(init.timeoutMs ?? 30_000, () => req.destroy(new Error(`${init.method ?? 'GET'} ${url}: no answer in ${init.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Like `send`, but throws unless the status is `expected`. */
export async function expectStatus(expected: number, url: string, init: Parameters<typeof send>[1] = {}): Promise<HttpResponse> {
  const response = await send(url, init);
  if (response.status !== expected) throw new Error(`${init.method ?? 'GET'} ${url}: expected ${expected}, got ${response.status}: ${response.body.slice(0, 300)}`);
  return response;
}

/** A header as one string (the first value when repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `X-Cache` from headers keyed as sent (autocannon keeps the server's case). */
export function xCacheOf(headers: Record<string, unknown> | undefined): string {
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() === 'x-cache') return String(value);
  return '(none)';
}

/** `GET /api/metrics?format=prometheus` of an Iris server. */
export async function prometheusText(baseUrl: string): Promise<string> {
  return (await expectStatus(200, `${baseUrl}/api/metrics?format=prometheus`)).body;
}

/**
 * Sum of the samples of `name` whose labels include every pair of `labels`,
 * from Prometheus text (`name{a="1",b="2"} 42`).
 */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const close = line.lastIndexOf('}');
    const labelText = line[name.length] === '{' ? line.slice(name.length + 1, close) : '';
    const value = Number(line.slice((close === -1 ? name.length : close + 1)).trim().split(' ')[0]);
    const matches = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (matches && Number.isFinite(value)) total += value;
  }
  return total;
}

/** Iris's JSON metrics summary (`GET /api/metrics?format=json`). */
export async function metricsSummary(baseUrl: string): Promise<{ kv: { circuit: string; operations: number; errorRate: number | null } }> {
  return JSON.parse((await expectStatus(200, `${baseUrl}/api/metrics?format=json`)).body) as { kv: { circuit: string; operations: number; errorRate: number | null } };
}
