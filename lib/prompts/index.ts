/** The prompt registry's pure rules: `{{variable}}` templates and labels. */
export {
  bodyVariables,
  renderMessages,
  renderTemplate,
  templateVariables,
  VARIABLE_NAME,
  type PromptBody,
  type PromptMessage,
  type RenderResult,
  type VariableValue,
} from './template.js';
export {
  DEFAULT_LABEL,
  LABEL_PATTERN,
  labelRefusal,
  LATEST_LABEL,
  MAX_LABELS_PER_PROMPT,
  PROMPT_NAME_PATTERN,
  PROMPT_STATUSES,
  runTag,
  type PromptStatus,
} from './labels.js';
