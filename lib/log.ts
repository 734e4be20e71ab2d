/**
 * A tiny structured logger: one JSON line per event on stderr/stdout. Callers
 * pass fields explicitly; nothing here ever receives an API key or a token
 * (the auth code logs key prefixes at most), and `redact` drops any field whose
 * name looks secret as a second line of defence.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Lowest level written. @default 'info' */
  level?: LogLevel;
  /** Where lines go. @default console.log / console.error */
  write?: (line: string, level: Exclude<LogLevel, 'silent'>) => void;
  /** Fields of the moment every line carries before its own, such as the active trace's `traceId`. @default none */
  context?: () => Record<string, unknown> | undefined;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_FIELD = /authorization|token|secret|password|api[-_]?key|idempotency[-_]?key|cookie/i;

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if ('code' in value) out.code = (value as { code: unknown }).code;
    if (value.stack) out.stack = value.stack.split('\n').slice(0, 6).join('\n');
    if (value.cause !== undefined) out.cause = value.cause instanceof Error ? `${value.cause.name}: ${value.cause.message}` : String(value.cause);
    return out;
  }
  return value;
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : serialise(v);
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write =
    options.write ??
    ((line: string, level: string) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line)));
  const context = options.context;
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const line = { level, time: new Date().toISOString(), message, ...context?.(), ...(fields ? redact(fields) : {}) };
    write(JSON.stringify(line), level);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
