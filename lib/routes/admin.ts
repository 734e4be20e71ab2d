import { displayPrefix, generateApiKey, sha256Hex } from '../auth/index.js';
import { notFound } from '../errors.js';
import { defineRoute, json, parseBody, parseOptionalBody, parseParams, parseQuery } from '../http/index.js';
import { CreateKeyBody, CreateProjectBody, EmptyBody, KeyParams, ListKeysQuery } from '../schemas/index.js';
import { runWrite } from './idempotent.js';
import { present } from './present.js';

/** GET|POST /api/admin/projects: list or create projects (admin token). */
export const adminProjectsRoute = defineRoute({
  path: '/api/admin/projects',
  access: 'admin',
  methods: {
    GET: async (c) => {
      parseQuery(c, EmptyBody);
      const rows = await c.get('services').db.rpc('list_projects', {});
      return json(c, { data: rows.map((r) => present(r)) });
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateProjectBody);
      const {
        rows: [row],
      } = await runWrite(c, { rpc: 'create_project', args: { p_name: body.name, p_settings: body.settings }, body });
      return json(c, present(row ?? {}), 201);
    },
  },
});

/** GET /api/admin/api-keys?projectId: a project's keys (never hashes). POST: mints a key, returned once. */
export const adminKeysRoute = defineRoute({
  path: '/api/admin/api-keys',
  access: 'admin',
  methods: {
    GET: async (c) => {
      const { projectId } = parseQuery(c, ListKeysQuery);
      const rows = await c.get('services').db.rpc('list_api_keys', { p_project_id: projectId });
      return json(c, { data: rows.map((r) => present(r)) });
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateKeyBody);
      const { db } = c.get('services');
      const [project] = await db.rpc('get_project', { p_project_id: body.projectId });
      if (!project) throw notFound(`No project ${body.projectId}.`, 'project_not_found');
      const minted = generateApiKey();
      // A replay returns the first answer's key (kept sealed in the idempotency record), not `minted`.
      const {
        rows: [row],
        secret: key,
      } = await runWrite(c, {
        rpc: 'create_api_key',
        args: { p_project_id: body.projectId, p_key_hash: await sha256Hex(minted), p_prefix: displayPrefix(minted), p_label: body.label ?? null },
        body,
        secret: minted,
      });
      return json(c, { ...present(row ?? {}), key }, 201);
    },
  },
});

/** POST /api/admin/api-keys/{id}/revoke: the key stops authenticating at once. Idempotent. */
export const adminKeyRevokeRoute = defineRoute({
  path: '/api/admin/api-keys/:id/revoke',
  access: 'admin',
  methods: {
    POST: async (c) => {
      const { id } = parseParams(c, KeyParams);
      const body = await parseOptionalBody(c, EmptyBody);
      const {
        rows: [row],
      } = await runWrite(c, { rpc: 'revoke_api_key', args: { p_key_id: id }, body });
      if (!row) throw notFound(`No API key ${id}.`, 'api_key_not_found');
      // Every instance looks keys up again: the revoked key stops working fleet-wide.
      await c.get('services').keys.invalidate();
      return json(c, present(row, ['key_hash']));
    },
  },
});

/** POST /api/admin/api-keys/{id}/rotate: revokes the key and returns its successor's plaintext, once. */
export const adminKeyRotateRoute = defineRoute({
  path: '/api/admin/api-keys/:id/rotate',
  access: 'admin',
  methods: {
    POST: async (c) => {
      const { id } = parseParams(c, KeyParams);
      const body = await parseOptionalBody(c, EmptyBody);
      const minted = generateApiKey();
      const {
        rows: [row],
        secret: key,
      } = await runWrite(c, {
        rpc: 'rotate_api_key',
        args: { p_key_id: id, p_new_key_hash: await sha256Hex(minted), p_new_prefix: displayPrefix(minted) },
        body,
        secret: minted,
      });
      if (!row) throw notFound(`No active API key ${id}.`, 'api_key_not_found');
      await c.get('services').keys.invalidate();
      return json(c, { ...present(row, ['old_key_hash']), key, replaces: id }, 201);
    },
  },
});
