/**
 * Pure helpers for the text exposition formats: escaping and number
 * formatting. Prometheus 0.0.4:
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
 * OpenMetrics 1.0: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
 */

const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const HELP_SPECIAL = /[\\\n]/;

/**
 * Escapes a label value: backslash, double quote and line feed become `\\`,
 * `\"` and `\n`. OpenMetrics uses the same escaping for HELP text.
 *
 * @example escapeLabelValue('a"b') // 'a\\"b'
 */
export function escapeLabelValue(value: string): string {
  // Most values need nothing; test first so the common case does not allocate.
  if (!LABEL_VALUE_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Escapes HELP text for the Prometheus 0.0.4 format, where only backslash and
 * line feed are escaped (a `\"` there is an invalid escape sequence).
 */
export function escapeHelp(help: string): string {
  if (!HELP_SPECIAL.test(help)) return help;
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Formats a sample value: `+Inf`, `-Inf` and `NaN` as both formats spell them,
 * and finite numbers in JavaScript's shortest round-trip form (`1e+21`, which
 * Go's ParseFloat reads too).
 */
export function formatNumber(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value !== value) return 'NaN';
  return String(value);
}

/**
 * Formats a bucket bound for the `le` label. Integral bounds get a `.0`
 * (`le="1.0"`), the canonical form OpenMetrics asks for and the form Prometheus
 * 3 normalises to, so the same series gets the same label in both formats.
 */
export function formatBound(bound: number): string {
  if (Number.isInteger(bound) && Math.abs(bound) < 1e21) return `${bound}.0`;
  return formatNumber(bound);
}

/**
 * Renders label pairs without the braces, `a="x",b="y"`, or `''` when there
 * are none; callers add the braces (and `le` for histogram buckets).
 */
export function formatLabelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += `${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  return out;
}
