import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApiTypes, TYPES_FILE } from '../../scripts/openapi-types.js';

describe('lib/client/openapi.ts', () => {
  it('is what `npm run openapi:types` generates from the current document (regenerate and commit it when this fails)', async () => {
    const committed = readFileSync(TYPES_FILE, 'utf8');
    const fresh = await generateOpenApiTypes();
    expect(committed === fresh, 'lib/client/openapi.ts is stale: run `npm run openapi:types`').toBe(true);
  }, 60_000);
});
