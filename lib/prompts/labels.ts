/**
 * Label rules of the prompt registry. A label points at one version of a
 * prompt; `latest` is not a label anyone moves but always the newest version;
 * `production` is what agents fetch by default and may never point at a
 * deprecated version (the database enforces it too, atomically with the move).
 */

/** The label a fetch without `label` or `version` resolves. */
export const DEFAULT_LABEL = 'production';

/** Always the newest version; never stored, never moved. */
export const LATEST_LABEL = 'latest';

/** What a label may be called: lowercase letters, digits, `_` and `-`, 1 to 32 characters. */
export const LABEL_PATTERN = /^[a-z0-9_-]{1,32}$/;

/** How many labels one prompt may have (0010_prompts enforces it). */
export const MAX_LABELS_PER_PROMPT = 20;

/** A prompt name: lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 100. */
export const PROMPT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Lifecycle of a version, in its usual order. */
export const PROMPT_STATUSES = ['draft', 'testing', 'active', 'deprecated'] as const;
export type PromptStatus = (typeof PROMPT_STATUSES)[number];

/**
 * The `promptVersion` runs made with this version carry (`<name>@<version>`):
 * what the rollups group by, and so what experiment results read.
 * @example runTag('support-triage', 3) // 'support-triage@3'
 */
export function runTag(name: string, version: number): string {
  return `${name}@${version}`;
}

/** Why a label may not point at a version of this status, or null when it may. */
export function labelRefusal(label: string, status: PromptStatus): 'deprecated_production' | null {
  return label === DEFAULT_LABEL && status === 'deprecated' ? 'deprecated_production' : null;
}
