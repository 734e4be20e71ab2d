import { describe, expect, it } from 'vitest';
import { cacheBypassHeaders, isLoopbackUrl, remoteTarget, TargetError, targetKind } from './target.js';

describe('remoteTarget', () => {
  it('is null without a URL, so the tools start a local server', () => {
    expect(remoteTarget({})).toBeNull();
    expect(remoteTarget({ BENCHMARK_URL: '  ' })).toBeNull();
  });

  it('builds the headers from the key and the Vercel bypass secret', () => {
    const target = remoteTarget({
      BENCHMARK_URL: 'https://iris-git-x.vercel.app/',
      BENCHMARK_API_KEY: 'iris_sk_abc',
      VERCEL_AUTOMATION_BYPASS_SECRET: 'bypass',
      BENCHMARK_METRICS_TOKEN: 'metrics-token-0123456789',
      IRIS_ADMIN_TOKEN: 'admin-token-0123456789',
    });
    expect(target).toEqual({
      baseUrl: 'https://iris-git-x.vercel.app',
      headers: { authorization: 'Bearer iris_sk_abc', 'x-vercel-protection-bypass': 'bypass' },
      metricsToken: 'metrics-token-0123456789',
      adminToken: 'admin-token-0123456789',
      embedded: false,
    });
  });

  it('prefers a --url flag over BENCHMARK_URL', () => {
    expect(remoteTarget({ BENCHMARK_URL: 'http://a.example', BENCHMARK_API_KEY: 'k' }, 'http://b.example')?.baseUrl).toBe('http://b.example');
  });

  it('names the variable that is missing or malformed', () => {
    expect(() => remoteTarget({ BENCHMARK_URL: 'https://x.vercel.app' })).toThrow(/BENCHMARK_API_KEY is required/);
    expect(() => remoteTarget({ BENCHMARK_URL: 'ftp://x', BENCHMARK_API_KEY: 'k' })).toThrow(TargetError);
    expect(() => remoteTarget({ BENCHMARK_URL: 'not a url', BENCHMARK_API_KEY: 'k' })).toThrow(/BENCHMARK_URL/);
    expect(() => remoteTarget({ BENCHMARK_URL: 'https://u:p@x.app', BENCHMARK_API_KEY: 'k' })).toThrow(/plain base URL/);
  });
});

describe('cacheBypassHeaders', () => {
  const base = { baseUrl: 'https://x.app', headers: {}, metricsToken: null };

  it('sends the admin token, or any value to the embedded server', () => {
    expect(cacheBypassHeaders({ ...base, adminToken: 'tok', embedded: false })).toEqual({ 'x-iris-cache-bypass': 'tok', 'cache-control': 'no-cache' });
    expect(cacheBypassHeaders({ ...base, adminToken: null, embedded: true })['x-iris-cache-bypass']).toBe('local');
  });

  it('refuses a remote baseline without an admin token', () => {
    expect(() => cacheBypassHeaders({ ...base, adminToken: null, embedded: false })).toThrow(/BENCHMARK_ADMIN_TOKEN/);
  });
});

describe('isLoopbackUrl', () => {
  it('recognises this machine only', () => {
    for (const url of ['http://127.0.0.1:3000', 'http://localhost', 'http://[::1]:8080', 'http://127.8.9.10', 'http://app.localhost']) expect(isLoopbackUrl(url), url).toBe(true);
    for (const url of ['https://iris.vercel.app', 'http://10.0.0.1', 'http://128.0.0.1', 'http://localhost.example.com']) expect(isLoopbackUrl(url), url).toBe(false);
  });
});

describe('targetKind', () => {
  it('calls a loopback server local, not remote, and one the tool started embedded', () => {
    expect(targetKind('http://127.0.0.1:3000', false)).toBe('local');
    expect(targetKind('http://localhost:3000', false)).toBe('local');
    expect(targetKind('http://127.0.0.1:41234', true)).toBe('embedded');
    expect(targetKind('https://iris.vercel.app', false)).toBe('remote');
  });
});
