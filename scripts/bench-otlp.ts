/**
 * `npm run bench:otlp`: OTLP trace ingest throughput beside native batch
 * ingest, in the same run, against one Iris local server on 127.0.0.1.
 *
 *   npm run bench:otlp                                # PGlite (embedded), 5 rounds of 4 batches each
 *   npm run bench:otlp -- --database-url postgres://...  # a PostgreSQL server instead
 *   options: --rounds N, --batches N (per kind and round), --batch-size N (default 512), --no-fail
 *
 * Method. Native: POST /api/iris/runs with `{ "runs": [...] }` of `--batch-size`
 * runs without a cost (so both kinds are priced from the table). OTLP: POST
 * /api/otel/v1/traces with one ExportTraceServiceRequest of `--batch-size`
 * GenAI chat spans as protobuf, gzip-compressed (the default of
 * @opentelemetry/exporter-trace-otlp-proto with compression on). Bodies are
 * built before timing; every batch has fresh ids, so every run is stored.
 * Batches are sent one at a time, the two kinds interleaved (alternating
 * which goes first) so noise on a shared machine hits both alike. Reported:
 * the median runs per second of each kind over all measured batches, and
 * their ratio. Target: OTLP spans/s >= 50% of native runs/s; exit 1 when
 * missed (unless --no-fail).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { createPgliteDb } from '../lib/db/pglite.js';
import { num, table } from '../lib/loadgen/index.js';
import { createLogger } from '../lib/log.js';
import { startLocalServer } from '../lib/server/index.js';
import { createServices } from '../lib/services.js';
import { ADMIN_TOKEN, API_DIR } from '../test/support/app.js';
import { chatSpan, gzip, otlpJson, otlpProtobuf } from '../test/support/otlp.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '512' },
    'database-url': { type: 'string' },
    'no-fail': { type: 'boolean', default: false },
  },
});
function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer; got ${value}`);
  return n;
}
const ROUNDS = positive('rounds', flags.rounds);
const BATCHES = positive('batches', flags.batches);
const SIZE = positive('batch-size', flags['batch-size']);
if (SIZE > 1000) throw new Error('--batch-size must be at most 1000 (the largest batch either route takes)');
const TARGET = 0.5;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-flash'];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const nativeBody = (): string =>
  JSON.stringify({
    runs: Array.from({ length: SIZE }, (_, i) => ({
      id: crypto.randomUUID(),
      expertId: 'bench-expert',
      agentId: 'bench-agent',
      model: MODELS[i % MODELS.length],
      inputTokens: 1000 + i,
      outputTokens: 100 + (i % 50),
      cacheReadTokens: 200,
      latencyMs: 250 + (i % 100),
      outcome: 'success',
      createdAt: new Date(Date.now() - 60_000 + i).toISOString(),
    })),
  });

const otlpBody = (): Uint8Array =>
  gzip(
    otlpProtobuf(
      otlpJson(
        Array.from({ length: SIZE }, (_, i) =>
          chatSpan({
            model: MODELS[i % MODELS.length]!,
            input: 1000 + i,
            output: 100 + (i % 50),
            durationMs: 250 + (i % 100),
            attributes: { 'gen_ai.usage.cache_read.input_tokens': 200, 'iris.expert_id': 'bench-expert', 'gen_ai.agent.id': 'bench-agent' },
          }),
        ),
        { 'service.name': 'bench' },
      ),
    ),
  );

async function main(): Promise<number> {
  const url = flags['database-url'];
  const services = await createServices({
    config: loadConfig({ IRIS_ADMIN_TOKEN: ADMIN_TOKEN, IRIS_LOG_LEVEL: 'warn', ...(url ? { DATABASE_URL: url } : {}) }),
    ...(url ? {} : { db: await createPgliteDb({ dataDir: null }) }),
    log: createLogger({ level: 'warn' }),
    processMetrics: false,
  });
  const server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
  try {
    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, string>;
    };
    const project = await admin('/api/admin/projects', { name: 'OTLP bench', settings: { rateLimit: { writesPerMinute: 1_000_000 } } });
    const { key } = await admin('/api/admin/api-keys', { projectId: project.id, label: 'bench' });

    const send = async (kind: 'native' | 'otlp', body: string | Uint8Array): Promise<number> => {
      const headers: Record<string, string> =
        kind === 'native' ? { 'content-type': 'application/json' } : { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' };
      const started = performance.now();
      const res = await fetch(`${server.url}${kind === 'native' ? '/api/iris/runs' : '/api/otel/v1/traces'}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key!}`, ...headers },
        body: body as BodyInit,
      });
      const text = await res.text();
      const elapsed = performance.now() - started;
      if (res.status >= 300 || (kind === 'otlp' && text.length > 0)) throw new Error(`${kind}: ${res.status} ${text.slice(0, 200)}`);
      return (SIZE / elapsed) * 1000;
    };

    // Warm-up: parse the schema, prime the price table and key caches, JIT both paths.
    for (let i = 0; i < 2; i++) {
      await send('native', nativeBody());
      await send('otlp', otlpBody());
    }
    const rates = { native: [] as number[], otlp: [] as number[] };
    let otlpBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = Array.from({ length: BATCHES }, () => ({ native: nativeBody(), otlp: otlpBody() }));
      otlpBytes = bodies[0]!.otlp.byteLength;
      for (const [i, body] of bodies.entries()) {
        const order = (round + i) % 2 === 0 ? (['native', 'otlp'] as const) : (['otlp', 'native'] as const);
        for (const kind of order) rates[kind].push(await send(kind, body[kind]));
      }
    }
    const native = median(rates.native);
    const otlp = median(rates.otlp);
    const ratio = otlp / native;
    console.log(
      `OTLP ingest vs native batch ingest: ${ROUNDS} rounds x ${BATCHES} batches of ${SIZE} per kind, ${url ? 'PostgreSQL' : 'PGlite'}, Node ${process.version}`,
    );
    console.log(
      table(
        ['path', 'body', 'median /s', 'min /s', 'max /s'],
        [
          ['POST /api/iris/runs (JSON)', `${num(nativeBody().length / 1024)} KiB`, num(native), num(Math.min(...rates.native)), num(Math.max(...rates.native))],
          ['POST /api/otel/v1/traces (protobuf+gzip)', `${num(otlpBytes / 1024)} KiB`, num(otlp), num(Math.min(...rates.otlp)), num(Math.max(...rates.otlp))],
        ],
      ),
    );
    const met = ratio >= TARGET;
    console.log(`OTLP spans/s = ${num(ratio * 100, 1)}% of native runs/s (target >= ${TARGET * 100}%): ${met ? 'met' : 'MISSED'}`);
    return met || flags['no-fail'] ? 0 : 1;
  } finally {
    await server.close();
    await services.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
