import { describe, expect, it } from "vitest";
import { runBootstrap } from "../helpers/runner-boot.js";

// What the Ubuntu bootstrap does beyond the contract it shares with Amazon Linux (runner-bootstrap.test.ts
// runs that contract against both): apt instead of dnf, the CloudWatch agent from AWS's regional bucket,
// the AWS CLI when Canonical's image has none, and the runner's own dependency script.

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

  it("installs the AWS CLI from AWS's installer when the AMI has none, before its first AWS call, and calls no GitHub host", () => {
    const { status, calls } = runBootstrap({ ...ubuntu, runnerPreinstalled: false, awsCli: false });
    expect(status).toBe(0);
    const download = calls.findIndex((c) => c.startsWith("curl") && c.includes("https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip"));
    const installer = calls.findIndex((c) => c.startsWith("aws-cli-install"));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(calls[installer]).toBe("aws-cli-install --update");
    expect(installer).toBeLessThan(calls.findIndex((c) => c.startsWith("aws ")));
    expect(calls.filter((c) => /github/i.test(c) && !c.startsWith("run.sh"))).toEqual([]);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("keeps the AMI's AWS CLI: nothing downloaded", () => {
    const { status, calls } = runBootstrap({ ...ubuntu, runnerPreinstalled: true });
    expect(status).toBe(0);
    expect(calls.some((c) => c.includes("awscli"))).toBe(false);
  });

  it("fails when the AWS CLI cannot be installed: marks the registration failed, starts no runner, consumes no configuration, shuts down", () => {
    const { status, calls, marks, output } = runBootstrap({ ...ubuntu, runnerPreinstalled: true, awsCli: false, cliDownload: false });
    expect(status).toBe(1);
    expect(output).toContain("the AWS CLI could not be installed");
    expect(marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "AWS CLI not installed", instance_id: "i-0abc1234567890def" }]);
    expect(calls.some((c) => c.startsWith("run.sh") || c.startsWith("aws "))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("runs the runner's dependency script after installing a runner from the bucket, and not for a baked one", () => {
    const downloaded = runBootstrap({ ...ubuntu, runnerPreinstalled: false });
    expect(downloaded.calls.indexOf("installdependencies.sh")).toBeGreaterThan(downloaded.calls.findIndex((c) => c.startsWith("aws s3 cp") && c.includes(".tar.gz")));
    expect(runBootstrap({ ...ubuntu, runnerPreinstalled: true }).calls).not.toContain("installdependencies.sh");
  });
});
