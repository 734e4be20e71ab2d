import { z } from 'zod';
import { bodyVariables, LABEL_PATTERN, LATEST_LABEL, PROMPT_NAME_PATTERN, PROMPT_STATUSES, VARIABLE_NAME } from '../prompts/index.js';
import { jsonObject, projectIdAssertion, text } from './common.js';

/** A prompt name, as in a path or a body. */
export const promptName = z
  .string()
  .regex(PROMPT_NAME_PATTERN, 'must be 1-100 characters of lowercase letters, digits and . _ -, starting with a letter or digit');

/** A label that can be moved: `latest` is the newest version, never moved. */
export const movableLabel = z
  .string()
  .regex(LABEL_PATTERN, 'must be 1-32 characters of lowercase letters, digits, _ and -')
  .refine((l) => l !== LATEST_LABEL, { message: '"latest" always means the newest version and cannot be moved' });

const versionNumber = z.coerce.number().int().min(1).max(1_000_000);

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: text(65_536),
});

/** The content of one version: a template or a message list, its variables, its model config. */
const versionFields = {
  template: text(65_536, 1).optional(),
  messages: z.array(message).min(1).max(100).optional(),
  /** The variables it takes; defaults to the ones its `{{ }}` use. Each one it uses must be declared. */
  variables: z.array(z.string().regex(VARIABLE_NAME, 'must be a letter or _ then letters, digits or _, at most 64')).max(50).optional(),
  /** Model and parameters, as the caller's SDK takes them. */
  config: jsonObject(16_384).optional(),
  commitMessage: text(1000, 1).optional(),
  status: z.enum(PROMPT_STATUSES).default('draft'),
  /** Labels to point at this version as it is created (each move recorded). */
  labels: z.array(movableLabel).max(20).default([]),
};

type VersionFields = { template?: string | undefined; messages?: { role: string; content: string }[] | undefined; variables?: string[] | undefined };

/** One body of template or messages; declared variables cover every used one, each once. */
function checkVersion(v: VersionFields, ctx: z.RefinementCtx): void {
  if ((v.template === undefined) === (v.messages === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['template'], message: 'give exactly one of template or messages' });
    return;
  }
  if (v.variables === undefined) return;
  if (new Set(v.variables).size !== v.variables.length) ctx.addIssue({ code: 'custom', path: ['variables'], message: 'must name each variable once' });
  const used = bodyVariables(v.template !== undefined ? { template: v.template } : { messages: v.messages! });
  const undeclared = used.filter((name) => !v.variables!.includes(name));
  if (undeclared.length > 0) ctx.addIssue({ code: 'custom', path: ['variables'], message: `the template uses undeclared variables: ${undeclared.join(', ')}` });
}

/** POST /api/iris/prompts: a prompt with its first version. */
export const CreatePromptBody = z
  .strictObject({ ...projectIdAssertion, name: promptName, description: text(2000).default(''), ...versionFields })
  .superRefine(checkVersion);
export type CreatePrompt = z.output<typeof CreatePromptBody>;

/** POST /api/iris/prompts/{name}/versions: the next version. */
export const CreatePromptVersionBody = z.strictObject({ ...projectIdAssertion, ...versionFields }).superRefine(checkVersion);
export type CreatePromptVersion = z.output<typeof CreatePromptVersionBody>;

export const PromptParams = z.strictObject({ name: promptName });
export const PromptLabelParams = z.strictObject({ name: promptName, label: movableLabel });
export const PromptVersionParams = z.strictObject({ name: promptName, version: versionNumber });

/** GET /api/iris/prompts/{name}: by label (default production, or latest) or by version number, not both. */
export const GetPromptQuery = z
  .strictObject({
    ...projectIdAssertion,
    label: z.union([movableLabel, z.literal(LATEST_LABEL)]).optional(),
    version: versionNumber.optional(),
  })
  .refine((q) => q.label === undefined || q.version === undefined, { message: 'give label or version, not both' });

export const ListPromptsQuery = z.strictObject({ ...projectIdAssertion });

/** PUT /api/iris/prompts/{name}/labels/{label}: the version the label points at from now on. */
export const MoveLabelBody = z.strictObject({ ...projectIdAssertion, version: z.int().min(1).max(1_000_000), reason: text(500, 1).optional() });

/** DELETE /api/iris/prompts/{name}/labels/{label}: why, for the label's history (optional). */
export const RemoveLabelBody = z.strictObject({ ...projectIdAssertion, reason: text(500, 1).optional() });

/** GET /api/iris/prompts/{name}/labels/{label}: the label's moves. */
export const LabelHistoryQuery = z.strictObject({ ...projectIdAssertion, limit: z.coerce.number().int().min(1).max(500).default(50) });

/** PATCH /api/iris/prompts/{name}/versions/{version}: the lifecycle status, the only thing of a version that changes. */
export const UpdatePromptVersionBody = z.strictObject({ ...projectIdAssertion, status: z.enum(PROMPT_STATUSES) });

/** POST /api/iris/prompts/{name}/render */
export const RenderPromptBody = z
  .strictObject({
    ...projectIdAssertion,
    label: z.union([movableLabel, z.literal(LATEST_LABEL)]).optional(),
    version: z.int().min(1).max(1_000_000).optional(),
    variables: z.record(z.string().max(64), z.union([text(100_000), z.number(), z.boolean()])).default({}),
  })
  .refine((b) => b.label === undefined || b.version === undefined, { message: 'give label or version, not both' });
