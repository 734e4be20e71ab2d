export { describeDatabase, describeTracing, devBanner, shellWord, type DevBannerOptions } from './dev-banner.js';
export { createFileRouter, loadFileRoutes, matchRoute, templateFromFile, type FileRoute } from './file-routes.js';
export { startLocalServer, type LocalServer, type LocalServerOptions } from './local-server.js';
