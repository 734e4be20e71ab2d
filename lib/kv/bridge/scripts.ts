import { createHash } from 'node:crypto';

/**
 * Lua script compatibility between Upstash and open-source Redis. Node-only.
 *
 * @upstash/ratelimit scripts start with `#!lua flags=allow-key-locking`, an
 * Upstash-only flag that redis-server 7 rejects ("Unexpected flag in script
 * shebang"). The bridge drops flags Redis does not know before EVAL and
 * SCRIPT LOAD, and remembers the SHA1 of the script as the client sent it, so
 * the client's EVALSHA of its precomputed hash still finds the rewritten one.
 */

/** Shebang flags redis-server 7 understands (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/#eval-flags). */
const REDIS_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

const SHEBANG = /^#!lua(?:[ \t]+flags=([^\r\n]*))?[ \t]*(?=\r?\n|$)/;

export function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/**
 * The script without the shebang flags Redis would refuse; unchanged when it has
 * none. When no flag is left the shebang line is blanked (keeping line numbers
 * in Lua errors), which also lets the script run on Redis 6.
 */
export function compatibleScript(script: string): string {
  const match = SHEBANG.exec(script);
  if (match === null) return script;
  const flags = (match[1] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const kept = flags.filter((f) => REDIS_FLAGS.has(f));
  if (kept.length === flags.length) return script;
  const shebang = kept.length > 0 ? `#!lua flags=${kept.join(',')}` : '';
  return shebang + script.slice(match[0].length);
}

/** Rewrites script commands on their way to Redis and maps SHA1s back. */
export class ScriptRegistry {
  /** SHA1 of the script as the client sent it -> SHA1 of what Redis holds. */
  private readonly redisSha = new Map<string, string>();

  /**
   * Returns the command to send to Redis and, for SCRIPT LOAD, the SHA1 to
   * answer instead of Redis's (the client expects the hash of its own text).
   */
  prepare(args: readonly string[]): { args: string[]; sha?: string } {
    const out = [...args];
    const name = (out[0] ?? '').toLowerCase();
    const sub = (out[1] ?? '').toLowerCase();
    if ((name === 'eval' || name === 'eval_ro') && out[1] !== undefined) {
      out[1] = this.register(out[1]).script;
    } else if ((name === 'evalsha' || name === 'evalsha_ro') && out[1] !== undefined) {
      out[1] = this.redisSha.get(out[1].toLowerCase()) ?? out[1];
    } else if (name === 'script' && sub === 'load' && out[2] !== undefined) {
      const registered = this.register(out[2]);
      out[2] = registered.script;
      return { args: out, sha: registered.sha };
    } else if (name === 'script' && sub === 'exists') {
      for (let i = 2; i < out.length; i++) out[i] = this.redisSha.get((out[i] ?? '').toLowerCase()) ?? (out[i] ?? '');
    }
    return { args: out };
  }

  private register(original: string): { script: string; sha: string } {
    const script = compatibleScript(original);
    const sha = sha1(original);
    if (script !== original) this.redisSha.set(sha, sha1(script));
    return { script, sha };
  }
}
