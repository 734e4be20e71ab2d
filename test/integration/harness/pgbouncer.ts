import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnServer, stopPid, track, unprivilegedUser, waitFor } from './process.js';

/** Node-only test helper: a throwaway PgBouncer in front of a PostgreSQL server. */
export interface StartPgbouncerOptions {
  /** The PostgreSQL server to pool, on 127.0.0.1. */
  upstreamPort: number;
  /**
   * How server connections are shared: `transaction` is what Supabase's pooler
   * (port 6543) runs: a client holds a server connection for one transaction
   * only, so session state (prepared statements, SET, session advisory locks)
   * does not survive from one transaction to the next.
   * @default 'transaction'
   */
  poolMode?: 'transaction' | 'session' | 'statement';
  /** Server connections per (database, user) pair. @default 4 */
  defaultPoolSize?: number;
  /**
   * Startup parameters PgBouncer ignores instead of refusing the connection
   * (it refuses every one it does not track, e.g. `statement_timeout`).
   * @default [] (PgBouncer's own default: refuse them)
   */
  ignoreStartupParameters?: string[];
  /** The pgbouncer executable. @default $IRIS_PGBOUNCER, else /usr/sbin/pgbouncer */
  binary?: string;
  /** How long to wait for it to accept connections, in ms. @default 30_000 */
  startTimeoutMs?: number;
}

export interface PgbouncerServer {
  port: number;
  pid: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` through the pooler (trust auth, no password). */
  url(database?: string): string;
  /** The last lines PgBouncer logged (for a failing test's message). */
  output(): string;
  /** Stops by PID (SIGTERM: PgBouncer's immediate shutdown, then SIGKILL) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const ATTEMPTS = 3;

/** True once something accepts TCP connections on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Starts PgBouncer (Debian's `pgbouncer` package) in the foreground on a free
 * port, pooling every database of the PostgreSQL server on `upstreamPort`
 * for the `postgres` user with trust auth. As root it runs as the `postgres`
 * user (PgBouncer refuses root). Retries on another port when the bind fails.
 * @example
 * const bouncer = await startPgbouncer({ upstreamPort: pg.port });
 * const db = createPostgresDb({ url: bouncer.url(), prepare: false, statementTimeoutMs: null });
 */
export async function startPgbouncer(options: StartPgbouncerOptions): Promise<PgbouncerServer> {
  const binary = options.binary ?? process.env.IRIS_PGBOUNCER ?? '/usr/sbin/pgbouncer';
  const user = unprivilegedUser('pgbouncer refuses root');
  const dir = await mkdtemp(join(tmpdir(), 'iris-pgbouncer-'));
  const untrackDir = track({ dir });
  try {
    if (user) await chown(dir, user.uid, user.gid);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'pgbouncer.ini');
      const users = join(dir, 'users.txt');
      // Trust auth still looks the user up in auth_file.
      await writeFile(users, '"postgres" ""\n');
      await writeFile(
        config,
        [
          '[databases]',
          `* = host=127.0.0.1 port=${options.upstreamPort}`,
          '[pgbouncer]',
          'listen_addr = 127.0.0.1',
          `listen_port = ${port}`,
          `unix_socket_dir = ${dir}`,
          'auth_type = trust',
          `auth_file = ${users}`,
          `pool_mode = ${options.poolMode ?? 'transaction'}`,
          `default_pool_size = ${options.defaultPoolSize ?? 4}`,
          'max_client_conn = 500',
          ...(options.ignoreStartupParameters?.length ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(',')}`] : []),
          'admin_users = postgres',
          'log_connections = 0',
          'log_disconnections = 0',
          '',
        ].join('\n'),
      );
      if (user) for (const file of [config, users]) await chown(file, user.uid, user.gid);
      await chmod(users, 0o600);
      const server = spawnServer(binary, [config], { dir, command: 'pgbouncer', user });
      try {
        await waitFor(async () => server.exited() || (await accepts(port)), {
          what: `pgbouncer on port ${port} to accept connections`,
          timeoutMs: options.startTimeoutMs ?? 30_000,
        });
      } catch (error) {
        throw await server.failure((error as Error).message);
      }
      const spawnError = server.spawnError();
      if (spawnError) throw await server.failure(`could not start ${binary}: ${spawnError.message} (apt-get install pgbouncer)`);
      if (server.exited()) {
        if (attempt < ATTEMPTS && /address already in use|bind/i.test(server.output())) {
          server.untrack();
          continue;
        }
        throw await server.failure(`${binary} exited during start-up`);
      }
      untrackDir();
      let stopped: Promise<void> | undefined;
      return {
        port,
        pid: server.pid,
        url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
        output: () => server.output(),
        stop() {
          stopped ??= stopPid(server.pid, 'SIGTERM').finally(async () => {
            server.untrack();
            await rm(dir, { recursive: true, force: true });
          });
          return stopped;
        },
      };
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    untrackDir();
    throw error;
  }
}
