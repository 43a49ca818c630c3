import { isIP } from "node:net";

/**
 * Which addresses a server-side fetch may connect to. Refused: loopback,
 * private (RFC 1918, unique-local), link-local (including the cloud metadata
 * addresses 169.254.169.254 and fd00:ec2::254), CGNAT 100.64/10,
 * unspecified, multicast, reserved and documentation ranges — and the same
 * addresses hidden in IPv6 (IPv4-mapped, -compatible, NAT64, 6to4, Teredo)
 * or in odd IPv4 spellings (`127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433`).
 */

const BLOCKED_V4: readonly [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

const BLOCKED_V4_RANGES = BLOCKED_V4.map(([base, bits]) => ({ base: parseIPv4(base)!, bits }));

/** Parses an IPv4 address the way `inet_aton` does (1–4 parts, decimal, octal or hex). */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length === 0 || parts.length > 4 || parts.some((part) => part === "")) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = Number.parseInt(part.slice(1), 8);
    else if (/^\d+$/.test(part)) value = Number(part);
    else return undefined;
    numbers.push(value);
  }
  const last = numbers.pop()!;
  if (numbers.some((value) => value > 255)) return undefined;
  const lastBytes = 4 - numbers.length;
  if (last >= 256 ** lastBytes) return undefined;
  let address = 0;
  for (const value of numbers) address = address * 256 + value;
  return address * 256 ** lastBytes + last;
}

/** Parses an IPv6 address (with `::`, an IPv4 tail or a `%zone`) into 16 bytes. */
export function parseIPv6(text: string): number[] | undefined {
  let value = text.replace(/^\[|\]$/g, "").split("%")[0]!;
  if (isIP(value) !== 6) return undefined;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (v4) {
    const address = parseIPv4(v4[1]!);
    if (address === undefined) return undefined;
    tail.push((address >>> 24) & 255, (address >>> 16) & 255, (address >>> 8) & 255, address & 255);
    value = value.slice(0, -v4[1]!.length);
    // "1:2:3:4:5:6:" loses its separator; "::" stays a compression.
    if (!value.endsWith("::")) value = value.slice(0, -1);
  }
  const groupsWanted = (16 - tail.length) / 2;
  const toGroups = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  let groups: number[];
  if (value.includes("::")) {
    const [head, rest] = value.split("::") as [string, string];
    const left = toGroups(head);
    const right = toGroups(rest);
    groups = [...left, ...new Array<number>(groupsWanted - left.length - right.length).fill(0), ...right];
  } else {
    groups = toGroups(value);
  }
  if (groups.length !== groupsWanted) return undefined;
  return [...groups.flatMap((group) => [(group >> 8) & 255, group & 255]), ...tail];
}

function v4Blocked(address: number): boolean {
  return BLOCKED_V4_RANGES.some(({ base, bits }) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (address & mask) >>> 0 === (base & mask) >>> 0;
  });
}

function bytesToV4(bytes: number[], offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

function v6Blocked(bytes: number[]): boolean {
  const zeroUpTo = (end: number) => bytes.slice(0, end).every((byte) => byte === 0);
  // ::, ::1, IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d.
  if (zeroUpTo(12)) return bytesToV4(bytes, 12) <= 1 || v4Blocked(bytesToV4(bytes, 12));
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4Blocked(bytesToV4(bytes, 12));
  // IPv4-translated ::ffff:0:a.b.c.d.
  if (zeroUpTo(8) && bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0) {
    return v4Blocked(bytesToV4(bytes, 12));
  }
  const [b0, b1, b2, b3] = bytes as [number, number, number, number];
  // NAT64 64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is for local use.
  if (b0 === 0 && b1 === 0x64 && b2 === 0xff && b3 === 0x9b) {
    if (bytes.slice(4, 12).every((byte) => byte === 0)) return v4Blocked(bytesToV4(bytes, 12));
    return bytes[4] === 0 && bytes[5] === 1;
  }
  if (b0 === 0x20 && b1 === 0x02) return v4Blocked(bytesToV4(bytes, 2)); // 6to4
  if (b0 === 0x20 && b1 === 0x01 && b2 === 0 && b3 === 0) return true; // Teredo (hides an IPv4 address)
  if (b0 === 0x20 && b1 === 0x01 && b2 === 0x0d && b3 === 0xb8) return true; // documentation
  if (b0 === 0x01 && b1 === 0 && bytes.slice(2, 8).every((byte) => byte === 0)) return true; // discard 100::/64
  if ((b0 & 0xfe) === 0xfc) return true; // unique local fc00::/7 (fd00:ec2::254 included)
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return true; // link-local fe80::/10
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return true; // site-local fec0::/10
  if (b0 === 0xff) return true; // multicast
  return false;
}

/** How a host name or address literal stands for the guard. */
export type HostKind =
  | { kind: "ipv4"; address: string }
  | { kind: "ipv6"; address: string }
  | { kind: "name" };

/** Recognizes IP literals, in every spelling a resolver would accept. */
export function classifyHost(host: string): HostKind {
  const bare = host.replace(/^\[|\]$/g, "");
  const v6 = parseIPv6(bare);
  if (v6 !== undefined) return { kind: "ipv6", address: bare.split("%")[0]! };
  const v4 = parseIPv4(bare);
  if (v4 !== undefined) {
    return { kind: "ipv4", address: [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join(".") };
  }
  return { kind: "name" };
}

/** True when an address (or an address literal in any spelling) must not be fetched from. */
export function isBlockedAddress(address: string): boolean {
  const host = classifyHost(address);
  if (host.kind === "ipv4") return v4Blocked(parseIPv4(host.address)!);
  if (host.kind === "ipv6") return v6Blocked(parseIPv6(host.address)!);
  // Not an address at all: refuse rather than guess.
  return true;
}
