import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NAT_PER_BOOT_SCRIPT, renderNatBootstrap } from "../../stacks/nat-bootstrap.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// Runs the NAT instance's user data under bash with every command that touches the machine or AWS
// (curl to IMDS, ip, sysctl, nft, iptables, dnf, aws) replaced by stubs that log their arguments.
// PATH holds only the stubs and a few harmless tools, so the host's firewall is never touched.

const OPTIONS = { routeTableIds: "rtb-0aaaaaaaaaaaaaaa1 rtb-0aaaaaaaaaaaaaaa2 rtb-0aaaaaaaaaaaaaaa3", region: "eu-west-1" };
const TOOLS = ["bash", "cat", "mkdir", "dirname", "cp", "chmod", "paste", "awk", "tee", "tr"];

interface Run {
  readonly status: number | null;
  readonly calls: string[];
  readonly output: string;
  readonly root: string;
}

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "$CALLS"\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function runBootstrap(options: { nft: boolean; routeStates: Record<string, string>; sourceDestCheckFails?: boolean }): Run {
  const dir = scratchDir("nat-bootstrap");
  const bin = join(dir, "bin");
  const root = join(dir, "root");
  for (const d of [bin, join(root, "var", "log"), join(root, "etc", "sysctl.d")]) mkdirSync(d, { recursive: true });
  for (const tool of TOOLS) {
    const real = ["/usr/bin", "/bin"].map((p) => join(p, tool)).find((p) => existsSync(p));
    if (real) symlinkSync(real, join(bin, tool));
  }
  const calls = join(dir, "calls.log");
  writeFileSync(calls, "");

  stub(bin, "curl", `case "$*" in
  *api/token*) echo TOKEN ;;
  *meta-data/instance-id*) echo i-0abc1234567890def ;;
  *meta-data/mac*) echo 0a:1b:2c:3d:4e:5f ;;
  *interface-id*) echo eni-0abc1234567890def ;;
  *vpc-ipv4-cidr-blocks*) printf '10.0.0.0/16\\n100.64.0.0/16' ;;
  *) exit 22 ;;
esac`);
  stub(bin, "ip", "echo 'default via 10.0.0.1 dev ens5 proto dhcp src 10.0.0.10 metric 512'");
  stub(bin, "logger", "cat > /dev/null");
  for (const name of ["sysctl", "iptables"]) stub(bin, name, name === "iptables" ? '[ "$3" = -C ] && exit 1; exit 0' : "exit 0");
  stub(bin, "dnf", "exit 1");
  if (options.nft) stub(bin, "nft", "exit 0");
  const states = Object.entries(options.routeStates).map(([rtb, state]) => `    *${rtb}*) echo ${state} ;;`).join("\n");
  stub(bin, "aws", `case "$2" in
  modify-instance-attribute) exit ${options.sourceDestCheckFails ? 1 : 0} ;;
  describe-route-tables) case "$*" in
${states}
  esac ;;
esac`);

  const script = renderNatBootstrap(OPTIONS)
    .replaceAll("/var/log/", `${root}/var/log/`)
    .replaceAll("/etc/sysctl.d/", `${root}/etc/sysctl.d/`)
    .replaceAll(NAT_PER_BOOT_SCRIPT, join(root, "per-boot", "self-runners-nat.sh"));
  writeFileSync(join(dir, "user-data.sh"), script);
  const result = spawnSync(join(bin, "bash"), [join(dir, "user-data.sh")], { env: { PATH: bin, CALLS: calls }, encoding: "utf8", timeout: 60_000 });
  const log = readFileSync(join(root, "var", "log", "self-runners-nat.log"), "utf8");
  return { status: result.status, calls: readFileSync(calls, "utf8").trim().split("\n"), output: result.stdout + result.stderr + log, root };
}

const awsCalls = (run: Run) => run.calls.filter((c) => c.startsWith("aws "));

describe("NAT instance bootstrap (user data)", () => {
  it("is valid bash", () => {
    const result = spawnSync("bash", ["-n"], { input: renderNatBootstrap(OPTIONS), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes shellcheck", () => {
    expect(shellcheck(renderNatBootstrap(OPTIONS))).toEqual({ status: 0, output: "" });
  });

  it("is the script instances received before it became a template file, byte for byte", () => {
    // Recorded from the TypeScript template literal it replaced: the move changes no instance's user data.
    const recorded = readFileSync(join(REPO_ROOT, "test", "fixtures", "boot", "nat-bootstrap.sh"), "utf8");
    expect(renderNatBootstrap({ ...OPTIONS, routeTableIds: "rtb-0aaaaaaaaaaaaaaa1 rtb-0aaaaaaaaaaaaaaa2" })).toBe(recorded);
    expect(recorded).toContain(`PER_BOOT=${NAT_PER_BOOT_SCRIPT}\n`);
  });

  it("forwards, masquerades the VPC's CIDR blocks with nftables, then switches off its source/destination check", () => {
    const run = runBootstrap({ nft: true, routeStates: { "rtb-0aaaaaaaaaaaaaaa1": "active", "rtb-0aaaaaaaaaaaaaaa2": "active", "rtb-0aaaaaaaaaaaaaaa3": "active" } });
    expect(run.status).toBe(0);
    expect(readFileSync(join(run.root, "etc", "sysctl.d", "90-self-runners-nat.conf"), "utf8")).toContain("net.ipv4.ip_forward = 1");
    const nft = run.calls.filter((c) => c.startsWith("nft "));
    expect(nft.at(-1)).toBe("nft add rule ip self_runners_nat postrouting oifname ens5 ip saddr { 10.0.0.0/16,100.64.0.0/16 } masquerade");
    const masquerade = run.calls.indexOf(nft.at(-1) as string);
    const check = run.calls.indexOf("aws ec2 modify-instance-attribute --region eu-west-1 --instance-id i-0abc1234567890def --no-source-dest-check");
    expect(check).toBeGreaterThan(masquerade);
    expect(run.calls.some((c) => c.startsWith("iptables"))).toBe(false);
    expect(existsSync(join(run.root, "per-boot", "self-runners-nat.sh"))).toBe(true);
  });

  it("creates missing default routes, replaces dead ones and leaves working ones to the failover function", () => {
    const run = runBootstrap({ nft: true, routeStates: { "rtb-0aaaaaaaaaaaaaaa1": "None", "rtb-0aaaaaaaaaaaaaaa2": "blackhole", "rtb-0aaaaaaaaaaaaaaa3": "active" } });
    expect(run.status).toBe(0);
    const writes = awsCalls(run).filter((c) => /create-route|replace-route/.test(c));
    expect(writes).toEqual([
      "aws ec2 create-route --region eu-west-1 --route-table-id rtb-0aaaaaaaaaaaaaaa1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-0abc1234567890def",
      "aws ec2 replace-route --region eu-west-1 --route-table-id rtb-0aaaaaaaaaaaaaaa2 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-0abc1234567890def",
    ]);
    expect(run.output).toContain("rtb-0aaaaaaaaaaaaaaa3: default route active, left to the failover function");
  });

  it("masquerades with iptables, once per CIDR block, where nftables is missing and cannot be installed", () => {
    const run = runBootstrap({ nft: false, routeStates: { "rtb-0aaaaaaaaaaaaaaa1": "active", "rtb-0aaaaaaaaaaaaaaa2": "active", "rtb-0aaaaaaaaaaaaaaa3": "active" } });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("dnf install -y -q nftables");
    expect(run.calls.filter((c) => c.startsWith("iptables -t nat -A"))).toEqual([
      "iptables -t nat -A POSTROUTING -o ens5 -s 10.0.0.0/16 -j MASQUERADE",
      "iptables -t nat -A POSTROUTING -o ens5 -s 100.64.0.0/16 -j MASQUERADE",
    ]);
  });

  it("fails without touching any route when the source/destination check cannot be switched off", () => {
    const run = runBootstrap({ nft: true, sourceDestCheckFails: true, routeStates: { "rtb-0aaaaaaaaaaaaaaa1": "None" } });
    expect(run.status).not.toBe(0);
    expect(awsCalls(run).some((c) => /describe-route-tables|create-route|replace-route/.test(c))).toBe(false);
  });
});
