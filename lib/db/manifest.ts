/**
 * The migration files this build of Iris expects the database to have
 * applied, in order. Kept equal to the files in `supabase/migrations` by
 * `lib/db/migrations.test.ts` ("lists every migration file in the manifest"):
 * a new migration file goes here too, or that test fails. A constant rather
 * than a directory listing, so the detailed health check compares on any
 * runtime, Vercel's functions and Edge included, without the files.
 */
export const EXPECTED_MIGRATIONS: readonly string[] = Object.freeze([
  '0001_schema.sql',
  '0002_functions.sql',
  '0003_privileges.sql',
  '0004_analytics.sql',
  '0005_lifecycle.sql',
  '0006_operations.sql',
  '0007_webhooks.sql',
  '0008_pricing.sql',
  '0009_budgets.sql',
  '0010_prompts.sql',
  '0011_secret_rotation.sql',
  '0012_webhook_secret_rotation.sql',
  '0013_webhook_endpoint_updates.sql',
  '0014_prompt_label_removal.sql',
]);

/** The migration that adds `iris_applied_migrations`, which the health check calls. */
export const HEALTH_MIGRATION = '0006_operations.sql';
