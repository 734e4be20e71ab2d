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

/** The budget a request spends: reads (GET, HEAD) and writes are limited separately, per API key. */
export function ruleForKey(settings: Json, method: string): RateLimitRule {
  const read = method === 'GET' || method === 'HEAD';
  return read
    ? { name: 'read', limit: perMinute(settings, 'readsPerMinute') ?? DEFAULT_READS_PER_MINUTE, windowMs: MINUTE_MS }
    : { name: 'write', limit: perMinute(settings, 'writesPerMinute') ?? DEFAULT_WRITES_PER_MINUTE, windowMs: MINUTE_MS };
}

/** The per-client-IP budget for unauthenticated attempts, public and admin routes. */
export function ruleForIp(perMinuteLimit = DEFAULT_IP_PER_MINUTE): RateLimitRule {
  return { name: 'ip', limit: perMinuteLimit, windowMs: MINUTE_MS };
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
