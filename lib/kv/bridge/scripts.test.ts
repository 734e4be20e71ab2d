import { describe, expect, it } from 'vitest';
import { compatibleScript, ScriptRegistry, sha1 } from './scripts.js';

const UPSTASH = '#!lua flags=allow-key-locking\n  return redis.call("GET", KEYS[1])\n';

describe('compatibleScript', () => {
  it('blanks a shebang whose only flag Redis does not know, keeping line numbers', () => {
    expect(compatibleScript(UPSTASH)).toBe('\n  return redis.call("GET", KEYS[1])\n');
  });

  it('keeps the flags Redis knows', () => {
    expect(compatibleScript('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
  });

  it('leaves scripts without a shebang or with only known flags untouched', () => {
    for (const script of ['return 1', '#!lua\nreturn 1', '#!lua flags=no-writes,allow-stale\nreturn 1', '-- #!lua flags=x\nreturn 1']) {
      expect(compatibleScript(script)).toBe(script);
    }
  });
});

describe('ScriptRegistry', () => {
  it('sends EVALSHA of the client script hash as the hash of the rewritten script', () => {
    const registry = new ScriptRegistry();
    expect(registry.prepare(['EVAL', UPSTASH, '1', 'k']).args).toEqual(['EVAL', compatibleScript(UPSTASH), '1', 'k']);
    expect(registry.prepare(['evalsha', sha1(UPSTASH), '1', 'k']).args).toEqual(['evalsha', sha1(compatibleScript(UPSTASH)), '1', 'k']);
  });

  it('answers SCRIPT LOAD with the hash of the script as the client sent it', () => {
    const registry = new ScriptRegistry();
    const prepared = registry.prepare(['SCRIPT', 'LOAD', UPSTASH]);
    expect(prepared).toEqual({ args: ['SCRIPT', 'LOAD', compatibleScript(UPSTASH)], sha: sha1(UPSTASH) });
    expect(registry.prepare(['SCRIPT', 'EXISTS', sha1(UPSTASH), 'abc']).args).toEqual(['SCRIPT', 'EXISTS', sha1(compatibleScript(UPSTASH)), 'abc']);
  });

  it('passes an unknown hash through so Redis answers NOSCRIPT', () => {
    expect(new ScriptRegistry().prepare(['EVALSHA', 'f'.repeat(40), '0']).args).toEqual(['EVALSHA', 'f'.repeat(40), '0']);
  });
});
