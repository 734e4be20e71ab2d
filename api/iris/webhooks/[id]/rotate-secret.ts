// api/iris/webhooks/[id]/rotate-secret: wired to lib/routes; this file only adapts it to Vercel.
import { webhookRotateSecretRoute as route } from '../../../../lib/routes/index.js';

export { route };
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route.handlers;
