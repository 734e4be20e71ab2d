import { describe, expect, it } from 'vitest';
import { bodyVariables, renderMessages, renderTemplate, templateVariables } from './template.js';

describe('templateVariables', () => {
  it.each([
    ['Hello', []],
    ['Hi {{name}}', ['name']],
    ['{{ a }} and {{b}} and {{a}}', ['a', 'b']],
    ['{{  spaced_out  }}', ['spaced_out']],
    ['{{ 1 }} {{a.b}} {{}} {{ a b }} {x}', []],
    ['{{_private}}{{x9}}', ['_private', 'x9']],
    ['{{{triple}}}', ['triple']],
  ])('finds the variables of %j', (template, expected) => {
    expect(templateVariables(template)).toEqual(expected);
  });

  it('collects the variables of every message of a message list, each once', () => {
    expect(
      bodyVariables({
        messages: [
          { role: 'system', content: 'You help {{team}}' },
          { role: 'user', content: '{{question}} for {{team}}' },
        ],
      }),
    ).toEqual(['team', 'question']);
  });
});

describe('renderTemplate', () => {
  it.each([
    ['Hi {{name}}', ['name'], { name: 'Ada' }, 'Hi Ada'],
    ['{{ n }} items, urgent: {{u}}', ['n', 'u'], { n: 3, u: true }, '3 items, urgent: true'],
    ['No variables', [], {}, 'No variables'],
    ['{{a}}{{a}}', ['a'], { a: 'x' }, 'xx'],
    ['Keeps {{ 1 }} and {literal}', [], {}, 'Keeps {{ 1 }} and {literal}'],
    ['Inserts {{v}} as is', ['v'], { v: '{{v}} $& $1' }, 'Inserts {{v}} $& $1 as is'],
  ])('renders %j', (template, declared, values, expected) => {
    expect(renderTemplate(template, declared, values)).toEqual({ ok: true, value: expected });
  });

  it('names every missing variable in declaration order and renders nothing', () => {
    expect(renderTemplate('{{a}} {{b}} {{c}}', ['a', 'b', 'c'], { b: 1 })).toEqual({ ok: false, missing: ['a', 'c'], unknown: [] });
  });

  it('names every unknown variable, sorted, even when none is missing', () => {
    expect(renderTemplate('{{a}}', ['a'], { a: 1, zeta: 2, beta: 3 })).toEqual({ ok: false, missing: [], unknown: ['beta', 'zeta'] });
  });

  it('treats a value named like an Object.prototype member as unknown, not as present', () => {
    expect(renderTemplate('{{constructor}}', ['constructor'], {})).toEqual({ ok: false, missing: ['constructor'], unknown: [] });
    expect(renderTemplate('x', [], { toString: 'y' })).toEqual({ ok: false, missing: [], unknown: ['toString'] });
  });
});

describe('renderMessages', () => {
  it('renders every message and keeps the roles', () => {
    const messages = [
      { role: 'system', content: 'You triage for {{team}}.' },
      { role: 'user', content: '{{ticket}}' },
    ];
    expect(renderMessages(messages, ['team', 'ticket'], { team: 'billing', ticket: 'Refund?' })).toEqual({
      ok: true,
      value: [
        { role: 'system', content: 'You triage for billing.' },
        { role: 'user', content: 'Refund?' },
      ],
    });
  });

  it('refuses missing and unknown variables as templates do', () => {
    expect(renderMessages([{ role: 'user', content: '{{a}}' }], ['a'], { b: 1 })).toEqual({ ok: false, missing: ['a'], unknown: ['b'] });
  });
});
