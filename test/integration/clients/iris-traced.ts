/**
 * Iris with its own tracing configured, as an operator configures it: the
 * standard OTEL_* variables in the environment, nothing else. Run as a child
 * process by test/integration/tracing-otlp.test.ts (the OpenTelemetry SDK is
 * registered once per process, so it gets a process of its own). Builds the
 * services from `loadConfig(process.env)`, starts the local server on a free
 * port and prints `{ "url": ... }` as one JSON line; SIGTERM flushes the spans
 * still waiting and exits.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../lib/config.js';
import { startLocalServer } from '../../../lib/server/index.js';
import { createServices } from '../../../lib/services.js';

const config = loadConfig(process.env);
if (!config.tracing) throw new Error('iris-traced: set OTEL_EXPORTER_OTLP_ENDPOINT');
const services = await createServices({ config, processMetrics: false });
const server = await startLocalServer({ apiDir: fileURLToPath(new URL('../../../api', import.meta.url)), services, port: 0 });
console.log(JSON.stringify({ url: server.url }));
process.once('SIGTERM', () => {
  void (async () => {
    // Closes the services too, which sends the spans still waiting.
    await server.close();
    process.exit(0);
  })();
});
