/**
 * Which server the tools measure, read once from the environment
 * (BENCHMARK_URL and friends) with messages that name the variable.
 */

/** The environment variables the tools read. */
export interface TargetEnv {
  /** Base URL of the deployment to measure; unset starts a local server. */
  BENCHMARK_URL?: string;
  /** An Iris API key for that deployment (required with BENCHMARK_URL). */
  BENCHMARK_API_KEY?: string;
  /** Vercel's protection-bypass secret for protected previews, sent as `x-vercel-protection-bypass`. */
  VERCEL_AUTOMATION_BYPASS_SECRET?: string;
  /** Bearer token of GET /api/metrics. */
  BENCHMARK_METRICS_TOKEN?: string;
  /** Admin token the server accepts in `X-Iris-Cache-Bypass` (for `--baseline`). */
  BENCHMARK_ADMIN_TOKEN?: string;
  /** Fallback for BENCHMARK_ADMIN_TOKEN. */
  IRIS_ADMIN_TOKEN?: string;
}

/** A server to measure and how to talk to it. */
export interface Target {
  /** Origin (and optional path prefix), without a trailing slash. */
  baseUrl: string;
  /** Headers every request carries: the API key, and the Vercel bypass secret when set. */
  headers: Record<string, string>;
  /** Token for GET /api/metrics, or null. */
  metricsToken: string | null;
  /** Token for `X-Iris-Cache-Bypass`, or null. */
  adminToken: string | null;
  /** True when the tool started this server itself, in process. */
  embedded: boolean;
}

/** A configuration problem; the message names the variable or flag. */
export class TargetError extends Error {
  static readonly code = 'E_TARGET';
  readonly code = TargetError.code;
  override readonly name = 'TargetError';
}

const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : v.trim());

/**
 * The remote target named by `url` (a `--url` flag) or BENCHMARK_URL, or null
 * when neither is set (the tool then starts a local server).
 * @throws TargetError when the URL is malformed or BENCHMARK_API_KEY is missing.
 */
export function remoteTarget(env: TargetEnv, url?: string): Target | null {
  const raw = blank(url) ?? blank(env.BENCHMARK_URL);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new TargetError(`BENCHMARK_URL must be an http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TargetError(`BENCHMARK_URL must be an http(s) URL, got "${raw}"`);
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    throw new TargetError('BENCHMARK_URL must be a plain base URL (no credentials, query or fragment)');
  }
  const apiKey = blank(env.BENCHMARK_API_KEY);
  if (apiKey === null) throw new TargetError('BENCHMARK_API_KEY is required with BENCHMARK_URL (an Iris API key for that deployment)');
  return {
    baseUrl: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`,
    headers: targetHeaders(apiKey, blank(env.VERCEL_AUTOMATION_BYPASS_SECRET)),
    metricsToken: blank(env.BENCHMARK_METRICS_TOKEN),
    adminToken: blank(env.BENCHMARK_ADMIN_TOKEN) ?? blank(env.IRIS_ADMIN_TOKEN),
    embedded: false,
  };
}

/** The headers every request to a target carries. */
export function targetHeaders(apiKey: string, vercelBypassSecret: string | null = null): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
  if (vercelBypassSecret !== null) headers['x-vercel-protection-bypass'] = vercelBypassSecret;
  return headers;
}

/**
 * Headers that make Iris skip its cache read (`X-Cache: BYPASS`): the server
 * honours `X-Iris-Cache-Bypass` only when it equals its admin token (any value
 * on a server built with `local: true`; anything else is a 403), plus
 * `Cache-Control: no-cache` for caches in between.
 * @throws TargetError when a remote target has no admin token.
 */
export function cacheBypassHeaders(target: Target): Record<string, string> {
  const token = target.adminToken ?? (target.embedded ? 'local' : null);
  if (token === null) throw new TargetError('--baseline needs BENCHMARK_ADMIN_TOKEN (or IRIS_ADMIN_TOKEN): the server only honours X-Iris-Cache-Bypass with its admin token');
  return { 'x-iris-cache-bypass': token, 'cache-control': 'no-cache' };
}

/** Whether `url` points at this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Where the measured server runs: `embedded` when the tool started it in its
 * own process, `local` for any other server on this machine (a loopback URL,
 * such as `npm run dev`), `remote` for everything else.
 */
export type TargetKind = 'embedded' | 'local' | 'remote';

/** The {@link TargetKind} of a target URL. */
export function targetKind(url: string, embedded: boolean): TargetKind {
  if (embedded) return 'embedded';
  return isLoopbackUrl(url) ? 'local' : 'remote';
}
