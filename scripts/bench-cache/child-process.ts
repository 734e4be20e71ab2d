/**
 * Node-only. The processes `npm run bench:cache` measures or uses: each runs
 * in its own `node --import tsx` child, so a server's event loop never shares
 * a thread with the load generator (autocannon, in the parent).
 *
 * Protocol over the IPC channel: the child sends `{ type: 'ready', info }`
 * once it is up (or `{ type: 'failed', message }`); the parent sends
 * `{ type: 'close' }` to stop it. A child also exits when the channel
 * closes, so a parent that dies leaves nothing behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface StartChildOptions {
  /** Name in errors and logs. */
  label: string;
  /** Arguments after the module path (`process.argv.slice(2)` in the child). */
  args?: string[];
  /** Extra node flags, such as `--expose-gc`. @default [] */
  nodeFlags?: string[];
  /** How long the child may take to send `ready`, in ms. @default 300_000 */
  readyTimeoutMs?: number;
  /** Variables added to the child's environment: secrets go here, never into `args` (a command line is public to `ps`). @default {} */
  env?: Record<string, string>;
}

export interface Child<Ready> {
  readonly label: string;
  readonly pid: number;
  /** What the child sent with `ready`. */
  readonly info: Ready;
  /** The last lines the child wrote to stdout and stderr. */
  output(): string;
  /** Asks the child to close, then stops it by PID (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
}

type FromChild = { type: 'ready'; info: unknown } | { type: 'failed'; message: string };

const OUTPUT_LINES = 40;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Forks `modulePath` (relative to the repository root) under
 * `node --import tsx` and waits for its `ready` message.
 * @throws Error with the child's last output when it fails or exits before `ready`.
 */
export async function startChild<Ready>(modulePath: string, options: StartChildOptions): Promise<Child<Ready>> {
  const child = fork(modulePath, options.args ?? [], {
    cwd: REPO,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > OUTPUT_LINES * 2) lines = lines.slice(-OUTPUT_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const output = () => lines.slice(-OUTPUT_LINES).join('\n');

  const info = await new Promise<Ready>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`${options.label}: ${why}\n--- output ---\n${output()}`));
    const timer = setTimeout(() => fail(`not ready after ${options.readyTimeoutMs ?? 300_000} ms`), options.readyTimeoutMs ?? 300_000);
    child.once('message', (message: FromChild) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message.info as Ready);
      else fail(message.message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? code}) before it was ready`);
    });
  }).catch(async (error: unknown) => {
    if (child.pid !== undefined) child.kill('SIGKILL');
    await waitForExit(child, 5_000);
    throw error;
  });

  let stopped: Promise<void> | undefined;
  return {
    label: options.label,
    pid: child.pid ?? 0,
    info,
    output,
    stop() {
      stopped ??= (async () => {
        if (child.connected) child.send({ type: 'close' });
        if (await waitForExit(child, 30_000)) return;
        child.kill('SIGTERM');
        if (await waitForExit(child, 5_000)) return;
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      })();
      return stopped;
    },
  };
}

/**
 * The child side: runs `main`, which returns the `ready` info and what to do
 * before exiting. Exits on the parent's `close` and when the parent goes away.
 */
export function childMain(main: () => Promise<{ info: unknown; close?: () => unknown }>): void {
  main().then(
    ({ info, close }) => {
      let closing = false;
      const exit = () => {
        if (closing) return;
        closing = true;
        void Promise.resolve()
          .then(close)
          .finally(() => process.exit(0));
      };
      process.on('message', (message: { type?: string }) => {
        if (message.type === 'close') exit();
      });
      process.once('disconnect', exit);
      process.send?.({ type: 'ready', info } satisfies FromChild);
    },
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (process.send) process.send({ type: 'failed', message } satisfies FromChild, () => process.exit(1));
      else process.exit(1);
    },
  );
}
