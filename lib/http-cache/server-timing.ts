/**
 * `Server-Timing` (W3C Server Timing) as a pure builder:
 * `auth;dur=1.2, cache;desc="HIT-L1";dur=0.1, db;dur=12.3`.
 */

/** One metric of a `Server-Timing` header. */
export interface ServerTimingMetric {
  /** A token such as `auth`, `cache`, `db`; other characters become `_`. */
  name: string;
  /** Duration in milliseconds; omitted when not a finite number >= 0. */
  durMs?: number;
  /** A short description, sent as a quoted string. */
  desc?: string;
}

const TOKEN_CHAR = /[^!#$%&'*+.^_`|~0-9A-Za-z-]/g;
/** Longest description kept; longer ones are cut. */
const MAX_DESC_LENGTH = 100;

/** Descriptions that need no escaping (the common case, such as X-Cache values). */
const PLAIN_DESC = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Names that are already a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/** `desc` as an RFC 9110 quoted-string: `"` and `\` escaped, non-printable and non-ASCII characters replaced by `?`. */
function quoted(desc: string): string {
  if (desc.length <= MAX_DESC_LENGTH && PLAIN_DESC.test(desc)) return `"${desc}"`;
  const printable = desc.slice(0, MAX_DESC_LENGTH).replace(/[^\x20-\x7e]/g, '?');
  return `"${printable.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/** Most (name, desc) pairs whose header part is remembered; past it the memo starts over (it only saves work). */
const MAX_PARTS = 256;
/** The memo's key for a metric without a description (an empty description is a description). */
const NO_DESC = Symbol('no desc');
/** name -> desc -> the part before `;dur=`, or null when the name is unusable. */
const parts = new Map<string, Map<string | symbol, string | null>>();
let partCount = 0;

/** `name;desc="…"` of one metric, or null when its name has no usable character: built once per (name, desc). */
function partOf(metricName: string, desc: string | undefined): string | null {
  let byDesc = parts.get(metricName);
  let part = byDesc?.get(desc ?? NO_DESC);
  if (part !== undefined) return part;
  const name = TOKEN.test(metricName) ? metricName : metricName.replace(TOKEN_CHAR, '_').slice(0, 64);
  part = name === '' || (name.charCodeAt(0) === 95 && /^_+$/.test(name)) ? null : desc === undefined ? name : `${name};desc=${quoted(desc)}`;
  if (partCount >= MAX_PARTS) {
    parts.clear();
    partCount = 0;
    byDesc = undefined;
  }
  if (byDesc === undefined) parts.set(metricName, (byDesc = new Map()));
  byDesc.set(desc ?? NO_DESC, part);
  partCount += 1;
  return part;
}

/**
 * The `Server-Timing` value for `metrics`, in order. Durations keep one
 * decimal. Metrics whose name has no usable character are dropped; returns an
 * empty string when none is left (send no header then).
 * @example
 * serverTiming([{ name: 'cache', desc: 'HIT-L1', durMs: 0.08 }, { name: 'db', durMs: 12.34 }])
 * // 'cache;desc="HIT-L1";dur=0.1, db;dur=12.3'
 */
export function serverTiming(metrics: readonly ServerTimingMetric[]): string {
  let out = '';
  for (const metric of metrics) {
    let part = partOf(metric.name, metric.desc);
    if (part === null) continue;
    if (metric.durMs !== undefined && Number.isFinite(metric.durMs) && metric.durMs >= 0) {
      part += `;dur=${Math.round(metric.durMs * 10) / 10}`;
    }
    out = out === '' ? part : `${out}, ${part}`;
  }
  return out;
}
