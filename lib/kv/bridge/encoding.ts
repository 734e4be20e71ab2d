import { RespError, type RespReply } from './resp.js';

/**
 * Upstash REST response bodies from Redis replies. Node-only (Buffer).
 *
 * With `Upstash-Encoding: base64` (what @upstash/redis sends by default) every
 * string in a result is base64 of its bytes, except the status reply "OK"
 * which the client special-cases; numbers, null and arrays keep their shape.
 * Without it strings are decoded as UTF-8.
 */

export type JsonValue = string | number | null | JsonValue[];

/** One entry of a /pipeline or /multi-exec answer. */
export type CommandOutcome = { result: JsonValue } | { error: string };

export function replyToJson(reply: RespReply, base64: boolean): JsonValue {
  if (reply === null || typeof reply === 'number') return reply;
  if (typeof reply === 'string') return base64 && reply !== 'OK' ? Buffer.from(reply, 'utf8').toString('base64') : reply;
  if (Buffer.isBuffer(reply)) return reply.toString(base64 ? 'base64' : 'utf8');
  // An error nested in an array (a Lua table holding an error) has no slot of
  // its own in the REST shape; it travels as its message.
  if (reply instanceof RespError) return replyToJson(reply.message, base64);
  return reply.map((item) => replyToJson(item, base64));
}

export function toOutcome(reply: RespReply, base64: boolean): CommandOutcome {
  return reply instanceof RespError ? { error: reply.message } : { result: replyToJson(reply, base64) };
}
