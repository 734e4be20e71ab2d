import { z } from 'zod';
import { PROMPT_STATUSES } from '../../prompts/index.js';
import {
  CreatePromptBody,
  CreatePromptVersionBody,
  GetPromptQuery,
  LabelHistoryQuery,
  ListPromptsQuery,
  MoveLabelBody,
  PromptLabelParams,
  RemoveLabelBody,
  PromptParams,
  PromptVersionParams,
  RenderPromptBody,
  UpdatePromptVersionBody,
} from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime } from '../schemas.js';

/** One message of a chat prompt. */
export const PromptMessageView = z.strictObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: z.string() });

/** Model and parameters, as the caller's SDK takes them. */
export const PromptConfig = z.record(z.string(), z.unknown()).meta({ description: "Model and parameters, as the caller's SDK takes them." });

/** A version as every prompt answer shows it (lib/routes/prompts.ts promptVersionView). */
export const PromptVersionView = z.strictObject({
  name: z.string(),
  description: z.string(),
  version: z.int(),
  promptVersion: z.string().meta({ description: 'What runs made with this version send as `promptVersion` (`<name>@<version>`).' }),
  status: z.enum(PROMPT_STATUSES),
  template: z.string().nullable(),
  messages: z.array(PromptMessageView).nullable(),
  variables: z.array(z.string()),
  config: PromptConfig,
  commitMessage: z.string().nullable(),
  labels: z.array(z.string()).meta({ description: 'The labels pointing at this version.' }),
  latestVersion: z.int(),
  createdBy: z.string().nullable().meta({ description: 'Who wrote it: `key:<api key id>`.' }),
  createdAt: isoTime,
});

export const PromptSummary = z.strictObject({
  name: z.string(),
  description: z.string(),
  latestVersion: z.int(),
  labels: z.record(z.string(), z.int()).meta({ description: 'Each label with the version it points at.' }),
  createdAt: isoTime,
});

export const PromptList = z.strictObject({ projectId: id, data: z.array(PromptSummary) });

export const PromptVersionList = z.strictObject({ name: z.string(), data: z.array(PromptVersionView) });

export const LabelMove = z.strictObject({
  fromVersion: z.int().nullable(),
  toVersion: z.int().nullable().meta({ description: 'Null when this move removed the label.' }),
  movedBy: z.string().nullable(),
  reason: z.string().nullable(),
  movedAt: isoTime,
});

export const LabelHistory = z.strictObject({
  name: z.string(),
  label: z.string(),
  version: z.int().nullable().meta({ description: 'The version the label points at now; null when it was removed (its history stays).' }),
  moves: z.array(LabelMove).meta({ description: 'Newest first.' }),
});

export const LabelRemoval = z.strictObject({
  name: z.string(),
  label: z.string(),
  version: z.null(),
  previousVersion: z.int().meta({ description: 'The version the label pointed at; a PUT to it puts the label back.' }),
  removed: z.literal(true),
  movedBy: z.string().nullable(),
  movedAt: isoTime,
});

export const LabelMoveResult = z.strictObject({
  name: z.string(),
  label: z.string(),
  version: z.int(),
  previousVersion: z.int().nullable(),
  moved: z.boolean().meta({ description: 'False when the label already pointed at this version (nothing recorded).' }),
  movedBy: z.string().nullable(),
  movedAt: isoTime.nullable(),
});

export const RenderedPrompt = z.strictObject({
  name: z.string(),
  version: z.int(),
  promptVersion: z.string(),
  labels: z.array(z.string()),
  config: PromptConfig,
  text: z.string().optional().meta({ description: 'The rendered template (a template version).' }),
  messages: z.array(PromptMessageView).optional().meta({ description: 'The rendered messages (a messages version).' }),
});

const TAG = 'Prompts';
const NOT_FOUND = { description: 'No such prompt (`prompt_not_found`), label (`label_not_found`) or version (`version_not_found`) in this project.' };
const PRODUCTION_ON_DEPRECATED = { description: 'The production label would point at a deprecated version (`production_on_deprecated`).' };

export const promptsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/prompts',
    operationId: 'listPrompts',
    summary: "The project's prompts, with their newest version and labels",
    tag: TAG,
    auth: 'project',
    query: ListPromptsQuery,
    cached: true,
    responses: { 200: { description: 'Every prompt.', schema: PromptList } },
  },
  {
    method: 'POST',
    path: '/api/iris/prompts',
    operationId: 'createPrompt',
    summary: 'Create a prompt with its first version',
    description: 'A template or a message list; variables default to the `{{ }}` it uses. 422 `too_many_labels` past 20 labels.',
    tag: TAG,
    auth: 'project',
    body: CreatePromptBody,
    idempotent: true,
    responses: {
      201: { description: 'Version 1 of the prompt.', schema: PromptVersionView },
      409: { description: 'A prompt of this name exists (`prompt_exists`), or production would point at a deprecated version (`production_on_deprecated`).' },
    },
  },
  {
    method: 'GET',
    path: '/api/iris/prompts/:name',
    operationId: 'getPrompt',
    summary: 'One version of a prompt: by label (production by default, or latest) or by number',
    description: 'The hot path agents call before each LLM call.',
    tag: TAG,
    auth: 'project',
    params: PromptParams,
    query: GetPromptQuery,
    cached: true,
    responses: { 200: { description: 'The version.', schema: PromptVersionView }, 404: NOT_FOUND },
  },
  {
    method: 'GET',
    path: '/api/iris/prompts/:name/versions',
    operationId: 'listPromptVersions',
    summary: 'Every version of a prompt, newest first',
    tag: TAG,
    auth: 'project',
    params: PromptParams,
    query: ListPromptsQuery,
    cached: true,
    responses: { 200: { description: 'The versions.', schema: PromptVersionList }, 404: NOT_FOUND },
  },
  {
    method: 'POST',
    path: '/api/iris/prompts/:name/versions',
    operationId: 'createPromptVersion',
    summary: 'Add the next version of a prompt',
    tag: TAG,
    auth: 'project',
    params: PromptParams,
    body: CreatePromptVersionBody,
    idempotent: true,
    responses: { 201: { description: 'The new version.', schema: PromptVersionView }, 404: NOT_FOUND, 409: PRODUCTION_ON_DEPRECATED },
  },
  {
    method: 'GET',
    path: '/api/iris/prompts/:name/versions/:version',
    operationId: 'getPromptVersion',
    summary: 'One version of a prompt by number',
    tag: TAG,
    auth: 'project',
    params: PromptVersionParams,
    query: ListPromptsQuery,
    cached: true,
    responses: { 200: { description: 'The version.', schema: PromptVersionView }, 404: NOT_FOUND },
  },
  {
    method: 'PATCH',
    path: '/api/iris/prompts/:name/versions/:version',
    operationId: 'updatePromptVersion',
    summary: "Change a version's lifecycle status, the only thing of a version that changes",
    tag: TAG,
    auth: 'project',
    params: PromptVersionParams,
    body: UpdatePromptVersionBody,
    idempotent: true,
    responses: { 200: { description: 'The version.', schema: PromptVersionView }, 404: NOT_FOUND, 409: PRODUCTION_ON_DEPRECATED },
  },
  {
    method: 'GET',
    path: '/api/iris/prompts/:name/labels/:label',
    operationId: 'getPromptLabel',
    summary: "A label's version and its history of moves",
    tag: TAG,
    auth: 'project',
    params: PromptLabelParams,
    query: LabelHistoryQuery,
    cached: true,
    responses: { 200: { description: 'The label and its moves, newest first.', schema: LabelHistory }, 404: NOT_FOUND },
  },
  {
    method: 'PUT',
    path: '/api/iris/prompts/:name/labels/:label',
    operationId: 'movePromptLabel',
    summary: 'Point a label at a version',
    description: 'One atomic, recorded write: a rollback is a move back. `latest` is never moved. 422 `too_many_labels` for a 21st label.',
    tag: TAG,
    auth: 'project',
    params: PromptLabelParams,
    body: MoveLabelBody,
    idempotent: true,
    responses: { 200: { description: 'Where the label points now.', schema: LabelMoveResult }, 404: NOT_FOUND, 409: PRODUCTION_ON_DEPRECATED },
  },
  {
    method: 'DELETE',
    path: '/api/iris/prompts/:name/labels/:label',
    operationId: 'removePromptLabel',
    summary: 'Remove a label',
    description:
      "Frees one of the 20 labels a prompt may have; fetching by the label then answers 404 `label_not_found`. Recorded in the label's history like a move (`toVersion` null), with the optional `reason`; a PUT to `previousVersion` puts it back. `production` is only ever moved (409 `production_label_required`); `latest` is not a stored label.",
    tag: TAG,
    auth: 'project',
    params: PromptLabelParams,
    body: RemoveLabelBody,
    bodyOptional: true,
    idempotent: true,
    responses: {
      200: { description: 'The removed label and the version it pointed at.', schema: LabelRemoval },
      404: NOT_FOUND,
      409: { description: 'The label is production, which may be moved but not removed (`production_label_required`).' },
    },
  },
  {
    method: 'POST',
    path: '/api/iris/prompts/:name/render',
    operationId: 'renderPrompt',
    summary: 'Render a version with its `{{variables}}` substituted',
    description: 'By label (production by default, or latest) or by version. A missing or unknown variable is a 422 `invalid_variables` naming it.',
    tag: TAG,
    auth: 'project',
    params: PromptParams,
    body: RenderPromptBody,
    responses: { 200: { description: 'The rendered text or messages, with the config to call with.', schema: RenderedPrompt }, 404: NOT_FOUND },
  },
];
