/**
 * What `npm run kv:bridge` (scripts/kv-bridge.ts) reads from its command line
 * and environment, as pure functions.
 *
 * Secrets come from the environment only: a command line is readable by
 * every user of the machine (`ps`, /proc/<pid>/cmdline) and lands in shell
 * history. So the token is `KV_REST_API_TOKEN` (the variable Iris itself
 * reads, so one export serves both), `--token` is refused, and a Redis URL
 * with a password goes in `REDIS_URL`, never `--redis`. Nothing here ever
 * puts a secret into a message (issue 11: the bridge's token sat on its
 * command line and in its log).
 */
import { parseArgs } from 'node:util';

/** The variable the bridge reads its token from. */
export const BRIDGE_TOKEN_ENV = 'KV_REST_API_TOKEN';
/** The variable a Redis URL with credentials goes in. */
export const BRIDGE_REDIS_URL_ENV = 'REDIS_URL';

export const BRIDGE_USAGE =
  `usage: ${BRIDGE_TOKEN_ENV}=<token> npm run kv:bridge -- [--redis redis://127.0.0.1:6379] [--port 8079] [--host 127.0.0.1]\n` +
  `  The token is read from $${BRIDGE_TOKEN_ENV} only; a Redis URL with a password from $${BRIDGE_REDIS_URL_ENV}.`;

/** A bridge to start. */
export interface BridgeCommand {
  redisUrl: string;
  port: number;
  host: string;
  token: string;
}

export type ParsedBridgeCommand = { kind: 'start'; command: BridgeCommand } | { kind: 'help' } | { kind: 'error'; message: string };

/**
 * Reads the command line and environment of `npm run kv:bridge`.
 * @example
 * parseBridgeCommand(['--port', '0'], { KV_REST_API_TOKEN: 't' }); // { kind: 'start', command: { port: 0, token: 't', ... } }
 */
export function parseBridgeCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedBridgeCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        port: { type: 'string', default: '8079' },
        host: { type: 'string', default: '127.0.0.1' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // parseArgs names the option, never a value; but an unknown `--token=...` is one word: keep only the option.
    const message = (error as Error).message.replace(/'(--?[\w-]+)=[^']*'/g, "'$1'");
    return { kind: 'error', message };
  }
  if (values.help) return { kind: 'help' };
  if (values.token !== undefined) {
    return { kind: 'error', message: `--token is not accepted: every user of this machine can read a command line. Set ${BRIDGE_TOKEN_ENV} instead.` };
  }
  const token = env[BRIDGE_TOKEN_ENV]?.trim();
  if (!token) return { kind: 'error', message: `${BRIDGE_TOKEN_ENV} is not set: the bridge reads its token from the environment.` };
  if (values.redis !== undefined && hasCredentials(values.redis)) {
    return { kind: 'error', message: `--redis must not hold a password (every user can read a command line): put the URL in ${BRIDGE_REDIS_URL_ENV}.` };
  }
  const redisUrl = values.redis ?? env[BRIDGE_REDIS_URL_ENV] ?? 'redis://127.0.0.1:6379';
  if (!/^redis:\/\//.test(redisUrl)) return { kind: 'error', message: `the Redis URL must start with redis:// (got ${redactRedisUrl(redisUrl)})` };
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { kind: 'error', message: `--port must be 0-65535, got "${values.port}"` };
  return { kind: 'start', command: { redisUrl, port, host: values.host, token } };
}

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.username !== '';
  } catch {
    return /@/.test(url);
  }
}

/**
 * A Redis URL as it may be printed: user name and password replaced by `***`.
 * @example
 * redactRedisUrl('redis://default:s3cret@cache:6379/2'); // 'redis://***@cache:6379/2'
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    return `${parsed.protocol}//***@${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
