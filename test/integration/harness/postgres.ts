import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { isAlive, track, stopPid, tail, unprivilegedUser, waitFor, type ServiceUser } from './process.js';

/** Node-only test helper: a throwaway PostgreSQL cluster in a temp directory. */
export interface StartPostgresOptions {
  /**
   * Directory holding initdb, pg_ctl, pg_isready and postgres.
   * @default $IRIS_PG_BIN, else /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/<n>/bin
   */
  binDir?: string;
  /**
   * Extra server settings, passed as `-c name=value`.
   * @default {} (durability is always off: fsync, synchronous_commit and full_page_writes; data is throwaway)
   */
  settings?: Record<string, string>;
  /** How long to wait for the server to accept connections, in ms. @default 60_000 */
  startTimeoutMs?: number;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`; trust auth, no password. */
  url: string;
  port: number;
  /** PID of the postmaster (a new one after `restart()`). */
  readonly pid: number;
  /** The cluster's data directory (inside a temp dir that `stop()` removes). */
  dataDir: string;
  /**
   * Stops the server by PID as an outage would (SIGINT: PostgreSQL's fast
   * shutdown, open transactions rolled back, clients disconnected), keeping
   * the data directory for `restart()`.
   */
  halt(): Promise<void>;
  /** Starts the halted cluster again, on the same port and data directory; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Fast shutdown by PID (SIGINT, then SIGKILL), then removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_BIN = '/usr/lib/postgresql/15/bin';
const ATTEMPTS = 3;

async function findBinDir(explicit: string | undefined): Promise<string> {
  const candidates = [explicit, process.env.IRIS_PG_BIN, DEFAULT_BIN].filter((d): d is string => Boolean(d));
  for (const dir of candidates) if (existsSync(join(dir, 'pg_ctl'))) return dir;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => `/usr/lib/postgresql/${v}/bin`)
    .find((dir) => existsSync(join(dir, 'pg_ctl')));
  if (newest) return newest;
  throw new Error(
    `PostgreSQL binaries not found (looked in ${candidates.join(', ')} and /usr/lib/postgresql/*/bin). ` +
      'Install them with `apt-get install postgresql` or set IRIS_PG_BIN.',
  );
}

function run(bin: string, args: string[], user: ServiceUser | null): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { ...(user ?? {}), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${bin} ${args.join(' ')} failed: ${error.message}\n${tail(stdout + stderr)}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 and a free port:
 * initdb in a fresh temp dir, `pg_ctl start`, wait until `pg_isready`.
 * The server is daemonized by pg_ctl, so it outlives a crashed caller unless
 * `stop()` runs; an exit hook kills it as a last resort.
 * @example
 * const pg = await startPostgres();
 * try { await useDatabase(pg.url); } finally { await pg.stop(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = await findBinDir(options.binDir);
  const user = unprivilegedUser('initdb refuses root');
  const dir = await mkdtemp(join(tmpdir(), 'iris-pg-'));
  let unregisterDir = track({ dir });
  let unregisterPid: () => void = () => undefined;
  try {
    if (user) await chown(dir, user.uid, user.gid);
    const dataDir = join(dir, 'data');
    await run(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      user,
    );

    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      timezone: 'UTC',
      ...options.settings,
    };
    const logFile = join(dir, 'postgres.log');

    const timeoutMs = options.startTimeoutMs ?? 60_000;
    /** pg_ctl start on `port`; false when the port was taken meanwhile. Tracks the new postmaster's PID. */
    const start = async (port: number, mayRetry: boolean): Promise<number | null> => {
      const serverArgs = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
      try {
        await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverArgs, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), 'start'], user);
      } catch (error) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        if (mayRetry && /could not bind|already in use/i.test(log)) return null;
        throw new Error(`${(error as Error).message}\n--- postgres.log ---\n${tail(log)}`, { cause: error });
      }
      // postmaster.pid: first line is the postmaster's PID.
      const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (!(pid > 0)) throw new Error(`could not read the postmaster PID from ${dataDir}/postmaster.pid`);
      unregisterPid();
      unregisterPid = track({ pid, dir, command: 'postgres' });
      unregisterDir();
      await waitFor(
        () =>
          run(join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], null).then(
            () => true,
            () => false,
          ),
        { what: `PostgreSQL on port ${port} to accept connections`, timeoutMs },
      );
      return pid;
    };

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      let pid = await start(port, attempt < ATTEMPTS);
      if (pid === null) continue;

      let stopped: Promise<void> | undefined;
      let halted = false;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        get pid() {
          return pid ?? 0;
        },
        dataDir,
        async halt() {
          if (halted) return;
          halted = true;
          await stopPid(pid!, 'SIGINT');
          // Until restart() the temp dir alone is left to clean up on exit.
          unregisterDir = track({ dir });
          unregisterPid();
        },
        async restart() {
          if (!halted) throw new Error('restart() needs a halted server: call halt() first');
          pid = await start(port, false);
          halted = false;
        },
        stop() {
          // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, close clients.
          stopped ??= (halted ? Promise.resolve() : stopPid(pid!, 'SIGINT')).finally(async () => {
            unregisterPid();
            unregisterDir();
            await rm(dir, { recursive: true, force: true, maxRetries: 3 });
          });
          return stopped;
        },
      };
    }
  } catch (error) {
    // Nothing may be left behind when start-up fails half way.
    const pid = await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8').then((t) => Number(t.split('\n')[0]), () => 0);
    if (pid > 0 && isAlive(pid)) await stopPid(pid, 'SIGQUIT', 5_000);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    unregisterDir();
    unregisterPid();
    throw error;
  }
}
