/**
 * Pure decisions of the GitHub hooks IP set updater: which address ranges GitHub's `GET /meta`
 * `hooks` list stands for, whether that list may be written at all, and what changes in an IP set.
 * No SDK, no Octokit: tests need no doubles.
 */

export type IpVersion = "IPV4" | "IPV6";

/** One address range in the canonical form the IP sets hold: network address and prefix length. */
export interface AddressRange {
  readonly version: IpVersion;
  /** e.g. `192.30.252.0/22` or `2a0a:a440::/29` (RFC 5952 text for IPv6). */
  readonly cidr: string;
}

/** Most addresses a WAFv2 IP set holds. */
export const MAX_IP_SET_ADDRESSES = 10_000;

/**
 * Parses an address (`192.0.2.1`) or a CIDR range (`192.30.252.0/22`, `2a0a:a440::/29`). An address
 * becomes a /32 or /128; host bits below the prefix are cleared, since the range they name is the
 * network's. Undefined for anything else, and for /0, which WAF refuses and would match everybody.
 */
export function parseRange(entry: string): AddressRange | undefined {
  const match = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(entry.trim());
  if (match === null) return undefined;
  const [, address, prefixText] = match;
  const ipv4 = parseIpv4(address);
  const bytes = ipv4 ?? parseIpv6(address);
  if (bytes === undefined) return undefined;
  const bits = bytes.length * 8;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^(0|[1-9]\d*)$/.test(prefixText ?? "1") || prefix < 1 || prefix > bits) return undefined;
  const network = maskBytes(bytes, prefix);
  return ipv4 !== undefined
    ? { version: "IPV4", cidr: `${network.join(".")}/${prefix}` }
    : { version: "IPV6", cidr: `${formatIpv6(network)}/${prefix}` };
}

/** What GitHub's hooks list asks for, or why it must not be written. */
export type DesiredRanges =
  | { readonly kind: "ranges"; readonly ipv4: readonly string[]; readonly ipv6: readonly string[] }
  | { readonly kind: "refuse"; readonly reason: string; readonly invalid: readonly string[] };

/**
 * The sorted, de-duplicated IPv4 and IPv6 ranges of a `hooks` list. Refuses the whole list when it
 * is not a list, is empty, holds any entry that is not a range, or would overflow an IP set: writing
 * a partial or empty allowlist would lock GitHub out, so the sets keep their old ranges instead.
 */
export function desiredRanges(hooks: unknown): DesiredRanges {
  if (!Array.isArray(hooks)) return { kind: "refuse", reason: "the answer has no hooks list", invalid: [] };
  if (hooks.length === 0) return { kind: "refuse", reason: "the hooks list is empty", invalid: [] };
  const invalid: string[] = [];
  const ranges = { IPV4: new Set<string>(), IPV6: new Set<string>() };
  for (const entry of hooks) {
    const range = typeof entry === "string" ? parseRange(entry) : undefined;
    if (range === undefined) invalid.push(typeof entry === "string" ? entry : JSON.stringify(entry));
    else ranges[range.version].add(range.cidr);
  }
  if (invalid.length > 0) return { kind: "refuse", reason: `${invalid.length} entries are not IP address ranges`, invalid };
  for (const version of ["IPV4", "IPV6"] as const) {
    if (ranges[version].size > MAX_IP_SET_ADDRESSES) {
      return { kind: "refuse", reason: `${ranges[version].size} ${version} ranges exceed the IP set limit of ${MAX_IP_SET_ADDRESSES}`, invalid: [] };
    }
  }
  return { kind: "ranges", ipv4: [...ranges.IPV4].sort(), ipv6: [...ranges.IPV6].sort() };
}

/** What to do with one IP set. */
export type IpSetChange =
  | { readonly kind: "no change" }
  | { readonly kind: "update"; readonly addresses: readonly string[]; readonly added: readonly string[]; readonly removed: readonly string[] };

/**
 * Compares what an IP set holds with what it should hold, both read as ranges (so `192.0.2.1/32`
 * and `192.0.2.1` are the same). Entries of the set that do not parse count as removed.
 */
export function diffAddresses(current: readonly string[], desired: readonly string[]): IpSetChange {
  const canonical = (entry: string) => parseRange(entry)?.cidr ?? entry;
  const have = new Set(current.map(canonical));
  const want = new Set(desired.map(canonical));
  const added = [...want].filter((cidr) => !have.has(cidr)).sort();
  const removed = [...have].filter((cidr) => !want.has(cidr)).sort();
  if (added.length === 0 && removed.length === 0) return { kind: "no change" };
  return { kind: "update", addresses: [...want].sort(), added, removed };
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

/** 16 bytes of an IPv6 address in hexadecimal groups, with at most one `::`; embedded IPv4 is not accepted. */
function parseIpv6(text: string): number[] | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return undefined;
  return all.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, index) => {
    const keep = Math.min(8, Math.max(0, prefix - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIpv6(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
