/**
 * `{{variable}}` templates: finding the variables a template uses and
 * rendering it with values. Pure; the registry stores what `templateVariables`
 * finds and the render route refuses what `renderTemplate` reports.
 *
 * Syntax: `{{name}}`, with optional spaces inside the braces (`{{ name }}`);
 * a name is a letter or `_` then letters, digits or `_`, at most 64. Anything
 * else between braces (`{{ 1 }}`, `{{a.b}}`) is left as text, so templates
 * that show braces to the model keep them. There is no escaping, no logic and
 * no recursion: a value that itself holds `{{x}}` is inserted as it is.
 */

/** A variable name: what `{{ }}` may hold and what a version may declare. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

/** A value a variable may take: rendered with `String()`. */
export type VariableValue = string | number | boolean;

/** One chat message of a message-list prompt. */
export interface PromptMessage {
  role: string;
  content: string;
}

/** What a prompt version renders: a text template or a message list. */
export type PromptBody = { template: string; messages?: null } | { template?: null; messages: readonly PromptMessage[] };

/** The variables a template uses, in order of first use, each once. */
export function templateVariables(template: string): string[] {
  const seen = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) seen.add(match[1]!);
  return [...seen];
}

/** The variables a prompt body uses: its template's, or every message's in order. */
export function bodyVariables(body: PromptBody): string[] {
  if (typeof body.template === 'string') return templateVariables(body.template);
  const seen = new Set<string>();
  for (const message of body.messages ?? []) for (const name of templateVariables(message.content)) seen.add(name);
  return [...seen];
}

/** The outcome of a render: the text, or what was wrong with the values. */
export type RenderResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** Declared variables with no value, in declaration order. */
      missing: string[];
      /** Values for names the version does not declare, sorted. */
      unknown: string[];
    };

function check(declared: readonly string[], values: Readonly<Record<string, VariableValue>>): { missing: string[]; unknown: string[] } {
  const known = new Set(declared);
  const missing = declared.filter((name) => !Object.hasOwn(values, name));
  const unknown = Object.keys(values)
    .filter((name) => !known.has(name))
    .sort();
  return { missing, unknown };
}

const substitute = (template: string, values: Readonly<Record<string, VariableValue>>) =>
  // Only declared names reach here (check first), so every placeholder found has a value or is left as written.
  template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : whole));

/**
 * Renders a template with exactly its declared variables: every declared one
 * must have a value and no other may be given, else nothing is rendered and
 * both lists say what to fix.
 * @example
 * renderTemplate('Hi {{ name }}', ['name'], { name: 'Ada' }) // { ok: true, value: 'Hi Ada' }
 */
export function renderTemplate(template: string, declared: readonly string[], values: Readonly<Record<string, VariableValue>>): RenderResult<string> {
  const { missing, unknown } = check(declared, values);
  if (missing.length > 0 || unknown.length > 0) return { ok: false, missing, unknown };
  return { ok: true, value: substitute(template, values) };
}

/** As `renderTemplate`, for every message of a message list. */
export function renderMessages(
  messages: readonly PromptMessage[],
  declared: readonly string[],
  values: Readonly<Record<string, VariableValue>>,
): RenderResult<PromptMessage[]> {
  const { missing, unknown } = check(declared, values);
  if (missing.length > 0 || unknown.length > 0) return { ok: false, missing, unknown };
  return { ok: true, value: messages.map((m) => ({ role: m.role, content: substitute(m.content, values) })) };
}
