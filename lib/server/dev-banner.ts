/**
 * What `npm run dev` (and `npm start`) print, as pure functions: the database
 * it runs on (never its credentials), then, once it listens, shell exports of
 * the variables README's examples use (`$IRIS`, `$IRIS_KEY`,
 * `$IRIS_ADMIN_TOKEN`), curl examples that use them, and the benchmark and
 * load-test commands that work against this server as printed.
 */
import type { DbConfig } from '../config.js';
import type { TracingConfig } from '../tracing/config.js';

/** Options of {@link devBanner}. */
export interface DevBannerOptions {
  /** Where the server answers, e.g. `http://localhost:3000`, without a trailing slash. */
  baseUrl: string;
  /** The demo project's API key minted for this run; null when nothing was seeded (`--no-seed`). */
  demoKey: string | null;
  /**
   * The admin token to print: one the dev server minted for this run, or the
   * configured IRIS_ADMIN_TOKEN; null prints none (and no admin example).
   */
  adminToken: { value: string; mintedForThisRun: boolean } | null;
  /**
   * Whether IRIS_METRICS_TOKEN is set: the benchmark then needs it (as
   * BENCHMARK_METRICS_TOKEN) to read /api/metrics; without it the dev server
   * serves /api/metrics to anyone and the tools need no token.
   */
  metricsTokenConfigured: boolean;
  /**
   * Whether the dev server made an IRIS_ENCRYPTION_KEY for this run (never
   * printed): webhook endpoints created now cannot be delivered after a
   * restart on the same IRIS_DATA_DIR unless the key is set. @default false
   */
  encryptionKeyMintedForThisRun?: boolean;
}

/** A word the shell reads back as `value`: bare when that is safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The database in one phrase, for the start-up line: PGlite in memory or in its
 * data folder, or the host, port and database of a PostgreSQL or Supabase URL,
 * never a user name or password.
 * @example
 * describeDatabase({ kind: 'postgres', url: 'postgres://u:secret@db:5432/iris', poolMax: 5 }); // 'postgres (db:5432/iris)'
 */
export function describeDatabase(db: DbConfig): string {
  if (db.kind === 'pglite') return db.dataDir ? `pglite (${db.dataDir})` : 'pglite (in memory)';
  let url: URL;
  try {
    url = new URL(db.url);
  } catch {
    return `${db.kind} (unparseable URL)`;
  }
  if (db.kind === 'supabase') return `supabase (${url.host})`;
  // postgres:///iris?host=/var/run/postgresql: a Unix socket named in the query.
  const host = url.host || url.searchParams.get('host') || 'localhost';
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return `postgres (${host}${database ? `/${database}` : ''})`;
}

/** Where Iris's own traces go, for the start-up line: the endpoint's host and path only (never its headers or credentials). */
export function describeTracing(tracing: TracingConfig | null): string {
  if (tracing === null) return 'tracing off';
  if (tracing.exporter === 'vercel') return "tracing to Vercel's collector";
  try {
    const url = new URL(tracing.url);
    return `tracing to ${url.host}${url.pathname} (${tracing.protocol})`;
  } catch {
    return 'tracing to an unparseable URL';
  }
}

/** The lines printed once the server listens, after the "listening" line. */
export function devBanner(o: DevBannerOptions): string[] {
  const lines: string[] = [];
  if (o.demoKey !== null) lines.push('Demo API key (this run only):', `  ${o.demoKey}`, '');

  lines.push("Paste into your shell (README's examples use these variables):", `  export IRIS=${shellWord(o.baseUrl)}`);
  if (o.demoKey !== null) lines.push(`  export IRIS_KEY=${shellWord(o.demoKey)}`);
  if (o.adminToken !== null) {
    const note = o.adminToken.mintedForThisRun ? '   # admin token for this run only' : '   # IRIS_ADMIN_TOKEN as configured';
    lines.push(`  export IRIS_ADMIN_TOKEN=${shellWord(o.adminToken.value)}${note}`);
  }

  if (o.encryptionKeyMintedForThisRun) {
    lines.push(
      '',
      'Webhook secrets are encrypted with a key made for this run only; to keep endpoints across runs',
      'of the same IRIS_DATA_DIR, set IRIS_ENCRYPTION_KEY=$(openssl rand -base64 32) yourself.',
    );
  }

  lines.push('', 'Try:', '  curl -s $IRIS/api/health');
  if (o.demoKey !== null) {
    const key = '-H "Authorization: Bearer $IRIS_KEY"';
    lines.push(
      `  curl -s ${key} $IRIS/api/iris/overview`,
      `  curl -s ${key} "$IRIS/api/iris/stats/tokens?from=$(date -u -d '7 days ago' +%FT%TZ)"`,
      `  curl -s ${key} $IRIS/api/iris/stats/performance`,
      `  curl -s ${key} "$IRIS/api/iris/reports?limit=5"`,
      `  curl -s ${key} "$IRIS/api/iris/experts?active=true"`,
      `  curl -s ${key} -X POST $IRIS/api/iris/experts/planner/usage`,
      `  curl -s ${key} -H "Content-Type: application/json" $IRIS/api/iris/runs \\`,
      `       -d '{"expertId":"planner","model":"gpt-4o-mini","inputTokens":812,"outputTokens":164,"costUsd":0.0004,"latencyMs":930,"outcome":"success"}'`,
    );
  }
  if (o.adminToken !== null) {
    lines.push(
      '  curl -s -H "Authorization: Bearer $IRIS_ADMIN_TOKEN" $IRIS/api/admin/projects',
      '  curl -s -H "Authorization: Bearer $IRIS_ADMIN_TOKEN" $IRIS/api/health/detailed',
    );
  }

  if (o.demoKey !== null) {
    // Written out in full, not with $IRIS: pasted without the exports above, an
    // empty BENCHMARK_URL would make the tools start and measure a server of their own.
    const env = [`BENCHMARK_URL=${shellWord(o.baseUrl)}`, `BENCHMARK_API_KEY=${shellWord(o.demoKey)}`];
    if (o.metricsTokenConfigured) env.push('BENCHMARK_METRICS_TOKEN=$IRIS_METRICS_TOKEN');
    lines.push(
      '',
      "Benchmark or load-test this server (the demo project's rate limits leave room for it):",
      `  ${env.join(' ')} npm run benchmark`,
      `  ${env.join(' ')} npm run load-test:smoke`,
    );
  }
  return lines;
}
