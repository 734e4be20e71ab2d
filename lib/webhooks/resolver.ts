/**
 * The default resolver of the SSRF guard: the operating system's resolver
 * through `node:dns` (`lookup` with `all`, as a connection would resolve the
 * name, /etc/hosts included), loaded lazily so this module also loads on a
 * runtime without it. On the Edge runtime there is no DNS API (and DNS over
 * HTTPS would be a second, different answer than the one `fetch` uses), so
 * there names cannot be checked and are refused: deploy the webhook routes
 * and the cron route on the Node.js runtime (Vercel's default).
 */
import type { Resolver } from './url-guard.js';

export interface SystemResolverOptions {
  /** Longest a lookup may take, in ms. @default 5_000 */
  timeoutMs?: number;
}

interface LookupAddress {
  address: string;
}

type Lookup = (hostname: string, options: { all: true; verbatim: boolean }) => Promise<LookupAddress[]>;

let lookupPromise: Promise<Lookup | null> | null = null;

function loadLookup(): Promise<Lookup | null> {
  lookupPromise ??= import('node:dns').then(
    (dns) => dns.promises.lookup as unknown as Lookup,
    () => null,
  );
  return lookupPromise;
}

/** Resolves with `node:dns`; rejects with `code` `ENORESOLVER` where there is none, `ETIMEOUT` after the timeout. */
export function systemResolver(options: SystemResolverOptions = {}): Resolver {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return async (hostname) => {
    const lookup = await loadLookup();
    if (!lookup) throw Object.assign(new Error('no DNS resolver on this runtime'), { code: 'ENORESOLVER' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`DNS lookup of ${hostname} timed out`), { code: 'ETIMEOUT' })), timeoutMs);
    });
    try {
      const answers = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
      return answers.map((a) => a.address);
    } finally {
      clearTimeout(timer);
    }
  };
}
