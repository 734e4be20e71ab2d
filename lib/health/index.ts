export { compareMigrations, missingFrom, type MigrationReport, type MigrationStatus } from './migrations.js';
export {
  createHealthProbe,
  HEALTH_KV_KEY,
  type DependencyCheck,
  type DependencyStatus,
  type HealthProbe,
  type HealthProbeOptions,
  type HealthReport,
} from './probe.js';
