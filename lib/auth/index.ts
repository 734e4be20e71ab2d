export { API_KEY_PREFIX, displayPrefix, generateApiKey, looksLikeApiKey, sha256Hex, sha256HexSync } from './api-key.js';
export { bearerToken } from './bearer.js';
export { secretMatches, timingSafeEqualString } from './constant-time.js';
export { authCacheKey, createKeyVerifier, type KeyVerifier, type KeyVerifierOptions, type ProjectContext } from './verifier.js';
export { createKeyUsage, type KeyUsage, type KeyUsageOptions } from './usage.js';
