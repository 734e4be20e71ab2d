import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const POSTGRES = { DATABASE_URL: 'postgres://iris@127.0.0.1:5432/iris' };

describe('loadConfig: the database time budget', () => {
  it('defaults to a 1.5 s call budget, 1 s connect and statement timeouts and a 2 s circuit cooldown', () => {
    const config = loadConfig(POSTGRES);
    expect(config.dbBudget).toEqual({ timeoutMs: 1_500, circuitCooldownMs: 2_000 });
    expect(config.db).toMatchObject({ kind: 'postgres', connectTimeoutMs: 1_000, statementTimeoutMs: 1_000 });
  });

  it('reads every variable, and 0 turns the statement timeout off', () => {
    const config = loadConfig({
      ...POSTGRES,
      DATABASE_TIMEOUT_MS: '5000',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_CIRCUIT_COOLDOWN_MS: '10000',
    });
    expect(config.dbBudget).toEqual({ timeoutMs: 5_000, circuitCooldownMs: 10_000 });
    expect(config.db).toMatchObject({ connectTimeoutMs: 2_000, statementTimeoutMs: null });
  });

  it('derives the connect and statement timeouts from a short call budget', () => {
    expect(loadConfig({ ...POSTGRES, DATABASE_TIMEOUT_MS: '600' }).db).toMatchObject({ connectTimeoutMs: 400, statementTimeoutMs: 400 });
  });

  it('hands the call budget to the Supabase client as its deadline', () => {
    const config = loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'k', DATABASE_TIMEOUT_MS: '900' });
    expect(config.db).toMatchObject({ kind: 'supabase', timeoutMs: 900 });
  });

  it('names the variable that is malformed or out of range', () => {
    expect(() => loadConfig({ ...POSTGRES, DATABASE_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_TIMEOUT_MS: must be a whole number of milliseconds/);
    expect(() => loadConfig({ ...POSTGRES, DATABASE_TIMEOUT_MS: '1.5' })).toThrow(/DATABASE_TIMEOUT_MS: must be a whole number/);
    expect(() => loadConfig({ ...POSTGRES, DATABASE_CIRCUIT_COOLDOWN_MS: '5' })).toThrow(/DATABASE_CIRCUIT_COOLDOWN_MS: must be between 100 and 600000 ms/);
    expect(() => loadConfig({ ...POSTGRES, DATABASE_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS: .*or 0/);
  });

  it('refuses connect or statement timeouts that would not fire before the call budget', () => {
    const error = (() => {
      try {
        loadConfig({ ...POSTGRES, DATABASE_TIMEOUT_MS: '1000', DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '3000' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/DATABASE_CONNECT_TIMEOUT_MS \(1000\) must be below DATABASE_TIMEOUT_MS \(1000\)/);
    expect((error as Error).message).toMatch(/DATABASE_STATEMENT_TIMEOUT_MS \(3000\) must be below DATABASE_TIMEOUT_MS/);
  });
});

describe('loadConfig: IRIS_ENCRYPTION_KEY', () => {
  const key = new Uint8Array(32).map((_, i) => i * 7);
  const base64 = btoa(String.fromCharCode(...key));

  it('reads 32 bytes of standard or URL-safe base64, and is null when unset', () => {
    expect(loadConfig({}).encryptionKey).toBeNull();
    expect(loadConfig({ IRIS_ENCRYPTION_KEY: base64 }).encryptionKey).toEqual(key);
    expect(loadConfig({ IRIS_ENCRYPTION_KEY: base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') }).encryptionKey).toEqual(key);
  });

  it('refuses a key of the wrong length or one that is not base64, naming the variable but never the value', () => {
    const short = btoa('sixteen bytes!!!');
    for (const value of [short, 'not base64 at all!', base64 + base64]) {
      const message = (() => {
        try {
          loadConfig({ IRIS_ENCRYPTION_KEY: value });
        } catch (e) {
          return e instanceof ConfigError ? e.message : 'not a ConfigError';
        }
        return 'accepted';
      })();
      expect(message).toMatch(/IRIS_ENCRYPTION_KEY must be 32 random bytes in base64 \(generate one with: openssl rand -base64 32\)/);
      expect(message).not.toContain(value);
    }
  });
});

describe('loadConfig: IRIS_ENCRYPTION_KEY_PREVIOUS', () => {
  const keyOf = (seed: number) => new Uint8Array(32).map((_, i) => (i * 7 + seed) % 256);
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  const current = b64(keyOf(0));
  const messageOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (e) {
      return e instanceof ConfigError ? e.message : 'not a ConfigError';
    }
    return 'accepted';
  };

  it('reads comma-separated keys in order, spaces allowed, and is empty when unset', () => {
    expect(loadConfig({ IRIS_ENCRYPTION_KEY: current }).previousEncryptionKeys).toEqual([]);
    const config = loadConfig({ IRIS_ENCRYPTION_KEY: current, IRIS_ENCRYPTION_KEY_PREVIOUS: `${b64(keyOf(1))}, ${b64(keyOf(2))}` });
    expect(config.previousEncryptionKeys).toEqual([keyOf(1), keyOf(2)]);
  });

  it('refuses, by position and never by value: a key that is not 32 bytes of base64, an empty entry, more than 8, or no current key', () => {
    const bad = btoa('sixteen bytes!!!');
    const cases: [Record<string, string>, RegExp][] = [
      [{ IRIS_ENCRYPTION_KEY: current, IRIS_ENCRYPTION_KEY_PREVIOUS: `${b64(keyOf(1))},${bad}` }, /IRIS_ENCRYPTION_KEY_PREVIOUS: key 2 must be 32 bytes in base64; got 16 bytes/],
      [{ IRIS_ENCRYPTION_KEY: current, IRIS_ENCRYPTION_KEY_PREVIOUS: `${b64(keyOf(1))},` }, /key 2 must be 32 bytes in base64; got nothing/],
      [{ IRIS_ENCRYPTION_KEY: current, IRIS_ENCRYPTION_KEY_PREVIOUS: 'not base64 at all!' }, /key 1 must be 32 bytes in base64; got text that is not base64/],
      [{ IRIS_ENCRYPTION_KEY: current, IRIS_ENCRYPTION_KEY_PREVIOUS: Array.from({ length: 9 }, (_, i) => b64(keyOf(i + 1))).join(',') }, /holds 9 keys; at most 8/],
      [{ IRIS_ENCRYPTION_KEY_PREVIOUS: b64(keyOf(1)) }, /IRIS_ENCRYPTION_KEY_PREVIOUS is set without IRIS_ENCRYPTION_KEY/],
    ];
    for (const [env, expected] of cases) {
      const message = messageOf(env);
      expect(message, JSON.stringify(Object.keys(env))).toMatch(expected);
      for (const value of (env.IRIS_ENCRYPTION_KEY_PREVIOUS ?? '').split(',')) if (value.length > 8) expect(message).not.toContain(value.trim());
      expect(message).not.toContain(current);
    }
  });
});

describe('loadConfig: behind a transaction-mode pooler', () => {
  const SUPAVISOR = 'postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres';

  it('is direct by default: prepared statements and the statement timeout as a startup parameter', () => {
    expect(loadConfig(POSTGRES).db).toMatchObject({ pooler: null, statementTimeoutMs: 1_000 });
  });

  it("detects Supabase's transaction port, 6543, and sends no statement timeout", () => {
    expect(loadConfig({ DATABASE_URL: SUPAVISOR }).db).toMatchObject({ pooler: 'transaction', statementTimeoutMs: null });
    // Session mode (5432 on the same host) keeps sessions: nothing changes.
    expect(loadConfig({ DATABASE_URL: SUPAVISOR.replace(':6543', ':5432') }).db).toMatchObject({ pooler: null });
  });

  it('takes DATABASE_POOLER=transaction for any other pooler, and none to overrule the port', () => {
    expect(loadConfig({ ...POSTGRES, DATABASE_POOLER: 'transaction' }).db).toMatchObject({ pooler: 'transaction', statementTimeoutMs: null });
    expect(loadConfig({ DATABASE_URL: SUPAVISOR, DATABASE_POOLER: 'none' }).db).toMatchObject({ pooler: null, statementTimeoutMs: 1_000 });
    expect(() => loadConfig({ ...POSTGRES, DATABASE_POOLER: 'session' })).toThrow(/DATABASE_POOLER must be transaction or none/);
  });

  it('refuses a statement timeout it could not send, saying where to set it instead', () => {
    expect(() => loadConfig({ DATABASE_URL: SUPAVISOR, DATABASE_STATEMENT_TIMEOUT_MS: '800' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS cannot reach the server .*alter role/);
    expect(loadConfig({ DATABASE_URL: SUPAVISOR, DATABASE_STATEMENT_TIMEOUT_MS: '0' }).db).toMatchObject({ statementTimeoutMs: null });
  });
});
