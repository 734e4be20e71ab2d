import { createConnection, type Socket } from 'node:net';
import { encodeCommand, RespError, RespParser, type RespReply } from './resp.js';

/**
 * One pipelined TCP connection to redis-server. Node-only.
 *
 * Every `send` writes its commands in a single write and gets their replies
 * in order, so a MULTI ... EXEC batch is never interleaved with another
 * request's commands. Connection state (SELECT, WATCH, SUBSCRIBE, blocking
 * pops) would leak between requests, so the bridge refuses those commands.
 * When the socket drops, pending batches reject and the next `send` reconnects.
 */

export interface RedisAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Database number sent with SELECT on connect. */
  db?: number;
}

/** Reads `redis://[[user]:password@]host[:port][/db]`. */
export function parseRedisUrl(url: string): RedisAddress {
  const parsed = new URL(url);
  // Never echo the URL: it may hold a password.
  if (parsed.protocol !== 'redis:') throw new TypeError(`redis URL must start with redis://, got a ${parsed.protocol} URL`);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db === '' ? {} : { db: Number(db) }),
  };
}

interface Batch {
  replies: RespReply[];
  expected: number;
  resolve: (replies: RespReply[]) => void;
  reject: (error: Error) => void;
}

const CONNECT_TIMEOUT_MS = 2000;

/** A socket and the batches written to it that still wait for replies. */
interface Link {
  socket: Socket;
  pending: Batch[];
  /** Settles when AUTH and SELECT have answered; null when there are none to send. */
  ready: Promise<void> | null;
  /** Set on 'close': nothing written from then on would ever be answered. */
  closed: boolean;
}

export class RedisConnection {
  private link: Link | null = null;

  constructor(private readonly address: RedisAddress) {}

  /** Sends commands in one write; resolves their replies (error replies included) in order. */
  send(commands: readonly (readonly string[])[]): Promise<RespReply[]> {
    if (commands.length === 0) return Promise.resolve([]);
    // A destroyed socket may not have emitted 'close' yet; never queue behind it.
    const link = this.link !== null && !this.link.socket.destroyed ? this.link : this.connect();
    // Nothing is sent before AUTH has answered: pipelined behind a failed AUTH,
    // commands would run as the default user.
    return link.ready === null ? this.write(link, commands) : link.ready.then(() => this.write(link, commands));
  }

  /** Closes the socket; pending batches reject. */
  async close(): Promise<void> {
    const link = this.link;
    if (link === null) return;
    await new Promise<void>((resolve) => {
      link.socket.once('close', () => resolve());
      link.socket.destroy();
    });
  }

  private write(link: Link, commands: readonly (readonly string[])[]): Promise<RespReply[]> {
    return new Promise((resolve, reject) => {
      if (link.closed) {
        reject(new Error(`redis ${this.address.host}:${this.address.port} connection closed`));
        return;
      }
      link.pending.push({ replies: [], expected: commands.length, resolve, reject });
      link.socket.write(Buffer.concat(commands.map((args) => encodeCommand(args))));
    });
  }

  private connect(): Link {
    const socket = createConnection({ host: this.address.host, port: this.address.port });
    const link: Link = { socket, pending: [], ready: null, closed: false };
    this.link = link;
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`)));
    socket.once('connect', () => socket.setTimeout(0));

    const parser = new RespParser((reply) => {
      const batch = link.pending[0];
      if (batch === undefined) return;
      batch.replies.push(reply);
      if (batch.replies.length === batch.expected) {
        link.pending.shift();
        batch.resolve(batch.replies);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    let cause: Error | undefined;
    socket.on('error', (error) => {
      // Reported to the pending batches by 'close' below.
      cause = error;
    });
    socket.on('close', () => {
      link.closed = true;
      if (this.link === link) this.link = null;
      const failed = link.pending.splice(0);
      const message = `redis ${this.address.host}:${this.address.port} connection closed${cause ? `: ${cause.message}` : ''}`;
      for (const batch of failed) batch.reject(new Error(message, { cause }));
    });

    const handshake: string[][] = [];
    if (this.address.password !== undefined) {
      handshake.push(this.address.username === undefined ? ['AUTH', this.address.password] : ['AUTH', this.address.username, this.address.password]);
    }
    if (this.address.db !== undefined) handshake.push(['SELECT', String(this.address.db)]);
    if (handshake.length > 0) {
      link.ready = this.write(link, handshake).then((replies) => {
        const failure = replies.find((r) => r instanceof RespError);
        if (failure instanceof RespError) {
          const error = new Error(`redis handshake failed: ${failure.message}`);
          socket.destroy(error);
          throw error;
        }
      });
      // Callers waiting on it get the rejection; without callers it is not unhandled.
      link.ready.catch(() => undefined);
    }
    return link;
  }
}
