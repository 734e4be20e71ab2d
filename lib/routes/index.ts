export { adminKeyRevokeRoute, adminKeyRotateRoute, adminKeysRoute, adminProjectsRoute } from './admin.js';
export { expertsRoute, expertUsageRoute } from './experts.js';
export { healthRoute } from './health.js';
export { metricsRoute } from './metrics.js';
export { overviewRoute } from './overview.js';
export { reflexionsRoute } from './reflexions.js';
export { reportsRoute } from './reports.js';
export { runsRoute } from './runs.js';
export { performanceStatsRoute, resolveRange, tokenStatsRoute } from './stats.js';
