/**
 * Spans around the database and the KV: each RPC and each KV command is one
 * CLIENT span, named and labelled as the OpenTelemetry database conventions
 * say (`db.system.name`, `db.operation.name`). Arguments, keys and values are
 * never recorded: keys hold project ids and key hashes, values user data.
 * Installed by `createServices` only when tracing is on.
 */
import type { Db } from '../db/types.js';
import type { KvStore } from '../kv/index.js';
import { withClientSpan } from './spans.js';

/** `db` with one span per `rpc` call (`rpc <function name>`). */
export function traceDb<D extends Db>(db: D): D {
  const system = { 'db.system.name': 'postgresql', 'iris.db.adapter': db.kind };
  return Object.assign(Object.create(db) as D, {
    kind: db.kind,
    rpc: ((name, args, options) => withClientSpan(`rpc ${name}`, { ...system, 'db.operation.name': name }, () => db.rpc(name, args, options))) as Db['rpc'],
    close: () => db.close(),
  });
}

const KV_COMMANDS = {
  get: 'GET',
  mget: 'MGET',
  set: 'SET',
  del: 'DEL',
  incr: 'INCR',
  append: 'APPEND',
  pexpire: 'PEXPIRE',
  delIfEquals: 'DELIFEQ',
} as const satisfies Partial<Record<keyof KvStore, string>>;

/** `kv` with one span per command (`kv GET`, `kv SET`, ...). */
export function traceKv(kv: KvStore): KvStore {
  const traced = Object.create(kv) as KvStore;
  const base = { 'db.system.name': 'redis', 'iris.kv.kind': kv.kind };
  for (const [method, command] of Object.entries(KV_COMMANDS) as [keyof typeof KV_COMMANDS, string][]) {
    const original = kv[method] as (...args: unknown[]) => Promise<unknown>;
    const attributes = { ...base, 'db.operation.name': command };
    Object.defineProperty(traced, method, {
      value: (...args: unknown[]) => withClientSpan(`kv ${command}`, attributes, () => original.apply(kv, args)),
    });
  }
  return traced;
}
