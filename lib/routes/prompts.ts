import type { PromptOutcomeRow, PromptVersionRow } from '../db/types.js';
import { conflict, HttpError, notFound } from '../errors.js';
import { defineRoute, inputParser, json, parseBody, parseOptionalBody, parseParams, parseQuery, type MaybePromise, type RouteContext } from '../http/index.js';
import { bodyVariables, DEFAULT_LABEL, renderMessages, renderTemplate, runTag, type PromptMessage } from '../prompts/index.js';
import {
  CreatePromptBody,
  CreatePromptVersionBody,
  GetPromptQuery,
  LabelHistoryQuery,
  ListPromptsQuery,
  MoveLabelBody,
  PromptLabelParams,
  PromptParams,
  PromptVersionParams,
  RemoveLabelBody,
  RenderPromptBody,
  UpdatePromptVersionBody,
  type CreatePromptVersion,
} from '../schemas/index.js';
import { invalidate, readCached, respondCached } from './cached.js';
import { runWrite } from './idempotent.js';

/** A version as every prompt answer shows it. */
export interface PromptVersionView {
  name: string;
  description: string;
  version: number;
  /** What runs made with this version send as `promptVersion`, so analytics and experiments group by it. */
  promptVersion: string;
  status: PromptVersionRow['status'];
  template: string | null;
  messages: PromptMessage[] | null;
  variables: string[];
  config: PromptVersionRow['config'];
  commitMessage: string | null;
  labels: string[];
  latestVersion: number;
  createdBy: string | null;
  createdAt: string;
}

export function promptVersionView(row: PromptVersionRow): PromptVersionView {
  return {
    name: row.name,
    description: row.description,
    version: row.version,
    promptVersion: runTag(row.name, row.version),
    status: row.status,
    template: row.template,
    messages: row.messages,
    variables: row.variables,
    config: row.config,
    commitMessage: row.commit_message,
    labels: row.labels,
    latestVersion: row.latest_version,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Who made a change, as the history records it: the API key, never its secret. */
export const actorOf = (c: RouteContext) => `key:${c.get('project').keyId}`;

/** The HTTP answer to each refusal the prompt RPCs report as an outcome. */
export function promptRefusal(outcome: string, name: string, detail: { label?: string; version?: number | null } = {}): HttpError {
  switch (outcome) {
    case 'prompt_not_found':
      return notFound(`No prompt ${name} in this project.`, 'prompt_not_found');
    case 'label_not_found':
      return notFound(`Prompt ${name} has no label ${detail.label ?? DEFAULT_LABEL}.`, 'label_not_found');
    case 'version_not_found':
      return notFound(`Prompt ${name} has no version${detail.version == null ? '' : ` ${detail.version}`}.`, 'version_not_found');
    case 'prompt_exists':
      return conflict('prompt_exists', `A prompt named ${name} already exists in this project; add a version with POST /api/iris/prompts/${name}/versions.`);
    case 'deprecated_production':
      return conflict(
        'production_on_deprecated',
        'The production label may not point at a deprecated version; move production first, or pick a version that is not deprecated.',
      );
    case 'too_many_labels':
      return new HttpError(
        422,
        'too_many_labels',
        'A prompt has at most 20 labels; move an existing one or remove one (DELETE /api/iris/prompts/{name}/labels/{label}).',
      );
    case 'production_label':
      return conflict(
        'production_label_required',
        'The production label is fetched by default and is only ever moved, never removed: move it with PUT instead.',
      );
    default:
      return new HttpError(500, 'internal_error', `Unexpected outcome ${outcome}.`);
  }
}

/** The row of a prompt RPC that found or wrote a version, or the error its outcome means. */
function versionOrThrow<O extends string>(
  row: PromptOutcomeRow<O> | undefined,
  name: string,
  detail: { label?: string; version?: number | null } = {},
): PromptVersionView {
  if (!row) throw promptRefusal('prompt_not_found', name);
  if (row.outcome !== 'found' && row.outcome !== 'created' && row.outcome !== 'updated') throw promptRefusal(row.outcome, name, detail);
  return promptVersionView(row as PromptVersionRow);
}

/** Which version a fetch asks for: a number, or a label (production unless named). */
export interface VersionSelector {
  label?: string | undefined;
  version?: number | undefined;
}

const versionKeyParams = (name: string, s: VersionSelector) => ({
  name,
  label: s.version === undefined ? (s.label ?? DEFAULT_LABEL) : null,
  version: s.version ?? null,
});

async function loadVersion(c: RouteContext, name: string, s: VersionSelector): Promise<PromptVersionView> {
  const [row] = await c.get('services').db.rpc('get_prompt_version', {
    p_project_id: c.get('project').id,
    p_name: name,
    p_label: s.version === undefined ? (s.label ?? DEFAULT_LABEL) : null,
    p_version: s.version ?? null,
  });
  return versionOrThrow(row, name, { label: s.label ?? DEFAULT_LABEL, version: s.version ?? null });
}

/**
 * The version a selector resolves to, from the same cache entry the GET
 * serves: synchronously from L1 when it is there (the render and assignment
 * hot paths), else through the tiered cache.
 */
export function cachedVersion(c: RouteContext, name: string, s: VersionSelector): MaybePromise<PromptVersionView> {
  return readCached(c, 'prompts', versionKeyParams(name, s), () => loadVersion(c, name, s));
}

/** After any prompt write: every instance re-reads prompts, and experiments, which show their variants' versions. */
const changed = (c: RouteContext) => invalidate(c, 'prompts', 'experiments');

function versionArgs(c: RouteContext, name: string, body: CreatePromptVersion) {
  return {
    p_project_id: c.get('project').id,
    p_name: name,
    p_template: body.template ?? null,
    p_messages: body.messages ?? null,
    p_variables: body.variables ?? bodyVariables(body.template !== undefined ? { template: body.template } : { messages: body.messages! }),
    p_config: body.config ?? {},
    p_commit_message: body.commitMessage ?? null,
    p_status: body.status,
    p_labels: body.labels,
    p_actor: actorOf(c),
  };
}

/** GET|POST /api/iris/prompts: the project's prompts; create one with its first version. */
export const promptsRoute = defineRoute({
  path: '/api/iris/prompts',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, ListPromptsQuery);
      const projectId = c.get('project').id;
      return respondCached(c, 'prompts', { list: 'all' }, async () => ({
        projectId,
        data: (await c.get('services').db.rpc('list_prompts', { p_project_id: projectId })).map((r) => ({
          name: r.name,
          description: r.description,
          latestVersion: r.latest_version,
          labels: r.labels,
          createdAt: new Date(r.created_at).toISOString(),
        })),
      }));
    },
    POST: async (c) => {
      const body = await parseBody(c, CreatePromptBody);
      const { rows } = await runWrite(c, { rpc: 'create_prompt', args: { ...versionArgs(c, body.name, body), p_description: body.description }, body });
      const view = versionOrThrow(rows[0], body.name);
      await changed(c);
      return json(c, view, 201);
    },
  },
});

/** The prompt fetch's validated name and selector, kept by URL (lib/http/input.ts). */
const promptInput = inputParser(PromptParams, GetPromptQuery);
/**
 * The cache-key parameters of each kept input, frozen and built once, so the
 * cache key of a repeated fetch is found rather than hashed (lib/cache/key.ts).
 */
const promptKeyParams = new WeakMap<object, Readonly<ReturnType<typeof versionKeyParams>>>();

/** GET /api/iris/prompts/{name}?label=&version=: one version, production by default. The hot path agents call. */
export const promptRoute = defineRoute({
  path: '/api/iris/prompts/:name',
  access: 'project',
  methods: {
    GET: (c) => {
      const input = promptInput(c);
      const { name } = input.params;
      const { query } = input;
      let params = promptKeyParams.get(input);
      if (params === undefined) promptKeyParams.set(input, (params = Object.freeze(versionKeyParams(name, query))));
      return respondCached(c, 'prompts', params, () => loadVersion(c, name, query));
    },
  },
});

/** GET|POST /api/iris/prompts/{name}/versions: every version, newest first; add the next one. */
export const promptVersionsRoute = defineRoute({
  path: '/api/iris/prompts/:name/versions',
  access: 'project',
  methods: {
    GET: (c) => {
      const { name } = parseParams(c, PromptParams);
      parseQuery(c, ListPromptsQuery);
      return respondCached(c, 'prompts', { name, versions: 'all' }, async () => {
        const rows = await c.get('services').db.rpc('list_prompt_versions', { p_project_id: c.get('project').id, p_name: name });
        if (rows.length === 0) throw promptRefusal('prompt_not_found', name);
        return { name, data: rows.map(promptVersionView) };
      });
    },
    POST: async (c) => {
      const { name } = parseParams(c, PromptParams);
      const body = await parseBody(c, CreatePromptVersionBody);
      const { rows } = await runWrite(c, { rpc: 'create_prompt_version', args: versionArgs(c, name, body), body });
      const view = versionOrThrow(rows[0], name);
      await changed(c);
      return json(c, view, 201);
    },
  },
});

/** PATCH /api/iris/prompts/{name}/versions/{version}: the lifecycle status, the only thing of a version that changes. */
export const promptVersionRoute = defineRoute({
  path: '/api/iris/prompts/:name/versions/:version',
  access: 'project',
  methods: {
    GET: (c) => {
      const { name, version } = parseParams(c, PromptVersionParams);
      parseQuery(c, ListPromptsQuery);
      return respondCached(c, 'prompts', versionKeyParams(name, { version }), () => loadVersion(c, name, { version }));
    },
    PATCH: async (c) => {
      const { name, version } = parseParams(c, PromptVersionParams);
      const body = await parseBody(c, UpdatePromptVersionBody);
      const { rows } = await runWrite(c, {
        rpc: 'set_prompt_version_status',
        args: { p_project_id: c.get('project').id, p_name: name, p_version: version, p_status: body.status },
        body,
      });
      const view = versionOrThrow(rows[0], name, { version });
      await changed(c);
      return json(c, view);
    },
  },
});

/**
 * GET|PUT|DELETE /api/iris/prompts/{name}/labels/{label}: a label's history of
 * moves; move it (one atomic, recorded write: a rollback is a move back);
 * remove it (recorded too; production is only ever moved).
 */
export const promptLabelRoute = defineRoute({
  path: '/api/iris/prompts/:name/labels/:label',
  access: 'project',
  methods: {
    GET: (c) => {
      const { name, label } = parseParams(c, PromptLabelParams);
      const { limit } = parseQuery(c, LabelHistoryQuery);
      return respondCached(c, 'prompts', { name, label, history: limit }, async () => {
        const moves = await c
          .get('services')
          .db.rpc('list_prompt_label_moves', { p_project_id: c.get('project').id, p_name: name, p_label: label, p_limit: limit });
        if (moves.length === 0) throw promptRefusal('label_not_found', name, { label });
        return {
          name,
          label,
          // Null after a removal: the history stays readable.
          version: moves[0]!.to_version,
          moves: moves.map((m) => ({
            fromVersion: m.from_version,
            toVersion: m.to_version,
            movedBy: m.moved_by,
            reason: m.reason,
            movedAt: new Date(m.moved_at).toISOString(),
          })),
        };
      });
    },
    PUT: async (c) => {
      const { name, label } = parseParams(c, PromptLabelParams);
      const body = await parseBody(c, MoveLabelBody);
      const { rows } = await runWrite(c, {
        rpc: 'move_prompt_label',
        args: { p_project_id: c.get('project').id, p_name: name, p_label: label, p_version: body.version, p_actor: actorOf(c), p_reason: body.reason ?? null },
        body,
      });
      const row = rows[0];
      if (!row || (row.outcome !== 'moved' && row.outcome !== 'unchanged'))
        throw promptRefusal(row?.outcome ?? 'prompt_not_found', name, { label, version: body.version });
      if (row.outcome === 'moved') await changed(c);
      return json(c, {
        name,
        label,
        version: row.version,
        previousVersion: row.previous_version,
        moved: row.outcome === 'moved',
        movedBy: row.moved_by,
        movedAt: row.moved_at === null ? null : new Date(row.moved_at).toISOString(),
      });
    },
    DELETE: async (c) => {
      const { name, label } = parseParams(c, PromptLabelParams);
      const body = await parseOptionalBody(c, RemoveLabelBody);
      const { rows } = await runWrite(c, {
        rpc: 'remove_prompt_label',
        args: { p_project_id: c.get('project').id, p_name: name, p_label: label, p_actor: actorOf(c), p_reason: body?.reason ?? null },
        body,
      });
      const row = rows[0];
      if (!row || row.outcome !== 'removed') throw promptRefusal(row?.outcome ?? 'prompt_not_found', name, { label });
      await changed(c);
      return json(c, {
        name,
        label,
        version: null,
        previousVersion: row.previous_version,
        removed: true,
        movedBy: row.moved_by,
        movedAt: new Date(row.moved_at!).toISOString(),
      });
    },
  },
});

/** What a render of a version answers. */
function rendered(c: RouteContext, view: PromptVersionView, values: Record<string, string | number | boolean>): Response {
  const result = view.template !== null ? renderTemplate(view.template, view.variables, values) : renderMessages(view.messages ?? [], view.variables, values);
  if (!result.ok) {
    const parts = [
      result.missing.length > 0 ? `missing ${result.missing.join(', ')}` : '',
      result.unknown.length > 0 ? `unknown ${result.unknown.join(', ')}` : '',
    ].filter(Boolean);
    throw new HttpError(422, 'invalid_variables', `Version ${view.version} of ${view.name} cannot be rendered with these variables: ${parts.join('; ')}.`, {
      details: { missing: result.missing, unknown: result.unknown, declared: view.variables },
    });
  }
  return json(c, {
    name: view.name,
    version: view.version,
    promptVersion: view.promptVersion,
    labels: view.labels,
    config: view.config,
    ...(typeof result.value === 'string' ? { text: result.value } : { messages: result.value }),
  });
}

/** POST /api/iris/prompts/{name}/render: substitutes `{{variables}}`; a missing or unknown one is a 422 naming it. */
export const promptRenderRoute = defineRoute({
  path: '/api/iris/prompts/:name/render',
  access: 'project',
  methods: {
    POST: async (c) => {
      const { name } = parseParams(c, PromptParams);
      const body = await parseBody(c, RenderPromptBody);
      const view = await cachedVersion(c, name, body);
      return rendered(c, view, body.variables);
    },
  },
});
