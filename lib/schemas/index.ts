export * from './common.js';
export * from './runs.js';
export * from './stats.js';
export * from './experts.js';
export * from './reports.js';
export * from './reflexions.js';
export * from './admin.js';
export * from './analytics.js';
