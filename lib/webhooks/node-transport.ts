/**
 * Node-only. The production transport: one POST over node:http(s) whose
 * connection may only use addresses the SSRF guard accepts. The guard is
 * applied inside the socket's own DNS lookup (`lookup` option), so the
 * address checked is the address connected to: a name that rebinds to a
 * private address between the guard's check and the connection is refused
 * (an IP literal needs no lookup and was checked by the guard already).
 *
 * No redirects are followed (node:http never does), the whole exchange has
 * one deadline, no connection is kept or pooled (`agent: false`), and only the
 * first `maxResponseBytes` of the response body are read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { DeliveryRequest, DeliveryResult, WebhookTransport } from './transport.js';

export interface NodeTransportOptions {
  /** The guard's verdict on an address the socket is about to use: null allows it, else the reason. */
  refuseAddress: (address: string) => string | null;
  /** @default node:dns lookup */
  lookup?: typeof dnsLookup;
}

class BlockedAddressError extends Error {
  readonly code = 'EIRISBLOCKED';
}

/** A `lookup` for net.connect that resolves as usual, then refuses the whole answer if any address is refused. */
function guardedLookup(options: NodeTransportOptions): LookupFunction {
  const resolve = options.lookup ?? dnsLookup;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const refusal = options.refuseAddress(address);
        if (refusal) return callback(new BlockedAddressError(`${hostname} resolves to ${refusal}`), '', 0);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

async function readStart(response: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (kept < maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - kept));
      kept += Math.min(chunk.length, maxBytes - kept);
    }
    if (kept >= maxBytes) break;
  }
  response.destroy();
  // A cut multi-byte character becomes U+FFFD rather than an exception.
  return Buffer.concat(chunks).toString('utf8');
}

export function createNodeTransport(options: NodeTransportOptions): WebhookTransport {
  const lookup = guardedLookup(options);
  return {
    send(request: DeliveryRequest): Promise<DeliveryResult> {
      return new Promise<DeliveryResult>((resolve) => {
        const url = new URL(request.url);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        let settled = false;
        let req: ClientRequest | undefined;
        const finish = (result: DeliveryResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req?.destroy();
          resolve(result);
        };
        const timer = setTimeout(() => finish({ kind: 'timeout', message: `no complete answer within ${request.timeoutMs} ms` }), request.timeoutMs);
        try {
          req = send(
            {
              protocol: url.protocol,
              hostname: url.hostname.replace(/^\[|\]$/g, ''),
              port: url.port || undefined,
              path: `${url.pathname}${url.search}`,
              method: 'POST',
              headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
              agent: false,
              lookup,
            },
            (response) => {
              const status = response.statusCode ?? 0;
              const retryAfter = response.headers['retry-after'] ?? null;
              readStart(response, request.maxResponseBytes).then(
                (body) => finish({ kind: 'response', status, body, retryAfter }),
                () => finish({ kind: 'response', status, body: '', retryAfter }),
              );
            },
          );
        } catch (error) {
          finish({ kind: 'network', message: error instanceof Error ? error.message : String(error) });
          return;
        }
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (error instanceof BlockedAddressError) finish({ kind: 'blocked', message: error.message });
          else finish({ kind: 'network', message: error.code ? `${error.code}: ${error.message}` : error.message });
        });
        req.end(request.body);
      });
    },
  };
}
