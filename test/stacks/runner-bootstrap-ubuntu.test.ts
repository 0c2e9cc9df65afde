import { describe, expect, it } from "vitest";
import { BOOT_OPTIONS, runBootstrap } from "../helpers/runner-boot.js";

// What the Ubuntu bootstrap does beyond the contract it shares with Amazon Linux (runner-bootstrap.test.ts
// runs that contract against both): apt instead of dnf, the CloudWatch agent from AWS's regional bucket,
// the AWS CLI from the kit's bucket when Canonical's image has none, and the runner's own dependency script.

const ubuntu = { host: "ubuntu-24.04", jitAfterPolls: 1 } as const;

describe("runner bootstrap on Ubuntu", () => {
  it("installs jq, then docker with apt (never dnf) and the agent's .deb from AWS's regional bucket, before the runner starts", () => {
    const { status, calls } = runBootstrap({ ...ubuntu, runnerPreinstalled: true });
    expect(status).toBe(0);
    expect(calls.some((c) => c.startsWith("dnf"))).toBe(false);
    // jq (and unzip, for the AWS CLI) first: reading the pool's customization document needs them.
    const install = calls.findIndex((c) => c.startsWith("apt-get") && c.includes("install jq unzip"));
    expect(calls.findIndex((c) => c.startsWith("apt-get") && c.endsWith(" update"))).toBeLessThan(install);
    expect(calls[install]).toContain("-o DPkg::Lock::Timeout=300");
    const docker = calls.findIndex((c) => c.startsWith("apt-get") && c.includes("install docker.io"));
    expect(docker).toBeGreaterThan(install);
    const deb = calls.findIndex((c) => c.startsWith("curl") && c.includes("https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb"));
    expect(deb).toBeGreaterThan(install);
    expect(calls[deb + 1]).toMatch(/^dpkg -i -E .*\.deb$/);
    expect(Math.max(deb, docker)).toBeLessThan(calls.findIndex((c) => c.startsWith("run.sh")));
  });

  it("installs the AWS CLI the syncer copied into the bucket when the AMI has none: a signed GET with the role's credentials, checked against its SHA-256, before its first aws call, with no internet download", () => {
    const { status, calls } = runBootstrap({ ...ubuntu, runnerPreinstalled: false, awsCli: false });
    expect(status).toBe(0);
    const endpoint = `https://${BOOT_OPTIONS.binariesBucket}.s3.eu-west-1.amazonaws.com eu-west-1`;
    const manifest = calls.indexOf(`s3-get ${endpoint} runner/resolved-version.json`);
    const archive = calls.findIndex((c) => c.startsWith(`s3-get ${endpoint} runner/awscli/`) && c.endsWith("/awscli-exe-linux-x86_64.zip"));
    const installer = calls.indexOf("aws-cli-install --update");
    expect(manifest).toBeGreaterThanOrEqual(0);
    expect(archive).toBeGreaterThan(manifest);
    expect(installer).toBeGreaterThan(archive);
    expect(installer).toBeLessThan(calls.findIndex((c) => c.startsWith("aws ")));
    expect(calls.some((c) => c.includes("awscli.amazonaws.com"))).toBe(false);
    expect(calls.filter((c) => /github/i.test(c) && !c.startsWith("run.sh"))).toEqual([]);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("keeps the AMI's AWS CLI: nothing downloaded", () => {
    const { status, calls } = runBootstrap({ ...ubuntu, runnerPreinstalled: true });
    expect(status).toBe(0);
    expect(calls.some((c) => c.includes("awscli") || c.startsWith("s3-get"))).toBe(false);
  });

  it("fails when the bucket's AWS CLI does not match its SHA-256: marks why, installs nothing, starts no runner, shuts down", () => {
    const { status, calls, marks, output } = runBootstrap({ ...ubuntu, runnerPreinstalled: true, awsCli: false, cliAnnouncedSha256: "0".repeat(64), awsCliInternetFallback: true });
    expect(status).toBe(1);
    expect(output).toContain("the AWS CLI from the bucket does not match its SHA-256");
    expect(marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "AWS CLI checksum mismatch", instance_id: "i-0abc1234567890def" }]);
    // A tampered copy is not replaced by the internet download, even when the fallback is on.
    expect(calls.some((c) => c.startsWith("aws-cli-install") || c.includes("awscli.amazonaws.com") || c.startsWith("run.sh") || c.startsWith("aws "))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("without a copy in the bucket and without aws_cli_internet_fallback, fails rather than reach the internet", () => {
    const { status, calls, marks } = runBootstrap({ ...ubuntu, runnerPreinstalled: true, awsCli: false, cliInBucket: false });
    expect(status).toBe(1);
    expect(marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "AWS CLI not installed", instance_id: "i-0abc1234567890def" }]);
    expect(calls.some((c) => c.includes("awscli.amazonaws.com") || c.startsWith("run.sh") || c.startsWith("aws "))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("with aws_cli_internet_fallback, downloads AWS's installer when the bucket has no copy, and fails when that download fails too", () => {
    const fallback = runBootstrap({ ...ubuntu, runnerPreinstalled: true, awsCli: false, cliInBucket: false, awsCliInternetFallback: true });
    expect(fallback.status).toBe(0);
    const download = fallback.calls.findIndex((c) => c.startsWith("curl") && c.includes("https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip"));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(fallback.calls.indexOf("aws-cli-install --update")).toBeGreaterThan(download);

    const unreachable = runBootstrap({ ...ubuntu, runnerPreinstalled: true, awsCli: false, cliInBucket: false, awsCliInternetFallback: true, cliDownload: false });
    expect(unreachable.status).toBe(1);
    expect(unreachable.output).toContain("AWS CLI not installed");
    expect(unreachable.marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "AWS CLI not installed", instance_id: "i-0abc1234567890def" }]);
    expect(unreachable.calls.some((c) => c.startsWith("run.sh") || c.startsWith("aws "))).toBe(false);
  });

  it("runs the runner's dependency script after installing a runner from the bucket, and not for a baked one", () => {
    const downloaded = runBootstrap({ ...ubuntu, runnerPreinstalled: false });
    expect(downloaded.calls.indexOf("installdependencies.sh")).toBeGreaterThan(downloaded.calls.findIndex((c) => c.startsWith("aws s3 cp") && c.includes(".tar.gz")));
    expect(runBootstrap({ ...ubuntu, runnerPreinstalled: true }).calls).not.toContain("installdependencies.sh");
  });
});
