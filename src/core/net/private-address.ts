import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses an untrusted URL may not reach unless ALLOW_PRIVATE_URLS=true: everything that
 * is not ordinary public unicast. Ranges from the IANA special-purpose registries (RFC 6890 and
 * successors). Pure: no DNS, no I/O, so it can be checked on the address a socket is about to use.
 */

type Range4 = readonly [base: number, prefix: number];

const V4_BLOCKED: readonly Range4[] = [
  [ip4('0.0.0.0'), 8], // "this network", includes the unspecified address
  [ip4('10.0.0.0'), 8], // private
  [ip4('100.64.0.0'), 10], // carrier-grade NAT
  [ip4('127.0.0.0'), 8], // loopback
  [ip4('169.254.0.0'), 16], // link-local, where cloud metadata services live
  [ip4('172.16.0.0'), 12], // private
  [ip4('192.0.0.0'), 24], // IETF protocol assignments
  [ip4('192.0.2.0'), 24], // documentation
  [ip4('192.88.99.0'), 24], // 6to4 relay anycast (deprecated)
  [ip4('192.168.0.0'), 16], // private
  [ip4('198.18.0.0'), 15], // benchmarking
  [ip4('198.51.100.0'), 24], // documentation
  [ip4('203.0.113.0'), 24], // documentation
  [ip4('224.0.0.0'), 4], // multicast
  [ip4('240.0.0.0'), 4], // reserved, includes the broadcast address
];

function ip4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function inRange4(ip: number, [base, prefix]: Range4): boolean {
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0);
}

function isBlocked4(ip: number): boolean {
  return V4_BLOCKED.some((r) => inRange4(ip, r));
}

/** Eight 16-bit groups; accepts "::", an embedded dotted quad tail, and a %zone suffix. */
function parse6(text: string): number[] | null {
  const zoneless = text.split('%')[0]!;
  let head = zoneless;
  const tail: number[] = [];
  const lastColon = zoneless.lastIndexOf(':');
  const maybeV4 = zoneless.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    if (!isIPv4(maybeV4)) return null;
    const n = ip4(maybeV4);
    tail.push(n >>> 16, n & 0xffff);
    head = zoneless.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "1::1.2.3.4" leaves "1::"; "1:2:3:4:5:6:1.2.3.4" leaves a trailing ":".
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = toGroups(halves[0]!);
  const right = halves.length === 2 ? toGroups(halves[1]!) : [];
  const explicit = left.length + right.length + tail.length;
  if (halves.length === 1 && explicit !== 8) return null;
  const zeros = halves.length === 2 ? 8 - explicit : 0;
  if (zeros < 0) return null;
  const groups = [...left, ...new Array<number>(zeros).fill(0), ...right, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const embedded4 = (g: number[], at: number) => ((g[at]! << 16) >>> 0) + g[at + 1]!;

function isBlocked6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5] = g as [number, number, number, number, number, number];
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated): the IPv4 rules decide.
  if (upperZero && g4 === 0 && g5 === 0xffff) return isBlocked4(embedded4(g, 6));
  if (upperZero && g4 === 0xffff && g5 === 0) return isBlocked4(embedded4(g, 6));
  // ::/96: unspecified, loopback and the deprecated IPv4-compatible form. None is a public web server.
  if (upperZero && g4 === 0 && g5 === 0) return true;
  // 64:ff9b::/96 is NAT64: a gateway would forward to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isBlocked4(embedded4(g, 6));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  if (g0 === 0x2001 && g1 < 0x200) return true; // IETF assignments, includes Teredo tunnels
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if (g0 === 0x2002) return isBlocked4(embedded4(g, 1)); // 6to4 carries an IPv4 address
  if (g0 === 0x3fff && g1 < 0x1000) return true; // documentation (RFC 9637)
  if (g0 === 0x5f00) return true; // SRv6 segment identifiers
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/**
 * True when `ip` is not a public unicast address: private, loopback, link-local, CGNAT, multicast,
 * unspecified, reserved or documentation ranges, and IPv6 forms that embed such an IPv4 address.
 * Anything that is not a valid IP literal is also "private": callers fail closed.
 */
export function isPrivateAddress(ip: string): boolean {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (isIPv4(text)) return isBlocked4(ip4(text));
  if (isIPv6(text)) {
    const groups = parse6(text);
    return groups === null ? true : isBlocked6(groups);
  }
  return true;
}
