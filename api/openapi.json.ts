// api/openapi.json: wired to lib/routes; this file only adapts it to Vercel.
import { openApiRoute as route } from '../lib/routes/index.js';

export { route };
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route.handlers;
