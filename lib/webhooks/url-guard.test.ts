import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIpv6 } from './address.js';
import { createUrlGuard, type Resolver } from './url-guard.js';

/** A resolver that answers from a table, as DNS would: a name with no entry does not exist. */
function table(entries: Record<string, string[]>): Resolver {
  return async (host) => {
    const found = entries[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}

const DNS = table({
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'only-v6.example.com': ['2606:4700:4700::1111'],
  'private.example.com': ['10.0.0.7'],
  'mixed.example.com': ['93.184.215.14', '192.168.1.20'],
  'metadata.example.com': ['169.254.169.254'],
  'cgnat.example.com': ['100.64.12.1'],
  'ula.example.com': ['fd12:3456:789a::1'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'loopback.example.com': ['127.0.0.1'],
  'v6-loopback.example.com': ['::1'],
  'empty.example.com': [],
  localhost: ['127.0.0.1', '::1'],
});

describe('classifyAddress', () => {
  const cases: [string, string, string][] = [
    ['93.184.215.14', 'public', '0.0.0.0/0'],
    ['8.8.8.8', 'public', '0.0.0.0/0'],
    ['0.0.0.0', 'unspecified', '0.0.0.0/8'],
    ['10.255.0.1', 'private', '10.0.0.0/8'],
    ['172.16.0.1', 'private', '172.16.0.0/12'],
    ['172.31.255.255', 'private', '172.16.0.0/12'],
    ['172.32.0.1', 'public', '0.0.0.0/0'],
    ['192.168.0.1', 'private', '192.168.0.0/16'],
    ['100.64.0.1', 'cgnat', '100.64.0.0/10'],
    ['100.127.255.255', 'cgnat', '100.64.0.0/10'],
    ['100.128.0.1', 'public', '0.0.0.0/0'],
    ['100.100.100.200', 'metadata', '100.100.100.200/32'],
    ['127.0.0.1', 'loopback', '127.0.0.0/8'],
    ['127.255.1.2', 'loopback', '127.0.0.0/8'],
    ['169.254.1.1', 'link_local', '169.254.0.0/16'],
    ['169.254.169.254', 'metadata', '169.254.169.254/32'],
    ['169.254.170.2', 'metadata', '169.254.170.2/32'],
    ['192.0.2.10', 'reserved', '192.0.2.0/24'],
    ['198.18.0.1', 'reserved', '198.18.0.0/15'],
    ['224.0.0.1', 'multicast', '224.0.0.0/4'],
    ['255.255.255.255', 'reserved', '240.0.0.0/4'],
    ['2606:4700:4700::1111', 'public', '2000::/3'],
    ['::', 'unspecified', '::/128'],
    ['::1', 'loopback', '::1/128'],
    ['[::1]', 'loopback', '::1/128'],
    ['0:0:0:0:0:0:0:1', 'loopback', '::1/128'],
    ['::ffff:127.0.0.1', 'ipv4_mapped', '::ffff:0:0/96'],
    ['::ffff:8.8.8.8', 'ipv4_mapped', '::ffff:0:0/96'],
    ['::ffff:7f00:1', 'ipv4_mapped', '::ffff:0:0/96'],
    ['::127.0.0.1', 'reserved', '::/8'],
    ['64:ff9b::8.8.8.8', 'public', '64:ff9b::/96'],
    ['64:ff9b::10.0.0.1', 'private', '64:ff9b::/96 (10.0.0.0/8)'],
    ['64:ff9b::a9fe:a9fe', 'metadata', '64:ff9b::/96 (169.254.169.254/32)'],
    ['fc00::1', 'private', 'fc00::/7'],
    ['fd12:3456:789a::1', 'private', 'fc00::/7'],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254/128'],
    ['fe80::1', 'link_local', 'fe80::/10'],
    ['febf::1', 'link_local', 'fe80::/10'],
    ['fec0::1', 'private', 'fec0::/10'],
    ['ff02::1', 'multicast', 'ff00::/8'],
    ['2001:db8::1', 'reserved', '2001:db8::/32'],
    ['2001:0:4136:e378::1', 'reserved', '2001::/23'],
    ['2002:c0a8:101::1', 'reserved', '2002::/16'],
    ['100::1', 'reserved', '100::/64'],
    ['4000::1', 'reserved', 'outside 2000::/3'],
  ];
  it.each(cases)('classifies %s as %s (%s)', (address, cls, range) => {
    expect(classifyAddress(address)).toMatchObject({ class: cls, range });
  });

  it('is null for what is not an IP literal', () => {
    for (const text of ['example.com', '127.1', '0x7f.0.0.1', '010.0.0.1', '1.2.3.4.5', '256.0.0.1', '1::2::3', '::ffff:1.2.3', 'fe80::1%eth0', '12345::', ':', '1:2:3:4:5:6:7:8:9', '']) {
      expect(classifyAddress(text), text).toBeNull();
    }
  });

  it('expands :: and an embedded IPv4 tail to the same 16 bytes as the long form', () => {
    expect(parseIpv6('::ffff:1.2.3.4')).toEqual(parseIpv6('0:0:0:0:0:ffff:102:304'));
    expect(parseIpv6('2001:db8::')).toEqual(parseIpv6('2001:db8:0:0:0:0:0:0'));
  });
});

describe('the SSRF guard outside local mode', () => {
  const guard = createUrlGuard({ resolve: DNS });

  it('accepts https URLs whose every address is public, normalised and without the fragment', async () => {
    expect(await guard.check('https://hooks.example.com/iris?x=1#frag')).toMatchObject({ ok: true, url: 'https://hooks.example.com/iris?x=1' });
    expect(await guard.check('https://only-v6.example.com:8443/h')).toMatchObject({ ok: true });
    expect(await guard.check('https://93.184.215.14/hook')).toMatchObject({ ok: true });
    expect(await guard.check('https://[2606:4700:4700::1111]/hook')).toMatchObject({ ok: true });
    expect(await guard.check('HTTPS://HOOKS.EXAMPLE.COM./x')).toMatchObject({ ok: true, url: 'https://hooks.example.com./x' });
  });

  const refused: [string, string][] = [
    ['http://hooks.example.com/x', 'scheme'],
    ['ftp://hooks.example.com/x', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://127.0.0.1:6379/_INFO', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['not a url', 'invalid_url'],
    ['/relative/path', 'invalid_url'],
    ['https://user:pass@hooks.example.com/', 'credentials'],
    ['https://127.0.0.1/', 'address'],
    ['https://127.1/', 'address'],
    ['https://2130706433/', 'address'],
    ['https://0x7f000001/', 'address'],
    ['https://0177.0.0.1/', 'address'],
    ['https://0.0.0.0/', 'address'],
    ['https://10.1.2.3/', 'address'],
    ['https://172.20.0.5/', 'address'],
    ['https://192.168.1.1/', 'address'],
    ['https://100.64.0.9/', 'address'],
    ['https://169.254.169.254/latest/meta-data/', 'address'],
    ['https://[::1]/', 'address'],
    ['https://[::]/', 'address'],
    ['https://[::ffff:127.0.0.1]/', 'address'],
    ['https://[::ffff:10.0.0.1]/', 'address'],
    ['https://[fd00:ec2::254]/', 'address'],
    ['https://[fe80::1]/', 'address'],
    ['https://[fc00::1]/', 'address'],
    ['https://private.example.com/', 'address'],
    ['https://mixed.example.com/', 'address'],
    ['https://metadata.example.com/', 'address'],
    ['https://cgnat.example.com/', 'address'],
    ['https://ula.example.com/', 'address'],
    ['https://mapped.example.com/', 'address'],
    ['https://loopback.example.com/', 'address'],
    ['https://v6-loopback.example.com/', 'address'],
    ['https://localhost/', 'host'],
    ['https://localhost./', 'host'],
    ['https://api.localhost/', 'host'],
    ['https://printer.local/', 'host'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'host'],
    ['https://router.home.arpa/', 'host'],
    ['https://1.0.0.127.in-addr.arpa/', 'host'],
    ['https://intranet/', 'host'],
    ['https://nxdomain.example.com/', 'unresolvable'],
    ['https://empty.example.com/', 'unresolvable'],
    [`https://hooks.example.com/${'x'.repeat(2048)}`, 'invalid_url'],
  ];
  it.each(refused)('refuses %s (%s)', async (url, reason) => {
    const verdict = await guard.check(url);
    expect(verdict).toMatchObject({ ok: false, reason });
    if (!verdict.ok) expect(verdict.message.length).toBeGreaterThan(10);
  });

  it('names the offending address and its range in the refusal', async () => {
    expect(await guard.check('https://mixed.example.com/')).toMatchObject({ message: expect.stringContaining('192.168.1.20 is private (192.168.0.0/16)') });
    expect(await guard.check('https://169.254.169.254/')).toMatchObject({ message: expect.stringContaining('a cloud metadata service') });
  });

  it('refuses every host name when it has no resolver (the Edge runtime), IP literals still judged', async () => {
    const edge = createUrlGuard({});
    expect(await edge.check('https://hooks.example.com/')).toMatchObject({ ok: false, reason: 'unresolvable' });
    expect(await edge.check('https://93.184.215.14/')).toMatchObject({ ok: true });
  });

  it('judges single addresses for the transport, refusing loopback', () => {
    expect(guard.refuseAddress('93.184.215.14')).toBeNull();
    expect(guard.refuseAddress('127.0.0.1')).toMatch(/loopback/);
    expect(guard.refuseAddress('not-an-ip')).toMatch(/not an IP address/);
  });
});

describe('the SSRF guard in local mode', () => {
  const guard = createUrlGuard({ resolve: DNS, allowLoopback: true });

  it('also accepts loopback receivers, over http too', async () => {
    for (const url of ['http://127.0.0.1:4000/hooks', 'http://[::1]:4000/', 'https://127.0.0.1/', 'http://localhost:4000/', 'https://loopback.example.com/']) {
      expect(await guard.check(url), url).toMatchObject({ ok: true });
    }
    expect(guard.refuseAddress('127.0.0.1')).toBeNull();
  });

  it('still refuses private, link-local and metadata addresses, and http to anything but loopback', async () => {
    for (const [url, reason] of [
      ['http://10.0.0.1/', 'address'],
      ['https://169.254.169.254/', 'address'],
      ['https://[fd00:ec2::254]/', 'address'],
      ['http://mixed.example.com/', 'address'],
      ['http://hooks.example.com/', 'scheme'],
      ['https://printer.local/', 'host'],
    ] as const) {
      expect(await guard.check(url), url).toMatchObject({ ok: false, reason });
    }
  });
});
