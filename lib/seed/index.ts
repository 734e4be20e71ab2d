export { DEMO_PROJECT_NAME, seedDemo, type SeedDemoOptions, type SeedDemoResult } from './demo.js';
export { seedProject, type SeedProjectOptions, type SeededProject } from './project.js';
