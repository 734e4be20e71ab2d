// api/iris/prompts/[name]/labels/[label]: wired to lib/routes; this file only adapts it to Vercel.
import { promptLabelRoute as route } from '../../../../../lib/routes/index.js';

export { route };
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route.handlers;
