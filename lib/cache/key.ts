import { hash64 } from './hash.js';

/** A value allowed in cache-key parameters: JSON without `undefined` surprises. */
export type CacheParam = string | number | boolean | null | undefined | readonly CacheParam[] | { readonly [key: string]: CacheParam };

/** The parameters that select one cached value of a resource (query string, cursor, ...). */
export type CacheParams = { readonly [key: string]: CacheParam };

/**
 * Where a value lives: the project and resource it belongs to (which select
 * its generation counter) and its full KV key.
 */
export interface CacheKey {
  readonly project: string;
  readonly resource: string;
  /** `iris:v1:<project>:<resource>:<hash of normalised params>`. */
  readonly key: string;
  /** The generation counter of `(project, resource)`, `generationKey(project, resource)`, built once here. */
  readonly group: string;
}

/** Version prefix of every key; bump it when the envelope format changes. */
export const KEY_PREFIX = 'iris:v1';

/** The project segment that would let a value key collide with a generation key. */
const RESERVED_PROJECT = 'gen';

/**
 * A key segment: percent-encoded, so it never holds `:` and segments cannot run
 * into each other.
 */
function segment(name: 'project' | 'resource', value: string): string {
  if (value === '') throw new RangeError(`cache key ${name} must not be empty`);
  return encodeURIComponent(value);
}

function canonical(value: CacheParam, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`cache key parameter ${path} must be finite, got ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${(value as readonly CacheParam[]).map((item, i) => (item === undefined ? 'null' : canonical(item, `${path}[${i}]`))).join(',')}]`;
      }
      const record = value as { readonly [key: string]: CacheParam };
      // A plain loop: this runs for every cached read (and every API-key lookup).
      const names = Object.keys(record).sort();
      let out = '';
      for (const name of names) {
        const member = record[name];
        if (member === undefined) continue;
        out += `${out === '' ? '' : ','}${JSON.stringify(name)}:${canonical(member, `${path}.${name}`)}`;
      }
      return `{${out}}`;
    }
    default:
      throw new TypeError(`cache key parameter ${path} has unsupported type ${typeof value}`);
  }
}

/**
 * The canonical JSON of `params`: object keys sorted at every depth, members
 * whose value is `undefined` dropped (so `{a: 1, b: undefined}` equals
 * `{a: 1}`), array order kept, `1` and `"1"` distinct.
 * @throws RangeError for a non-finite number, TypeError for a function, symbol or bigint.
 */
export function canonicalParams(params: CacheParams): string {
  return canonical(params, 'params');
}

/**
 * The key of one cached value, as a pure function of its inputs.
 * @throws RangeError when `project` or `resource` is empty or `project` is `gen`.
 * @example
 * cacheKey('6f1c…', 'runs', { limit: 50, cursor: undefined }).key
 * // 'iris:v1:6f1c…:runs:9b2e44c1a0d3f7e2'
 */
export function cacheKey(project: string, resource: string, params: CacheParams = {}): CacheKey {
  const scope = scopeOf(project, resource);
  // The same object (and strings, whose hashes V8 keeps) every time for a parameterless read.
  if (isEmpty(params)) return scope.empty;
  if (!Object.isFrozen(params)) return { project, resource, key: scope.prefix + hash64(canonicalParams(params)), group: scope.group };
  // A frozen object of primitives cannot change: its key is built once per (project, resource) and kept
  // while the object lives (a route's memoised, validated input), so a hot read hashes nothing.
  let key = scope.frozen.get(params);
  if (key === undefined) {
    key = Object.freeze({ project, resource, key: scope.prefix + hash64(canonicalParams(params)), group: scope.group });
    if (isFlat(params)) scope.frozen.set(params, key);
  }
  return key;
}

/** The parts of a key fixed by (project, resource), built once per pair: every cached read needs them. */
interface Scope {
  /** `iris:v1:<project>:<resource>:` */
  prefix: string;
  group: string;
  /** The key of the pair's parameterless value. */
  empty: CacheKey;
  /** Keys of frozen parameter objects of primitives, held weakly by the object. */
  frozen: WeakMap<CacheParams, CacheKey>;
}

/** Projects remembered at most; past it the memo starts over (it only saves work). */
const MAX_SCOPE_PROJECTS = 10_000;
/** project -> resource -> scope: two lookups of strings V8 has usually hashed already, no string built. */
const scopes = new Map<string, Map<string, Scope>>();

function scopeOf(project: string, resource: string): Scope {
  let byResource = scopes.get(project);
  let scope = byResource?.get(resource);
  if (scope === undefined) {
    if (project === RESERVED_PROJECT) throw new RangeError(`cache key project must not be "${RESERVED_PROJECT}"`);
    const group = `${segment('project', project)}:${segment('resource', resource)}`;
    const prefix = `${KEY_PREFIX}:${group}:`;
    const generation = `${KEY_PREFIX}:${RESERVED_PROJECT}:${group}`;
    scope = { prefix, group: generation, empty: Object.freeze({ project, resource, key: prefix + EMPTY_PARAMS_HASH, group: generation }), frozen: new WeakMap() };
    if (byResource === undefined) {
      if (scopes.size >= MAX_SCOPE_PROJECTS) scopes.clear();
      scopes.set(project, (byResource = new Map()));
    }
    byResource.set(resource, scope);
  }
  return scope;
}

const EMPTY_PARAMS_HASH = hash64('{}');

function isEmpty(params: CacheParams): boolean {
  for (const name in params) if (params[name] !== undefined) return false;
  return true;
}

/** Whether every member is a primitive: a frozen object of them is immutable all the way down. */
function isFlat(params: CacheParams): boolean {
  for (const name in params) {
    const value = params[name];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}

/** The KV counter whose value is the current generation of `(project, resource)`. */
export function generationKey(project: string, resource: string): string {
  return cacheKey(project, resource).group;
}

/** The fleet stampede lock of one value key (one more segment, so it never equals a value key). */
export function lockKey(valueKey: string): string {
  return `${valueKey}:lock`;
}
