import { expect } from 'chai';
import { classifyAddress, describeForbidden, type ForbiddenAddress, type ForbiddenReason } from '../../../../lib/domain/addresses';

/** The reason and range an address is refused for, or 'public'. */
function verdict(address: string): string {
  const result = classifyAddress(address);
  if (!result) return 'not an IP';
  return result.public ? 'public' : `${result.reason} ${result.range}`;
}

/** The host the WHATWG URL parser (as fetch and http.request use it) makes of a URL, without IPv6 brackets. */
const hostOf = (url: string): string => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');

describe('classifyAddress', () => {
  describe('IPv4', () => {
    const forbidden: [string, ForbiddenReason, string][] = [
      ['0.0.0.0', 'unspecified', '0.0.0.0/8'],
      ['0.255.255.255', 'unspecified', '0.0.0.0/8'],
      ['10.0.0.1', 'private', '10.0.0.0/8'],
      ['10.255.255.255', 'private', '10.0.0.0/8'],
      ['100.64.0.1', 'shared', '100.64.0.0/10'],
      ['100.127.255.254', 'shared', '100.64.0.0/10'],
      ['127.0.0.1', 'loopback', '127.0.0.0/8'],
      ['127.255.255.254', 'loopback', '127.0.0.0/8'],
      ['169.254.169.254', 'link-local', '169.254.0.0/16'],
      ['169.254.170.2', 'link-local', '169.254.0.0/16'],
      ['172.16.0.1', 'private', '172.16.0.0/12'],
      ['172.31.255.255', 'private', '172.16.0.0/12'],
      ['192.0.0.8', 'reserved', '192.0.0.0/24'],
      ['192.0.2.1', 'documentation', '192.0.2.0/24'],
      ['192.88.99.1', 'reserved', '192.88.99.0/24'],
      ['192.168.1.1', 'private', '192.168.0.0/16'],
      ['198.18.0.1', 'benchmarking', '198.18.0.0/15'],
      ['198.19.255.255', 'benchmarking', '198.18.0.0/15'],
      ['198.51.100.7', 'documentation', '198.51.100.0/24'],
      ['203.0.113.9', 'documentation', '203.0.113.0/24'],
      ['224.0.0.1', 'multicast', '224.0.0.0/4'],
      ['239.255.255.250', 'multicast', '224.0.0.0/4'],
      ['240.0.0.1', 'reserved', '240.0.0.0/4'],
      ['255.255.255.254', 'reserved', '240.0.0.0/4'],
      ['255.255.255.255', 'broadcast', '255.255.255.255/32'],
    ];
    for (const [address, reason, range] of forbidden) {
      it(`refuses ${address} as ${reason} (${range})`, () => {
        expect(verdict(address)).to.equal(`${reason} ${range}`);
      });
    }

    it('accepts public addresses, including the neighbours just outside each range', () => {
      const neighbours = [
        '1.1.1.1',
        '8.8.8.8',
        '9.255.255.255',
        '11.0.0.0',
        '100.63.255.255',
        '100.128.0.0',
        '126.255.255.255',
        '128.0.0.0',
      ];
      const more = ['169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.1', '192.167.255.255', '192.169.0.0'];
      const edges = ['198.17.255.255', '198.20.0.0', '198.51.101.1', '203.0.114.1', '223.255.255.255', '52.94.76.10'];

      expect([...neighbours, ...more, ...edges].map(verdict)).to.deep.equal(new Array(21).fill('public'));
    });
  });

  describe('IPv6', () => {
    const forbidden: [string, string][] = [
      ['::', 'unspecified ::/128'],
      ['::1', 'loopback ::1/128'],
      ['0:0:0:0:0:0:0:1', 'loopback ::1/128'],
      ['fe80::1', 'link-local fe80::/10'],
      ['febf:ffff::1', 'link-local fe80::/10'],
      ['fec0::1', 'private fec0::/10'],
      ['fc00::1', 'unique-local fc00::/7'],
      ['fd00::1', 'unique-local fc00::/7'],
      ['fd12:3456:789a::1', 'unique-local fc00::/7'],
      ['ff02::1', 'multicast ff00::/8'],
      ['2001:db8::1', 'documentation 2001:db8::/32'],
      ['3fff::1', 'documentation 3fff::/20'],
      ['2001:2::1', 'benchmarking 2001:2::/48'],
      ['2001:10::1', 'reserved 2001:10::/28'],
      ['2001:20::1', 'reserved 2001:20::/28'],
      ['100::1', 'reserved 100::/64'],
      ['64:ff9b:1::a00:1', 'private 64:ff9b:1::/48'],
      ['4000::1', 'reserved outside 2000::/3'],
      ['1::', 'reserved outside 2000::/3'],
      ['::ffff:0:7f00:1', 'reserved outside 2000::/3'],
    ];
    for (const [address, expected] of forbidden) {
      it(`refuses ${address} (${expected})`, () => {
        expect(verdict(address)).to.equal(expected);
      });
    }

    it('judges a zoned address (fe80::1%eth0) without its zone, which would otherwise match no rule', () => {
      expect(verdict('fe80::1%eth0')).to.equal('link-local fe80::/10');
      expect(verdict('fd00::1%2')).to.equal('unique-local fc00::/7');
    });

    it('accepts public global unicast addresses', () => {
      const addresses = ['2606:4700:4700::1111', '2001:4860:4860::8888', '2a05:d018::1', '2001::1', '2001:db9::1', '3fff:1000::1'];

      expect(addresses.map(verdict)).to.deep.equal(new Array(6).fill('public'));
    });
  });

  describe('IPv6 forms that embed an IPv4 address', () => {
    const cases: [string, string, string][] = [
      ['::ffff:127.0.0.1', 'IPv4-mapped', 'loopback 127.0.0.0/8'],
      ['::ffff:7f00:1', 'IPv4-mapped', 'loopback 127.0.0.0/8'],
      ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped', 'link-local 169.254.0.0/16'],
      ['::ffff:10.0.0.1', 'IPv4-mapped', 'private 10.0.0.0/8'],
      ['::ffff:0.0.0.0', 'IPv4-mapped', 'unspecified 0.0.0.0/8'],
      ['::127.0.0.1', 'IPv4-compatible', 'loopback 127.0.0.0/8'],
      ['::a9fe:a9fe', 'IPv4-compatible', 'link-local 169.254.0.0/16'],
      ['64:ff9b::10.0.0.1', 'NAT64', 'private 10.0.0.0/8'],
      ['64:ff9b::a9fe:a9fe', 'NAT64', 'link-local 169.254.0.0/16'],
      ['2002:7f00:1::1', '6to4', 'loopback 127.0.0.0/8'],
      ['2002:c0a8:101::', '6to4', 'private 192.168.0.0/16'],
    ];
    for (const [address, form, expected] of cases) {
      it(`refuses ${address}: ${form}, judged by its IPv4 address (${expected})`, () => {
        const result = classifyAddress(address) as ForbiddenAddress;

        expect(`${result.reason} ${result.range}`).to.equal(expected);
        expect(result.embedded?.form).to.equal(form);
      });
    }

    it('accepts a mapped, NAT64 or 6to4 form of a public IPv4 address (DNS64 answers in IPv6-only subnets)', () => {
      expect(['::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::8.8.8.8', '2002:808:808::1'].map(verdict)).to.deep.equal(
        new Array(4).fill('public'),
      );
    });

    it('refuses an IPv4-compatible address even of a public IPv4 address: the form is deprecated and no host has one', () => {
      expect(verdict('::8.8.8.8')).to.equal('reserved ::/96');
    });
  });

  describe('what the URL parser makes of unusual encodings', () => {
    const cases: [string, string][] = [
      ['http://0x7f.1/', 'loopback 127.0.0.0/8'],
      ['http://2130706433/', 'loopback 127.0.0.0/8'],
      ['http://017700000001/', 'loopback 127.0.0.0/8'],
      ['http://127.1/', 'loopback 127.0.0.0/8'],
      ['http://%31%32%37.0.0.1/', 'loopback 127.0.0.0/8'],
      ['http://\uff11\uff12\uff17.0.0.1/', 'loopback 127.0.0.0/8'],
      ['http://0/', 'unspecified 0.0.0.0/8'],
      ['http://0xa9fea9fe/', 'link-local 169.254.0.0/16'],
      ['http://[::ffff:127.0.0.1]/', 'loopback 127.0.0.0/8'],
      ['http://[::ffff:169.254.169.254]/', 'link-local 169.254.0.0/16'],
      ['http://[0:0:0:0:0:ffff:7f00:1]/', 'loopback 127.0.0.0/8'],
      ['http://[::]/', 'unspecified ::/128'],
      ['http://[FD00::1]/', 'unique-local fc00::/7'],
    ];
    for (const [url, expected] of cases) {
      it(`catches ${url} after parsing (host ${hostOf(url)})`, () => {
        expect(verdict(hostOf(url))).to.equal(expected);
      });
    }
  });

  it('returns undefined for text that is not an IP address: host names, partial or padded addresses', () => {
    const texts = ['example.com', 'localhost', '0x7f.1', '2130706433', '127.1', '01.2.3.4', '1.2.3.4 ', '[::1]', ''];

    expect(texts.map(classifyAddress)).to.deep.equal(new Array(texts.length).fill(undefined));
  });
});

describe('describeForbidden', () => {
  const describeAddress = (address: string) => describeForbidden(classifyAddress(address) as ForbiddenAddress);

  it('names the address, what it is and its range', () => {
    expect(describeAddress('169.254.169.254')).to.equal('169.254.169.254 is a link-local address (169.254.0.0/16)');
    expect(describeAddress('fd00::1')).to.equal('fd00::1 is a unique-local address (fc00::/7)');
  });

  it('names the embedded IPv4 address and the form that carries it', () => {
    expect(describeAddress('::ffff:7f00:1')).to.equal('::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped), a loopback address (127.0.0.0/8)');
    expect(describeAddress('64:ff9b::a00:1')).to.equal('64:ff9b::a00:1 embeds 10.0.0.1 (NAT64), a private address (10.0.0.0/8)');
  });
});
