import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBridgeCommand, redactRedisUrl } from './cli.js';

const TOKEN = 'bridge-cli-token-0123456789abcdef';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

describe('parseBridgeCommand', () => {
  it('reads the token from KV_REST_API_TOKEN, with defaults for the rest', () => {
    expect(parseBridgeCommand([], { KV_REST_API_TOKEN: TOKEN })).toEqual({
      kind: 'start',
      command: { redisUrl: 'redis://127.0.0.1:6379', port: 8079, host: '127.0.0.1', token: TOKEN },
    });
  });

  it('refuses --token, in both spellings, without repeating its value', () => {
    for (const argv of [['--token', TOKEN], [`--token=${TOKEN}`]]) {
      const parsed = parseBridgeCommand(argv, { KV_REST_API_TOKEN: 'from-env' });
      expect(parsed).toMatchObject({ kind: 'error', message: expect.stringMatching(/--token is not accepted.*KV_REST_API_TOKEN/) });
      expect(JSON.stringify(parsed)).not.toContain(TOKEN);
    }
  });

  it('refuses to start without the token in the environment', () => {
    expect(parseBridgeCommand([], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('KV_REST_API_TOKEN is not set') });
    expect(parseBridgeCommand([], { KV_REST_API_TOKEN: '  ' })).toMatchObject({ kind: 'error' });
  });

  it('takes a Redis URL with a password from REDIS_URL only', () => {
    const withPassword = 'redis://default:hunter2-secret@cache:6380/1';
    const refused = parseBridgeCommand(['--redis', withPassword], { KV_REST_API_TOKEN: TOKEN });
    expect(refused).toMatchObject({ kind: 'error', message: expect.stringContaining('REDIS_URL') });
    expect(JSON.stringify(refused)).not.toContain('hunter2');
    expect(parseBridgeCommand([], { KV_REST_API_TOKEN: TOKEN, REDIS_URL: withPassword })).toMatchObject({ kind: 'start', command: { redisUrl: withPassword } });
  });

  it('names a bad option or value, never a secret', () => {
    expect(parseBridgeCommand(['--port', '70000'], { KV_REST_API_TOKEN: TOKEN })).toMatchObject({ kind: 'error', message: expect.stringContaining('--port') });
    expect(parseBridgeCommand([`--unknown=${TOKEN}`], { KV_REST_API_TOKEN: TOKEN })).toMatchObject({ kind: 'error' });
    expect(JSON.stringify(parseBridgeCommand([`--unknown=${TOKEN}`], { KV_REST_API_TOKEN: TOKEN }))).not.toContain(TOKEN);
    expect(parseBridgeCommand(['--help'], {})).toEqual({ kind: 'help' });
  });
});

describe('redactRedisUrl', () => {
  it('hides the user name and password and keeps where it points', () => {
    expect(redactRedisUrl('redis://default:s3cret@cache:6379/2')).toBe('redis://***@cache:6379/2');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url')).toBe('(unparseable URL)');
  });
});

describe('npm run kv:bridge', () => {
  /** Runs scripts/kv-bridge.ts until it prints its address (then stops it) or exits. */
  function runBridge(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/kv-bridge.ts', ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let cmdline = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('kv-bridge: http://') && child.exitCode === null) {
        cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    return new Promise<{ code: number | null; output: string; cmdline: string }>((resolve) => child.on('exit', (code) => resolve({ code, output, cmdline })));
  }

  it('starts with the token from the environment, and neither its command line nor its output holds it', async () => {
    const run = await runBridge(['--port', '0', '--redis', 'redis://127.0.0.1:1'], { KV_REST_API_TOKEN: TOKEN });
    expect(run.output).toMatch(/kv-bridge: http:\/\/127\.0\.0\.1:\d+ -> redis:\/\/127\.0\.0\.1:1/);
    expect(run.cmdline).toContain('kv-bridge.ts');
    expect(run.cmdline).not.toContain(TOKEN);
    expect(run.output).not.toContain(TOKEN);
  });

  it('exits 2 on --token, without printing it', async () => {
    const run = await runBridge(['--token', TOKEN, '--port', '0'], {});
    expect(run.code).toBe(2);
    expect(run.output).toContain('--token is not accepted');
    expect(run.output).not.toContain(TOKEN);
  });
});
