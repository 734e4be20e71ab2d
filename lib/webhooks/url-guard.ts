/**
 * The SSRF guard: which URLs a webhook may be sent to. OWASP's SSRF
 * prevention advice and the Standard Webhooks spec ("Server side request
 * forgery") both come down to: never let a tenant's URL reach the provider's
 * own network. So a webhook URL must be
 *
 * - `https:` (in local mode `http:` too, for loopback receivers only);
 * - without credentials (`user:pass@`), at most 2,048 characters;
 * - a public host: an IP literal in a public range, or a DNS name that is not
 *   single-label or special-use (`localhost`, `.local`, `.internal`,
 *   `.home.arpa`, `.arpa`), **every** address of which is public
 *   (address.ts). One private address among public ones refuses the URL:
 *   the connection could use any of them.
 *
 * The check runs when an endpoint is created and again before every
 * delivery (DNS answers change: rebinding), and the Node transport checks
 * the addresses it actually connects to (node-transport.ts), so a name that
 * resolves differently between the check and the connection is still refused.
 *
 * Local mode (`services.local`, the local server) additionally allows
 * loopback addresses and `localhost`, so tests and `npm run dev` can deliver
 * to `http://127.0.0.1:<port>`; private, link-local and metadata addresses
 * stay refused there too.
 */
import { classifyAddress, deliverable, type AddressInfo } from './address.js';

/** Every address `hostname` resolves to (A and AAAA). Rejects when it cannot be resolved. */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface UrlGuardOptions {
  /** Resolves host names. @default none: names are refused (the Edge runtime has no DNS API) */
  resolve?: Resolver;
  /** Local mode: loopback addresses, `localhost` and `http:` to them are allowed. @default false */
  allowLoopback?: boolean;
}

/** Why a URL is refused. */
export type UrlRefusal = 'invalid_url' | 'scheme' | 'credentials' | 'host' | 'address' | 'unresolvable';

export type UrlVerdict =
  | { ok: true; /** The URL as Iris stores and calls it (normalised, no fragment). */ url: string; addresses: AddressInfo[] }
  | { ok: false; reason: UrlRefusal; message: string };

export interface UrlGuard {
  /** Checks a URL, resolving its host name. Never rejects. */
  check(url: string): Promise<UrlVerdict>;
  /** The verdict on one address a connection is about to use; null when it may be used. */
  refuseAddress(address: string): string | null;
}

export const MAX_URL_LENGTH = 2048;

/** Names that never reach the public internet (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal). */
const SPECIAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.arpa'];

const refuse = (reason: UrlRefusal, message: string): UrlVerdict => ({ ok: false, reason, message });

function describe(info: AddressInfo): string {
  const what: Record<AddressInfo['class'], string> = {
    public: 'public',
    loopback: 'loopback',
    private: 'private',
    cgnat: 'shared (CGNAT)',
    link_local: 'link-local',
    metadata: 'a cloud metadata service',
    unspecified: 'unspecified',
    multicast: 'multicast',
    ipv4_mapped: 'IPv4-mapped IPv6',
    reserved: 'reserved for special use',
  };
  return `${info.address} is ${what[info.class]} (${info.range})`;
}

export function createUrlGuard(options: UrlGuardOptions = {}): UrlGuard {
  const allowLoopback = options.allowLoopback ?? false;

  function refuseInfo(info: AddressInfo): string | null {
    return deliverable(info, allowLoopback) ? null : `${describe(info)}: webhooks are sent only to public addresses`;
  }

  return {
    refuseAddress(address) {
      const info = classifyAddress(address);
      return info ? refuseInfo(info) : `${JSON.stringify(address.slice(0, 64))} is not an IP address`;
    },

    async check(input) {
      if (input.length > MAX_URL_LENGTH) return refuse('invalid_url', `The URL is longer than ${MAX_URL_LENGTH} characters.`);
      let url: URL;
      try {
        url = new URL(input);
      } catch {
        return refuse('invalid_url', 'The URL cannot be parsed; send an absolute https:// URL.');
      }
      if (url.protocol !== 'https:' && !(allowLoopback && url.protocol === 'http:')) {
        return refuse('scheme', allowLoopback ? 'Webhook URLs must be https:// (or http:// to a loopback address in local mode).' : 'Webhook URLs must be https://.');
      }
      if (url.username !== '' || url.password !== '') return refuse('credentials', 'Webhook URLs must not carry credentials (user:password@); authenticate deliveries by their signature.');
      url.hash = '';

      // The WHATWG URL parser has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
      const host = url.hostname.replace(/\.$/, '');
      let addresses: AddressInfo[];
      const literal = classifyAddress(host);
      if (literal) {
        addresses = [literal];
      } else {
        const local = host === 'localhost' || host.endsWith('.localhost');
        if (!(allowLoopback && local) && (!host.includes('.') || host === 'localhost' || SPECIAL_SUFFIXES.some((s) => host.endsWith(s)))) {
          return refuse('host', `${host} is not a public host name.`);
        }
        if (!options.resolve) return refuse('unresolvable', `${host} cannot be resolved here; use a public IP address.`);
        let resolved: string[];
        try {
          resolved = await options.resolve(host);
        } catch (error) {
          const code = typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : '';
          return refuse('unresolvable', `${host} could not be resolved${code}.`);
        }
        if (resolved.length === 0) return refuse('unresolvable', `${host} has no address.`);
        addresses = [];
        for (const address of resolved) {
          const info = classifyAddress(address);
          if (!info) return refuse('address', `${host} resolved to something that is not an IP address.`);
          addresses.push(info);
        }
      }
      for (const info of addresses) {
        const refusal = refuseInfo(info);
        if (refusal) return refuse('address', literal ? `${refusal}.` : `${host} resolves to ${refusal}.`);
      }
      if (url.protocol === 'http:' && !addresses.every((a) => a.class === 'loopback')) {
        return refuse('scheme', 'http:// is allowed only to loopback addresses, in local mode.');
      }
      return { ok: true, url: url.href, addresses };
    },
  };
}
