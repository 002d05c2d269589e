import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses outbound calls (webhooks) may reach. Anything that is not a public unicast
 * address is refused: it could reach this host (loopback), the Lambda runtime API and metadata
 * services (link-local), a VPC or peered network (private, unique-local, CGNAT) or nothing
 * meaningful at all (unspecified, multicast, reserved, documentation and benchmarking ranges).
 */
export type ForbiddenReason =
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'unique-local'
  | 'unspecified'
  | 'shared'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking';

/** The IPv6 forms that carry an IPv4 address the traffic ends up at. */
export type Embedding = 'IPv4-mapped' | 'IPv4-compatible' | 'NAT64' | '6to4';

/** Why an address is refused. */
export interface ForbiddenAddress {
  public: false;
  address: string;
  reason: ForbiddenReason;
  /** The special-purpose range (CIDR) the address, or its embedded IPv4 address, lies in; or 'outside 2000::/3'. */
  range: string;
  /** Set when an IPv6 address was judged by the IPv4 address it embeds. */
  embedded?: { form: Embedding; ipv4: string };
}

export type AddressClass = { public: true; address: string } | ForbiddenAddress;

const LABELS: Record<ForbiddenReason, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  private: 'a private address',
  'unique-local': 'a unique-local address',
  unspecified: 'an unspecified ("this host") address',
  shared: 'a shared (carrier-grade NAT) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
};

interface Range {
  cidr: string;
  reason: ForbiddenReason;
  list: BlockList;
}

function range(cidr: string, reason: ForbiddenReason, family: 'ipv4' | 'ipv6'): Range {
  const [network, prefix] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), family);
  return { cidr, reason, list };
}

/** IANA's IPv4 special-purpose registry, less what is globally reachable; the first match wins. */
const IPV4_RANGES: Range[] = (
  [
    // Linux connects 0.0.0.0 to the local host.
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'shared'],
    ['127.0.0.0/8', 'loopback'],
    // The Lambda runtime API, the EC2/ECS metadata services and the Amazon DNS resolver live here.
    ['169.254.0.0/16', 'link-local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.0.2.0/24', 'documentation'],
    ['192.88.99.0/24', 'reserved'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'broadcast'],
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, reason]) => range(cidr, reason, 'ipv4'));

/**
 * IPv6 ranges judged as such. The forms that embed an IPv4 address (::ffff:0:0/96, ::/96,
 * 64:ff9b::/96, 2002::/16) are judged by that address instead, and are not listed: Node's
 * BlockList matches IPv4-mapped rules against plain IPv4 addresses too.
 */
const IPV6_RANGES: Range[] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    // RFC 8215's local-use NAT64 prefix translates into whatever the operator's network holds.
    ['64:ff9b:1::/48', 'private'],
    ['100::/64', 'reserved'],
    ['2001:2::/48', 'benchmarking'],
    ['2001:10::/28', 'reserved'],
    ['2001:20::/28', 'reserved'],
    ['2001:db8::/32', 'documentation'],
    ['3fff::/20', 'documentation'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    // Site-local, deprecated (RFC 3879) but still routed inside some networks.
    ['fec0::/10', 'private'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, reason]) => range(cidr, reason, 'ipv6'));

/** Everything outside global unicast (2000::/3) is reserved by IANA. */
const GLOBAL_UNICAST = range('2000::/3', 'reserved', 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (no zone), a trailing dotted quad included. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

const ipv4Of = (high: number, low: number): string => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/** The IPv4 address an IPv6 address delivers to, and in which form, if it embeds one. */
function embeddedIpv4(groups: number[]): { form: Embedding; ipv4: string } | undefined {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return { form: 'IPv4-mapped', ipv4: ipv4Of(groups[6], groups[7]) };
  if (zeros(0, 6)) return { form: 'IPv4-compatible', ipv4: ipv4Of(groups[6], groups[7]) };
  // RFC 6052's well-known prefix: a NAT64 gateway (DNS64 answers in IPv6-only VPC subnets) forwards to the IPv4 address.
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return { form: 'NAT64', ipv4: ipv4Of(groups[6], groups[7]) };
  // 6to4 (RFC 3056) tunnels to the IPv4 address in bits 16-47.
  if (groups[0] === 0x2002) return { form: '6to4', ipv4: ipv4Of(groups[1], groups[2]) };
  return undefined;
}

function classifyIpv4(address: string): AddressClass {
  const match = IPV4_RANGES.find((candidate) => candidate.list.check(address, 'ipv4'));
  return match ? { public: false, address, reason: match.reason, range: match.cidr } : { public: true, address };
}

function classifyIpv6(address: string): AddressClass {
  const listed = IPV6_RANGES.find((candidate) => candidate.list.check(address, 'ipv6'));
  if (listed) return { public: false, address, reason: listed.reason, range: listed.cidr };
  const embedded = embeddedIpv4(ipv6Groups(address));
  if (embedded) {
    const inner = classifyIpv4(embedded.ipv4);
    if (!inner.public) return { ...inner, address, embedded };
    // Deprecated (RFC 4291) and never a real host's address, whatever it embeds.
    if (embedded.form === 'IPv4-compatible') return { public: false, address, reason: 'reserved', range: '::/96' };
    return { public: true, address };
  }
  if (!GLOBAL_UNICAST.list.check(address, 'ipv6')) return { public: false, address, reason: 'reserved', range: 'outside 2000::/3' };
  return { public: true, address };
}

/**
 * Whether an IP address (IPv4 dotted quad or IPv6, with or without a %zone) is public, or why it
 * is forbidden; undefined when the text is not an IP address at all (a host name).
 */
export function classifyAddress(text: string): AddressClass | undefined {
  // A zone (fe80::1%eth0) makes BlockList miss every rule; the address without it is what is judged.
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return classifyIpv4(address);
  if (isIPv6(address)) return classifyIpv6(address);
  return undefined;
}

/**
 * One phrase for a forbidden address: "169.254.169.254 is a link-local address (169.254.0.0/16)",
 * "::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped), a loopback address (127.0.0.0/8)".
 */
export function describeForbidden(verdict: ForbiddenAddress): string {
  const what = `${LABELS[verdict.reason]} (${verdict.range})`;
  if (!verdict.embedded) return `${verdict.address} is ${what}`;
  return `${verdict.address} embeds ${verdict.embedded.ipv4} (${verdict.embedded.form}), ${what}`;
}
