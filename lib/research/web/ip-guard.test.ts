import { describe, expect, it } from "vitest";
import { classifyHost, isBlockedAddress, parseIPv4, parseIPv6 } from "./ip-guard";

describe("isBlockedAddress", () => {
  it.each([
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "[::1]",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1%eth0",
    "ff02::1",
  ])("refuses %s", (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "93.184.216.34",
    "100.128.0.1",
    "172.32.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("allows the public address %s", (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it("refuses what is not an address at all", () => {
    expect(isBlockedAddress("example.com")).toBe(true);
  });
});

describe("parsing", () => {
  it("reads IPv4 the way inet_aton does", () => {
    expect(parseIPv4("127.1")).toBe(0x7f000001);
    expect(parseIPv4("0x7f.0.0.1")).toBe(0x7f000001);
    expect(parseIPv4("1.2.3.256")).toBeUndefined();
    expect(parseIPv4("1.2.3.4.5")).toBeUndefined();
    expect(parseIPv4("example")).toBeUndefined();
  });

  it("reads IPv6 with compression and IPv4 tails", () => {
    expect(parseIPv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]);
    expect(parseIPv6("1::2")).toEqual([0, 1, ...new Array(12).fill(0), 0, 2]);
    expect(parseIPv6("1:2:3:4:5:6:1.2.3.4")?.slice(12)).toEqual([1, 2, 3, 4]);
  });

  it("classifies host names and literals", () => {
    expect(classifyHost("0x7f.1")).toEqual({ kind: "ipv4", address: "127.0.0.1" });
    expect(classifyHost("[::1]")).toEqual({ kind: "ipv6", address: "::1" });
    expect(classifyHost("example.org")).toEqual({ kind: "name" });
  });
});
