/**
 * Which IP addresses a webhook may be sent to, as pure functions: parse an
 * IPv4 or IPv6 literal and name the special-purpose range it falls in (IANA's
 * IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890; RFC 1918
 * private, RFC 6598 shared/CGNAT, RFC 3927 and RFC 4291 link-local, RFC 4193
 * unique local, RFC 6052 NAT64, cloud metadata endpoints). Only `public`
 * addresses are deliverable outside local mode; in local mode loopback too.
 *
 * IPv6 is allow-listed: outside the global unicast block 2000::/3 everything
 * is refused, so a range this table forgets fails closed. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is refused whatever it maps to; a NAT64 address
 * (64:ff9b::a.b.c.d) is judged by the IPv4 address it embeds.
 */

/** The kind of range an address is in; everything but `public` (and `loopback` in local mode) is refused. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'ipv4_mapped'
  | 'reserved';

export interface AddressInfo {
  /** The address in the form it was given. */
  address: string;
  family: 4 | 6;
  class: AddressClass;
  /** The range it matched, e.g. `10.0.0.0/8`; `2000::/3` or `0.0.0.0/0` for a public address. */
  range: string;
}

type Range = { bytes: Uint8Array; bits: number; cidr: string; class: AddressClass | 'nat64' };

function range(cidr: string, cls: Range['class']): Range {
  const [address, bits] = cidr.split('/');
  const bytes = address!.includes(':') ? parseIpv6(address!) : parseIpv4(address!);
  if (!bytes) throw new Error(`bad range ${cidr}`);
  return { bytes, bits: Number(bits), cidr, class: cls };
}

/** Most specific first: the first match names the address. */
const V4_RANGES: Range[] = [
  // Cloud metadata services: AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba Cloud.
  range('169.254.169.254/32', 'metadata'),
  range('169.254.170.2/32', 'metadata'),
  range('100.100.100.200/32', 'metadata'),
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'cgnat'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link_local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

const V6_RANGES: Range[] = [
  // AWS's IPv6 metadata endpoint (inside fc00::/7, named for the error message).
  range('fd00:ec2::254/128', 'metadata'),
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::ffff:0:0/96', 'ipv4_mapped'),
  // Inside ::/8, so before it.
  range('64:ff9b::/96', 'nat64'),
  range('64:ff9b:1::/48', 'reserved'),
  // IPv4-compatible (deprecated) and the rest of ::/8.
  range('::/8', 'reserved'),
  range('100::/64', 'reserved'),
  range('2001:db8::/32', 'reserved'),
  // IETF protocol assignments (Teredo 2001::/32 among them).
  range('2001::/23', 'reserved'),
  // 6to4, deprecated: it would reach whatever IPv4 address it embeds.
  range('2002::/16', 'reserved'),
  range('3fff::/20', 'reserved'),
  range('fc00::/7', 'private'),
  range('fe80::/10', 'link_local'),
  range('fec0::/10', 'private'),
  range('ff00::/8', 'multicast'),
];
const GLOBAL_UNICAST = range('2000::/3', 'public');

function matches(bytes: Uint8Array, r: Range): boolean {
  let bits = r.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (r.bytes[i]! & mask)) return false;
  }
  return true;
}

/** The 4 bytes of a dotted-quad IPv4 address in canonical decimal (no leading zeros), or null. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

/** 16-bit groups of one side of `::`; a dotted IPv4 tail only where `v4Tail` allows it. */
function groups(part: string, v4Tail: boolean): number[] | null {
  if (part === '') return [];
  const out: number[] = [];
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (v4Tail && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (!v4) return null;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
      out.push(parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return out;
}

/** The 16 bytes of an IPv6 address (RFC 4291 §2.2 text forms, brackets allowed, no zone id), or null. */
export function parseIpv6(text: string): Uint8Array | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!bare.includes(':') || !/^[0-9a-fA-F:.]+$/.test(bare)) return null;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function classifyV4(address: string, bytes: Uint8Array): AddressInfo {
  const hit = V4_RANGES.find((r) => matches(bytes, r));
  return { address, family: 4, class: (hit?.class as AddressClass | undefined) ?? 'public', range: hit?.cidr ?? '0.0.0.0/0' };
}

/**
 * What an IP literal is, or null when `address` is not one (a host name).
 * @example
 * classifyAddress('10.1.2.3');        // { class: 'private', range: '10.0.0.0/8', family: 4, … }
 * classifyAddress('[::ffff:1.2.3.4]'); // { class: 'ipv4_mapped', range: '::ffff:0:0/96', family: 6, … }
 */
export function classifyAddress(address: string): AddressInfo | null {
  const v4 = parseIpv4(address);
  if (v4) return classifyV4(address, v4);
  const v6 = parseIpv6(address);
  if (!v6) return null;
  const hit = V6_RANGES.find((r) => matches(v6, r));
  if (hit?.class === 'nat64') {
    const embedded = v6.subarray(12);
    const inner = classifyV4([...embedded].join('.'), embedded);
    return { address, family: 6, class: inner.class, range: inner.class === 'public' ? hit.cidr : `${hit.cidr} (${inner.range})` };
  }
  if (hit) return { address, family: 6, class: hit.class as AddressClass, range: hit.cidr };
  return matches(v6, GLOBAL_UNICAST)
    ? { address, family: 6, class: 'public', range: GLOBAL_UNICAST.cidr }
    : { address, family: 6, class: 'reserved', range: 'outside 2000::/3' };
}

/** Whether a webhook may go to an address of this class. */
export function deliverable(info: AddressInfo, allowLoopback: boolean): boolean {
  return info.class === 'public' || (allowLoopback && info.class === 'loopback');
}
