import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnServer, stopPid, track, waitFor } from './process.js';

/** Node-only test helper: a throwaway redis-server with persistence off. */
export interface StartRedisOptions {
  /** The redis-server executable. @default $IRIS_REDIS_SERVER, else `redis-server` on PATH */
  binary?: string;
  /** How long to wait for the first PONG, in ms. @default 30_000 */
  startTimeoutMs?: number;
  /** A fixed port, to restart a stopped server where its clients expect it. @default a free port (retried on a clash) */
  port?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. For timeout tests. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Stops by PID (SIGTERM, then SIGKILL) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const ATTEMPTS = 3;

/** Sends an inline PING and resolves true on `+PONG`, false on anything else. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no`
 * on a free port and waits for PING to answer. Retries on another port when
 * the bind fails.
 * @example
 * const redis = await startRedis();
 * try { await useRedis(redis.url); } finally { await redis.stop(); }
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.IRIS_REDIS_SERVER ?? 'redis-server';
  // Its working dir, so a stray SAVE or BGSAVE writes dump.rdb there and not into the repo.
  const dir = await mkdtemp(join(tmpdir(), 'iris-redis-'));
  const untrackDir = track({ dir });
  try {
    for (let attempt = 1; ; attempt++) {
      const server = await launch(binary, dir, options.startTimeoutMs ?? 30_000, options.port);
      if ('retry' in server) {
        if (attempt < ATTEMPTS && options.port === undefined) continue;
        throw new Error(`${binary} could not bind a port in ${ATTEMPTS} attempts:\n${server.retry}`);
      }
      untrackDir();
      return server;
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    untrackDir();
    throw error;
  }
}

/** One start attempt on a fresh port: a running server, or `{ retry }` with the output when the bind failed. */
async function launch(binary: string, dir: string, timeoutMs: number, fixedPort?: number): Promise<RedisServer | { retry: string }> {
  const port = fixedPort ?? (await freePort());
  const server = spawnServer(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { dir, command: 'redis-server' },
  );
  const { pid, failure, untrack } = server;

  try {
    await waitFor(async () => server.exited() || (await ping(port)), {
      what: `redis-server on port ${port} to answer PING`,
      timeoutMs,
    });
  } catch (error) {
    throw await failure((error as Error).message);
  }
  const spawnError = server.spawnError();
  if (spawnError) throw await failure(`could not start ${binary}: ${spawnError.message} (apt-get install redis-server)`);
  if (server.exited()) {
    if (/in use|could not create server/i.test(server.output())) {
      untrack();
      return { retry: server.output() };
    }
    throw await failure(`${binary} exited during start-up`);
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop() {
      stopped ??= stopPid(pid, 'SIGTERM').finally(async () => {
        untrack();
        await rm(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
