/**
 * The reference page at /api/docs: one self-contained HTML page that fetches
 * /api/openapi.json and renders every operation (method, path, summary,
 * security, parameters, request body, responses with their headers and
 * schemas). Nothing is loaded from elsewhere, so its Content-Security-Policy
 * allows exactly its own inline script and style (by hash) and requests to
 * its own origin; the API's responses keep their `default-src 'none'`.
 */

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.5rem}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem}
section>h2{border-bottom:1px solid #d5d9e0;padding-bottom:.3rem}
details.op{background:#fff;border:1px solid #d5d9e0;border-radius:6px;margin:.5rem 0}
details.op>summary{cursor:pointer;padding:.5rem .8rem;list-style:none;display:flex;gap:.8rem;align-items:baseline}
.method{font:700 .8rem monospace;padding:.1rem .5rem;border-radius:4px;color:#fff;min-width:4rem;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#8e24aa}.patch{background:#ef6c00}.delete{background:#c62828}
.path{font-family:monospace;font-weight:600}.body{padding:0 1rem 1rem}
pre{background:#f3f4f7;padding:.6rem;border-radius:4px;overflow:auto;max-height:24rem;font-size:.8rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;border-bottom:1px solid #eceef2;padding:.25rem .5rem;vertical-align:top}
code{font-size:.85rem}.muted{color:#5d6778}`;

const SCRIPT = `
(async () => {
  const root = document.getElementById('reference');
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };
  let doc;
  try {
    const response = await fetch(new URL('openapi.json', location.href), { headers: { accept: 'application/json' } });
    doc = await response.json();
  } catch (error) {
    root.replaceChildren(el('p', {}, 'Could not load openapi.json: ' + error));
    return;
  }
  const resolve = (node) => {
    if (node && node.$ref) return node.$ref.split('/').slice(1).reduce((at, key) => at[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    return node;
  };
  const schemaBlock = (schema) => el('pre', {}, JSON.stringify(schema, null, 2));
  document.title = doc.info.title + ' ' + doc.info.version;
  document.getElementById('title').textContent = doc.info.title;
  document.getElementById('version').textContent = 'version ' + doc.info.version + ' · OpenAPI ' + doc.openapi;
  root.replaceChildren();
  root.append(el('p', { class: 'muted' }, doc.info.description));
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  for (const [tag, ops] of byTag) {
    const section = el('section', { id: 'tag-' + tag.replace(/\\W+/g, '-') }, el('h2', {}, tag));
    for (const { path, method, op } of ops) {
      const body = el('div', { class: 'body' });
      if (op.description) body.append(el('p', {}, op.description));
      const security = (op.security || []).map((s) => Object.keys(s).join(' + ') || 'none').join(' or ');
      body.append(el('p', {}, el('strong', {}, 'Auth: '), security || 'public'));
      const params = (op.parameters || []).map(resolve);
      if (params.length > 0) {
        const table = el('table', {}, el('tr', {}, el('th', {}, 'Parameter'), el('th', {}, 'In'), el('th', {}, 'Schema')));
        for (const p of params) {
          table.append(el('tr', {}, el('td', {}, el('code', {}, p.name + (p.required ? ' *' : ''))), el('td', {}, p.in), el('td', {}, el('code', {}, JSON.stringify(p.schema)))));
        }
        body.append(el('h4', {}, 'Parameters'), table);
      }
      if (op.requestBody) {
        for (const [type, media] of Object.entries(op.requestBody.content)) body.append(el('h4', {}, 'Request body (' + type + ')' + (op.requestBody.required ? '' : ', optional')), schemaBlock(media.schema));
      }
      body.append(el('h4', {}, 'Responses'));
      for (const [status, response] of Object.entries(op.responses)) {
        const item = el('details', { class: 'response' }, el('summary', {}, el('strong', {}, status + ' '), response.description));
        const headers = Object.keys(response.headers || {});
        if (headers.length > 0) item.append(el('p', { class: 'muted' }, 'Headers: ' + headers.join(', ')));
        for (const [type, media] of Object.entries(response.content || {})) item.append(el('p', {}, type), schemaBlock(resolve(media.schema)));
        body.append(item);
      }
      section.append(
        el(
          'details',
          { class: 'op', id: op.operationId },
          el('summary', {}, el('span', { class: 'method ' + method }, method.toUpperCase()), el('span', { class: 'path' }, path), el('span', { class: 'muted' }, op.summary || '')),
          body,
        ),
      );
    }
    root.append(section);
  }
  root.setAttribute('data-operations', String([...byTag.values()].reduce((n, ops) => n + ops.length, 0)));
})();`;

export interface ReferencePage {
  html: string;
  /** The page's Content-Security-Policy: its own script and style by hash, requests to its own origin only. */
  csp: string;
}

let built: Promise<ReferencePage> | undefined;

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

/** The page and its CSP, built once per instance. */
export function referencePage(): Promise<ReferencePage> {
  built ??= (async () => {
    const [scriptHash, styleHash] = await Promise.all([sha256Base64(SCRIPT), sha256Base64(STYLE)]);
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Iris API reference</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1 id="title">Iris API</h1><div id="version">Loading the OpenAPI document…</div></header>
<main id="reference"><p>Loading <a href="openapi.json">openapi.json</a>…</p></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
    const csp = [
      "default-src 'none'",
      `script-src 'sha256-${scriptHash}'`,
      `style-src 'sha256-${styleHash}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    return { html, csp };
  })();
  return built;
}
