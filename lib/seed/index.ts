export { applyDemoRateLimit, DEMO_EXPERIMENT, DEMO_PROJECT_NAME, DEMO_PROMPT, DEMO_RATE_LIMIT, seedDemo, type DemoRateLimit, type SeedDemoOptions, type SeedDemoResult } from './demo.js';
export { seedProject, type SeedProjectOptions, type SeededProject } from './project.js';
