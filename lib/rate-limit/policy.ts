import type { Json } from '../db/types.js';
import type { RateLimitRule } from './types.js';

/** Defaults when a project's settings name no limit. */
export const DEFAULT_READS_PER_MINUTE = 1000;
export const DEFAULT_WRITES_PER_MINUTE = 300;
export const DEFAULT_IP_PER_MINUTE = 100;
const MINUTE_MS = 60_000;

function perMinute(settings: Json, field: 'readsPerMinute' | 'writesPerMinute'): number | undefined {
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) return undefined;
  const rateLimit = settings.rateLimit;
  if (!rateLimit || typeof rateLimit !== 'object' || Array.isArray(rateLimit)) return undefined;
  const value = rateLimit[field];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Rules are plain values; one frozen object per distinct rule lets limiters key their state by it without rebuilding strings. */
const rules = new Map<string, RateLimitRule>();
/** Distinct rules remembered at most (limits are per project setting: few). */
const MAX_RULES = 10_000;

function rule(name: RateLimitRule['name'], limit: number): RateLimitRule {
  const id = `${name}:${limit}`;
  let found = rules.get(id);
  if (found === undefined) {
    found = Object.freeze({ name, limit, windowMs: MINUTE_MS });
    if (rules.size >= MAX_RULES) rules.clear();
    rules.set(id, found);
  }
  return found;
}

/** Both budgets of a settings object, worked out once per object (a cached key's settings are one shared frozen object). */
const keyRules = new WeakMap<object, { read: RateLimitRule; write: RateLimitRule }>();

/** The budget a request spends: reads (GET, HEAD) and writes are limited separately, per API key. */
export function ruleForKey(settings: Json, method: string): RateLimitRule {
  const read = method === 'GET' || method === 'HEAD';
  const memo = settings !== null && typeof settings === 'object' ? keyRules.get(settings) : undefined;
  if (memo) return read ? memo.read : memo.write;
  const both = {
    read: rule('read', perMinute(settings, 'readsPerMinute') ?? DEFAULT_READS_PER_MINUTE),
    write: rule('write', perMinute(settings, 'writesPerMinute') ?? DEFAULT_WRITES_PER_MINUTE),
  };
  if (settings !== null && typeof settings === 'object') keyRules.set(settings, both);
  return read ? both.read : both.write;
}

/** The per-client-IP budget for unauthenticated attempts, public and admin routes. */
export function ruleForIp(perMinuteLimit = DEFAULT_IP_PER_MINUTE): RateLimitRule {
  return rule('ip', perMinuteLimit);
}

/**
 * The client IP as Vercel reports it: the first hop of `x-forwarded-for`
 * (Vercel overwrites the header, so the first entry is the client), else
 * `x-real-ip`, else 'unknown' (every such request then shares one budget).
 */
export function clientIp(headers: Headers): string {
  const forwarded = headers.get('x-forwarded-for');
  const first = forwarded?.split(',')[0]?.trim();
  const candidate = first || headers.get('x-real-ip')?.trim() || '';
  return /^[0-9A-Fa-f.:]{2,45}$/.test(candidate) ? candidate : 'unknown';
}
