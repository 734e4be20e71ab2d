/**
 * How a signed delivery travels: one HTTP POST, as an interface so the
 * deliverer is tested with a scripted transport and runs on the Node one
 * (node-transport.ts) in production.
 */

export interface DeliveryRequest {
  /** A URL the SSRF guard accepted. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Longest the whole exchange (connect, send, status, body) may take, in ms. */
  timeoutMs: number;
  /** Bytes of the response body kept for the delivery log; the rest is discarded unread. */
  maxResponseBytes: number;
}

/** What came of one attempt. Redirects are never followed: a 3xx is a response like any other (a failure). */
export type DeliveryResult =
  | {
      kind: 'response';
      status: number;
      /** The start of the body, at most `maxResponseBytes`, as UTF-8. */
      body: string;
      /** The `Retry-After` header, if any. */
      retryAfter: string | null;
    }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string }
  /** The connection would have used an address the SSRF guard refuses. */
  | { kind: 'blocked'; message: string };

export interface WebhookTransport {
  /** Sends one request. Never rejects: every failure is a result. */
  send(request: DeliveryRequest): Promise<DeliveryResult>;
}
