/**
 * The reference page at /api/docs in a real browser: Debian's Chromium
 * (`apt-get install chromium`, as .ci/run does), driven headless with
 * puppeteer-core. The page must render every operation of the document
 * under its strict CSP, with no console error and no CSP violation.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import { createLogger } from '../../lib/log.js';
import { OPERATIONS } from '../../lib/openapi/index.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { API_DIR } from '../support/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: LocalServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  const services = await createServices({
    config: loadConfig({ IRIS_LOG_LEVEL: 'silent' }),
    db: await createPgliteDb({ dataDir: null }),
    log: createLogger({ level: 'silent' }),
    processMetrics: false,
  });
  server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('GET /api/docs in Chromium', () => {
  it('renders every operation of the OpenAPI document under its CSP, with no console error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const response = await page.goto(`${server.url}/api/docs`, { waitUntil: 'networkidle0' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#reference[data-operations]', { timeout: 20_000 });
    const rendered = await page.$$eval('details.op', (nodes) =>
      nodes.map((node) => `${node.querySelector('.method')?.textContent ?? ''} ${node.querySelector('.path')?.textContent ?? ''}`),
    );
    const expected = OPERATIONS.map((op) => `${op.method} ${op.path.replace(/:([A-Za-z]\w*)/g, '{$1}')}`);
    expect(rendered.sort()).toEqual(expected.sort());
    expect(await page.$eval('#title', (node) => node.textContent)).toBe('Iris API');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
