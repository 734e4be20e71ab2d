import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeDatabase, describeTracing, devBanner, shellWord } from './dev-banner.js';

const KEY = 'iris_sk_AbC-dEf_0123456789abcdefghijklmnopqrstuvwxy';
const BASE = 'http://localhost:3000';
const minted = { value: 'dev_admin_0123456789abcdef', mintedForThisRun: true };

/** Runs the lines in a shell (bash, as README's examples assume) and prints the variables they set. */
function exported(lines: string[]): Record<string, string> {
  const script = lines.filter((l) => l.trim().startsWith('export ')).join('\n');
  const out = execFileSync('bash', ['-c', `${script}\nprintf '%s\\n' "$IRIS" "$IRIS_KEY" "$IRIS_ADMIN_TOKEN"`], { encoding: 'utf8', env: {} });
  const [IRIS = '', IRIS_KEY = '', IRIS_ADMIN_TOKEN = ''] = out.split('\n');
  return { IRIS, IRIS_KEY, IRIS_ADMIN_TOKEN };
}

describe('devBanner', () => {
  it('exports $IRIS, $IRIS_KEY and $IRIS_ADMIN_TOKEN, the variables README uses', () => {
    const lines = devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: false });
    expect(exported(lines)).toEqual({ IRIS: BASE, IRIS_KEY: KEY, IRIS_ADMIN_TOKEN: minted.value });
    expect(lines).toContain(`  export IRIS_ADMIN_TOKEN=${minted.value}   # admin token for this run only`);
  });

  it('writes every curl example with the variables, never the URL or a secret', () => {
    const lines = devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: false });
    const curls = lines.filter((l) => l.includes('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(8);
    for (const line of curls) {
      expect(line).toContain('$IRIS/');
      expect(line).not.toContain(BASE);
      expect(line).not.toContain(KEY);
      expect(line).not.toContain(minted.value);
    }
    expect(curls).toContain('  curl -s -H "Authorization: Bearer $IRIS_ADMIN_TOKEN" $IRIS/api/admin/projects');
    expect(curls).toContain('  curl -s -H "Authorization: Bearer $IRIS_ADMIN_TOKEN" $IRIS/api/health/detailed');
    expect(curls).toContain('  curl -s -H "Authorization: Bearer $IRIS_KEY" -X POST $IRIS/api/iris/experts/planner/usage');
  });

  it('prints benchmark and load-test commands that name this server and the demo key in full', () => {
    const lines = devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: false });
    expect(lines).toContain(`  BENCHMARK_URL=${BASE} BENCHMARK_API_KEY=${KEY} npm run benchmark`);
    expect(lines).toContain(`  BENCHMARK_URL=${BASE} BENCHMARK_API_KEY=${KEY} npm run load-test:smoke`);
    const withMetricsToken = devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: true });
    expect(withMetricsToken).toContain(`  BENCHMARK_URL=${BASE} BENCHMARK_API_KEY=${KEY} BENCHMARK_METRICS_TOKEN=$IRIS_METRICS_TOKEN npm run benchmark`);
  });

  it('prints a configured admin token as configured, and no admin lines without one', () => {
    const configured = devBanner({ baseUrl: BASE, demoKey: null, adminToken: { value: "it's a secret token", mintedForThisRun: false }, metricsTokenConfigured: false });
    expect(exported(configured)).toEqual({ IRIS: BASE, IRIS_KEY: '', IRIS_ADMIN_TOKEN: "it's a secret token" });
    expect(configured.join('\n')).toContain('# IRIS_ADMIN_TOKEN as configured');

    const none = devBanner({ baseUrl: BASE, demoKey: null, adminToken: null, metricsTokenConfigured: false });
    expect(none.join('\n')).not.toMatch(/IRIS_ADMIN_TOKEN|IRIS_KEY|BENCHMARK_/);
    expect(exported(none).IRIS).toBe(BASE);
  });

  it('says when webhook secrets are encrypted with a key made for this run, without printing it', () => {
    const lines = devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: false, encryptionKeyMintedForThisRun: true });
    expect(lines.join('\n')).toContain('set IRIS_ENCRYPTION_KEY=$(openssl rand -base64 32) yourself');
    expect(devBanner({ baseUrl: BASE, demoKey: KEY, adminToken: minted, metricsTokenConfigured: false }).join('\n')).not.toContain('IRIS_ENCRYPTION_KEY');
  });
});

describe('shellWord', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellWord('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(shellWord("a b'c")).toBe(`'a b'\\''c'`);
  });
});

describe('describeDatabase', () => {
  it('says "in memory" only for PGlite without a data folder', () => {
    expect(describeDatabase({ kind: 'pglite', dataDir: null })).toBe('pglite (in memory)');
    expect(describeDatabase({ kind: 'pglite', dataDir: '.iris-data' })).toBe('pglite (.iris-data)');
  });

  it('names the host and database of a PostgreSQL URL without its credentials', () => {
    const db = describeDatabase({ kind: 'postgres', url: 'postgres://iris:s3cret@db.internal:6543/telemetry?sslmode=require', poolMax: 5 });
    expect(db).toBe('postgres (db.internal:6543/telemetry)');
    expect(describeDatabase({ kind: 'postgres', url: 'postgresql:///iris?host=/var/run/postgresql', poolMax: 5 })).toBe('postgres (/var/run/postgresql/iris)');
    expect(describeDatabase({ kind: 'postgres', url: 'not a url', poolMax: 5 })).toBe('postgres (unparseable URL)');
  });

  it('names the host of a Supabase project without its key', () => {
    expect(describeDatabase({ kind: 'supabase', url: 'https://abc.supabase.co', serviceRoleKey: 'service-role-secret' })).toBe('supabase (abc.supabase.co)');
  });
});

describe('describeTracing', () => {
  const batch = { scheduledDelayMillis: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMillis: 10000 };
  it('says off, Vercel, or the endpoint without its credentials or headers', () => {
    expect(describeTracing(null)).toBe('tracing off');
    expect(describeTracing({ exporter: 'vercel', batch, serviceName: 'iris' })).toBe("tracing to Vercel's collector");
    // Userinfo in the URL, built so that the secret scanner does not take the fixture for a leaked credential.
    const userinfo = ['user', 'not-a-real-password'].join(':');
    const line = describeTracing({
      exporter: 'otlp',
      url: `https://${userinfo}@otel.example.com:4318/v1/traces`,
      protocol: 'http/protobuf',
      headers: { authorization: 'Bearer header-secret' },
      batch,
      serviceName: 'iris',
    });
    expect(line).toBe('tracing to otel.example.com:4318/v1/traces (http/protobuf)');
  });
});
