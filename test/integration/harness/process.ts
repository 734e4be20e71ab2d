import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

// Process plumbing shared by the server helpers: liveness by PID, polling,
// stopping by PID with escalation, and a last-resort cleanup on exit.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * True while `pid` names a running process. A zombie counts as gone: in a
 * container whose PID 1 does not reap orphans, a stopped postmaster can stay
 * a zombie forever.
 */
export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // No procfs (not Linux): trust kill(0).
  }
}

export interface WaitForOptions {
  /** What is being waited for, for the timeout message. */
  what: string;
  /** Give up after this long. @default 30_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 50 */
  intervalMs?: number;
}

/** Polls `check` until it returns true; throws naming `what` when `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, options: WaitForOptions): Promise<void> {
  const { what, timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  if (!(pid > 0)) throw new Error(`refusing to signal PID ${pid}`);
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Sends `first`, waits up to `graceMs` for the process to exit, then SIGKILLs
 * it. Resolves once the process is gone.
 */
export async function stopPid(pid: number, first: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGCONT'); // A paused process cannot act on SIGTERM/SIGINT.
  signal(pid, first);
  try {
    await waitFor(() => !isAlive(pid), { what: `process ${pid} to exit`, timeoutMs: graceMs });
  } catch {
    signal(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: `process ${pid} to exit after SIGKILL`, timeoutMs: 5_000 });
  }
}

export interface Tracked {
  /** Process to kill; never 0 or below. */
  pid?: number;
  /** Temp directory to remove. */
  dir?: string;
  /** Expected command name, checked in /proc before killing a recorded PID (guards against PID reuse). */
  command?: string;
}

const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;
let registryCount = 0;

/**
 * Where run.ts asks every process it spawns to record what it started, so it
 * can clean up after a vitest worker that died by a signal (which skips
 * `exit` hooks).
 */
export const REGISTRY_ENV = 'IRIS_HARNESS_REGISTRY';

function commandMatches(pid: number, command: string | undefined): boolean {
  if (!command) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(command);
  } catch {
    return !existsSync('/proc/self'); // No procfs: cannot check, trust the PID.
  }
}

function forceClean({ pid, dir, command }: Tracked): void {
  // Never signal PID 0 or below: that would hit the whole process group.
  if (pid !== undefined && pid > 0 && isAlive(pid) && commandMatches(pid, command)) {
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Tracks a server until `stop()` untracks it: a synchronous last-resort
 * cleanup (SIGKILL the PID, remove the temp dir) runs on process exit, and
 * when $IRIS_HARNESS_REGISTRY is set the target is also recorded there for
 * `cleanRegistry()`. Returns the function that untracks it.
 */
export function track(target: Tracked): () => void {
  const cleanup = () => forceClean(target);
  exitCleanups.add(cleanup);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const fn of exitCleanups) fn();
    });
  }
  const registry = process.env[REGISTRY_ENV];
  const entry = registry ? join(registry, `${process.pid}-${++registryCount}.json`) : null;
  if (entry) writeFileSync(entry, JSON.stringify(target));
  return () => {
    exitCleanups.delete(cleanup);
    if (entry) rmSync(entry, { force: true });
  };
}

/**
 * Kills and removes whatever the registry still lists (servers started by
 * test processes that died without stopping them), then the registry itself.
 * Returns how many entries it had to clean.
 */
export function cleanRegistry(registry: string): number {
  let cleaned = 0;
  for (const name of existsSync(registry) ? readdirSync(registry) : []) {
    try {
      forceClean(JSON.parse(readFileSync(join(registry, name), 'utf8')) as Tracked);
      cleaned++;
    } catch (error) {
      console.error(`could not clean ${name} from ${registry}:`, error);
    }
  }
  rmSync(registry, { recursive: true, force: true });
  return cleaned;
}

/** The last `lines` lines of a text, for error messages that quote a server log. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The user a server process runs as: its uid and gid. */
export interface ServiceUser {
  uid: number;
  gid: number;
}

/**
 * Who runs a server that refuses root (initdb, pgbouncer): as root, the
 * `postgres` user (spawned with its uid/gid, no shell quoting involved); as
 * any other user, that user (null: spawn as usual).
 * @throws Error saying how to create the user when running as root without one.
 */
export function unprivilegedUser(why: string): ServiceUser | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      `Running as root, but there is no \`postgres\` user to run servers as (${why}). ` +
        'Create it: useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres',
    );
  }
}

export interface SpawnedServer {
  pid: number;
  /** The last lines the server printed. */
  output(): string;
  /** True once the process has exited or could not be spawned. */
  exited(): boolean;
  /** Why spawning failed (binary missing, say), if it did. */
  spawnError(): Error | undefined;
  /** Stops tracking the process (after it stopped, or when it is handed back for a retry). */
  untrack(): void;
  /** Kills the process if alive, stops tracking it, and builds an error that carries its output. */
  failure(message: string): Promise<Error>;
}

/**
 * Spawns a server process whose stdout and stderr are kept (last 50 lines),
 * that keeps neither the caller alive nor its pipes open, and that is tracked
 * for cleanup on exit until `untrack()`.
 */
export function spawnServer(
  binary: string,
  args: readonly string[],
  options: { dir: string; command: string; cwd?: string; user?: ServiceUser | null },
): SpawnedServer {
  const child = spawn(binary, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(options.user ?? {}) });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = tail(output + chunk.toString('utf8'), 50);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  let spawnError: Error | undefined;
  child.on('exit', () => (exited = true));
  child.on('error', (error) => {
    spawnError = error;
    exited = true;
  });
  // Neither the child nor its pipes keep the caller alive; stop() or the exit hook ends it.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  const pid = child.pid ?? 0;
  const untrack = track({ pid, dir: options.dir, command: options.command });
  return {
    pid,
    output: () => output,
    exited: () => exited,
    spawnError: () => spawnError,
    untrack,
    async failure(message) {
      if (isAlive(pid)) await stopPid(pid, 'SIGKILL', 5_000);
      untrack();
      return new Error(`${message}\n--- ${options.command} output ---\n${tail(output)}`);
    },
  };
}
