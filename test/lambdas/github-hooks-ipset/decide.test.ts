import { describe, expect, it } from "vitest";
import { MAX_IP_SET_ADDRESSES, desiredRanges, diffAddresses, parseRange } from "../../../lambdas/github-hooks-ipset/decide.js";

describe("parseRange", () => {
  it.each([
    ["192.30.252.0/22", { version: "IPV4", cidr: "192.30.252.0/22" }],
    ["192.0.2.1", { version: "IPV4", cidr: "192.0.2.1/32" }],
    ["192.30.253.17/22", { version: "IPV4", cidr: "192.30.252.0/22" }],
    [" 140.82.112.0/20 ", { version: "IPV4", cidr: "140.82.112.0/20" }],
    ["2a0a:a440::/29", { version: "IPV6", cidr: "2a0a:a440::/29" }],
    ["2606:50C0:0000:0000:0000:0000:0000:0000/32", { version: "IPV6", cidr: "2606:50c0::/32" }],
    ["2001:db8::1", { version: "IPV6", cidr: "2001:db8::1/128" }],
    ["2001:db8:0:0:1:0:0:1/128", { version: "IPV6", cidr: "2001:db8::1:0:0:1/128" }],
    ["2001:db8:ffff::/33", { version: "IPV6", cidr: "2001:db8:8000::/33" }],
    ["::1", { version: "IPV6", cidr: "::1/128" }],
  ] as const)("reads %s as %o", (entry, range) => {
    expect(parseRange(entry)).toEqual(range);
  });

  it.each([
    ["an empty string", ""],
    ["a host name", "hooks.github.com"],
    ["an octet over 255", "192.30.256.0/22"],
    ["three octets", "192.30.252/22"],
    ["a leading zero (octal in some parsers)", "192.030.252.0/22"],
    ["/0, which WAF refuses and which would match everybody", "0.0.0.0/0"],
    ["an IPv4 prefix over 32", "192.30.252.0/33"],
    ["an IPv6 prefix over 128", "2a0a:a440::/129"],
    ["two ::", "2a0a::a440::/29"],
    ["a group of five digits", "2a0a:a4400::/29"],
    ["nine groups", "1:2:3:4:5:6:7:8:9/128"],
    ["a :: that stands for nothing", "1:2:3:4::5:6:7:8/128"],
    ["embedded IPv4", "::ffff:192.0.2.1/128"],
    ["a prefix with a leading zero", "192.30.252.0/022"],
  ])("fails when the entry is %s", (_what, entry) => {
    expect(parseRange(entry)).toBeUndefined();
  });
});

describe("desiredRanges", () => {
  it("splits GitHub's hooks list into sorted, de-duplicated IPv4 and IPv6 ranges", () => {
    const hooks = ["192.30.252.0/22", "185.199.108.0/22", "2a0a:a440::/29", "140.82.112.0/20", "2606:50c0::/32", "185.199.108.0/22"];
    expect(desiredRanges(hooks)).toEqual({
      kind: "ranges",
      ipv4: ["140.82.112.0/20", "185.199.108.0/22", "192.30.252.0/22"],
      ipv6: ["2606:50c0::/32", "2a0a:a440::/29"],
    });
  });

  it("accepts a list with IPv4 ranges only (GitHub Enterprise Server), leaving IPv6 empty", () => {
    expect(desiredRanges(["203.0.113.10"])).toEqual({ kind: "ranges", ipv4: ["203.0.113.10/32"], ipv6: [] });
  });

  it("fails when the list is empty: refuses rather than lock GitHub out", () => {
    expect(desiredRanges([])).toEqual({ kind: "refuse", reason: "the hooks list is empty", invalid: [] });
  });

  it("fails when there is no hooks list at all", () => {
    expect(desiredRanges(undefined)).toMatchObject({ kind: "refuse", reason: "the answer has no hooks list" });
    expect(desiredRanges("192.30.252.0/22")).toMatchObject({ kind: "refuse" });
  });

  it("fails when any entry is not a range, naming every bad entry and writing none", () => {
    expect(desiredRanges(["192.30.252.0/22", "not-an-ip", 42, "0.0.0.0/0"])).toEqual({
      kind: "refuse",
      reason: "3 entries are not IP address ranges",
      invalid: ["not-an-ip", "42", "0.0.0.0/0"],
    });
  });

  it("fails when one family has more ranges than an IP set holds", () => {
    const hooks = Array.from({ length: MAX_IP_SET_ADDRESSES + 1 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
    expect(desiredRanges(hooks)).toMatchObject({ kind: "refuse", reason: `${MAX_IP_SET_ADDRESSES + 1} IPV4 ranges exceed the IP set limit of ${MAX_IP_SET_ADDRESSES}` });
  });
});

describe("diffAddresses", () => {
  it("finds no change when the set holds the same ranges in another order or spelling", () => {
    expect(diffAddresses(["2A0A:A440:0::/29", "192.30.252.0/22"], ["192.30.252.0/22", "2a0a:a440::/29"])).toEqual({ kind: "no change" });
  });

  it("finds no change for an empty set that should stay empty", () => {
    expect(diffAddresses([], [])).toEqual({ kind: "no change" });
  });

  it("lists what is added and removed, and the whole new content", () => {
    expect(diffAddresses(["192.30.252.0/22", "198.51.100.0/24"], ["192.30.252.0/22", "140.82.112.0/20"])).toEqual({
      kind: "update",
      addresses: ["140.82.112.0/20", "192.30.252.0/22"],
      added: ["140.82.112.0/20"],
      removed: ["198.51.100.0/24"],
    });
  });

  it("fills an empty set (the first run after terraform apply)", () => {
    expect(diffAddresses([], ["192.30.252.0/22"])).toEqual({ kind: "update", addresses: ["192.30.252.0/22"], added: ["192.30.252.0/22"], removed: [] });
  });
});
