import { describe, expect, it } from 'vitest';
import { LABEL_PATTERN, labelRefusal, runTag } from './labels.js';

describe('labels', () => {
  it.each(['production', 'staging', 'canary-2', 'a_b', 'x'.repeat(32)])('accepts the label %j', (label) => {
    expect(LABEL_PATTERN.test(label)).toBe(true);
  });

  it.each(['', 'Production', 'with space', 'dot.ted', 'x'.repeat(33), 'é'])('refuses the label %j', (label) => {
    expect(LABEL_PATTERN.test(label)).toBe(false);
  });

  it('never lets production point at a deprecated version, and lets every other label', () => {
    expect(labelRefusal('production', 'deprecated')).toBe('deprecated_production');
    for (const status of ['draft', 'testing', 'active'] as const) expect(labelRefusal('production', status)).toBeNull();
    expect(labelRefusal('staging', 'deprecated')).toBeNull();
  });

  it('tags runs of a version with its prompt name and number', () => {
    expect(runTag('support-triage', 3)).toBe('support-triage@3');
  });
});
