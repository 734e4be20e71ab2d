import { z } from 'zod';
import { text, uuid } from './common.js';
import { RetentionSettings } from './lifecycle.js';

/** Per-project settings an operator may set; the rate-limit fields are read by the limiter, `retention` by ingest and the retention sweep. */
export const ProjectSettings = z.strictObject({
  rateLimit: z
    .strictObject({
      readsPerMinute: z.int().min(1).max(1_000_000).optional(),
      writesPerMinute: z.int().min(1).max(1_000_000).optional(),
    })
    .optional(),
  retention: RetentionSettings.optional(),
});

export const CreateProjectBody = z.strictObject({
  name: text(120, 1),
  settings: ProjectSettings.default({}),
});

export const ListKeysQuery = z.strictObject({ projectId: uuid });

export const CreateKeyBody = z.strictObject({
  projectId: uuid,
  label: text(120, 1).optional(),
});

export const KeyParams = z.strictObject({ id: uuid });

export const EmptyBody = z.strictObject({});
