import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliWorld } from "./cli-world.js";
import { facts, heldAtLimit, instance, launched, launching, received, running } from "./fixtures.js";

// `jobs` and `drain` against dynalite and the loopback SSM parameter store; usage errors exit 2
// before any AWS call.

const world = await new CliWorld().start(["linux"]);

beforeAll(async () => {
  await received(world, facts(101, "linux"), 3);
  await heldAtLimit(world, facts(102, "linux"), 95);
  await launching(world, facts(103, "linux"), 1);
  await launched(world, facts(104, "linux"), 2, instance(world, "linux", "pending"), "sr-linux-104");
  await running(world, facts(105, "linux"), 20, instance(world, "linux", "running"), "sr-linux-105");
  await received(world, facts(201, "gpu"), 3);
});

afterAll(() => world.stop());

describe("self-runners jobs", () => {
  it("lists the waiting jobs (received and launching), newest first, by default", async () => {
    // Act
    const result = await world.cli("jobs", "--prefix", "sr");

    // Assert
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "JOB  ATTEMPT  PHASE      REPOSITORY    POOL     AGE  INSTANCE",
        "103        1  launching  octo-org/app  linux     1m  -",
        "201        1  received   octo-org/app  gpu       3m  -",
        "101        1  received   octo-org/app  linux     3m  -",
        "102        1  received   octo-org/app  linux  1h35m  -",
      ].join("\n"),
    });
  });

  it("lists one phase with --state, with the instance launched for each job", async () => {
    // Act
    const result = await world.cli("jobs", "--state", "launched", "--prefix", "sr");

    // Assert
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: ["JOB  ATTEMPT  PHASE     REPOSITORY    POOL   AGE  INSTANCE", "104        1  launched  octo-org/app  linux   2m  i-00000000000000001"].join("\n"),
    });
  });

  it("prints JSON with --json", async () => {
    // Act
    const result = await world.cli("jobs", "--state", "running", "--prefix", "sr", "--json");

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        jobId: 105,
        runAttempt: 1,
        phase: "running",
        repository: "octo-org/app",
        pool: "linux",
        receivedAt: "2026-12-06T11:40:00.000Z",
        ageSeconds: 1200,
        instanceId: "i-00000000000000002",
        runnerName: "sr-linux-105",
      },
    ]);
  });

  it("says so when no job is in the state", async () => {
    // Act
    const result = await world.cli("jobs", "--state", "cancelled", "--prefix", "sr");

    // Assert
    expect(result).toEqual({ code: 0, stderr: "", stdout: "no jobs in state cancelled" });
  });

  it("fails with exit code 2 on an unknown state", async () => {
    // Act
    const result = await world.cli("jobs", "--state", "stuck", "--prefix", "sr");

    // Assert
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: 'self-runners: --state must be one of received, launching, launched, running, completed, failed, cancelled, waiting; got "stuck"\nRun `self-runners --help` for usage.',
    });
  });
});

describe("self-runners drain", () => {
  it("turns draining on, then off, writing the switch scale-up reads", async () => {
    // Act
    const on = await world.cli("drain", "on", "--prefix", "sr");
    const valueWhileOn = world.parameters.get("/sr/draining");
    const again = await world.cli("drain", "on", "--prefix", "sr", "--json");
    const off = await world.cli("drain", "off", "--prefix", "sr");

    // Assert
    expect(on).toEqual({ code: 0, stderr: "", stdout: "draining off -> on (/sr/draining): scale-up stops launching within a minute; jobs stay queued" });
    expect(valueWhileOn).toBe("true");
    expect(JSON.parse(again.stdout)).toEqual({ parameter: "/sr/draining", before: true, after: true });
    expect(off).toEqual({ code: 0, stderr: "", stdout: "draining on -> off (/sr/draining): scale-up resumes launching the queued jobs within a minute" });
    expect(world.parameters.get("/sr/draining")).toBe("false");
    expect(world.aws.inputsOf("AmazonSSM.PutParameter")).toEqual([
      { Name: "/sr/draining", Value: "true", Overwrite: true },
      { Name: "/sr/draining", Value: "false", Overwrite: true },
    ]);
  });

  it("fails with exit code 1 when the switch does not exist", async () => {
    // Act
    const result = await world.cli("drain", "on", "--prefix", "nope");

    // Assert
    expect(result).toEqual({ code: 1, stdout: "", stderr: "self-runners: the draining switch /nope/draining does not exist: is the deployment (prefix, region) right?" });
  });
});

describe("usage errors (exit code 2, no AWS call)", () => {
  it.each([
    [["drain", "maybe", "--prefix", "sr"], 'drain takes on or off, got "maybe"'],
    [["status"], "give the deployment with exactly one of --outputs <file> or --prefix <prefix>"],
    [["status", "--prefix", "sr", "--outputs", "o.json"], "give the deployment with exactly one of --outputs <file> or --prefix <prefix>"],
    [["status", "--prefix", "Bad_Prefix"], '--prefix must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; got "Bad_Prefix"'],
    [["launch", "--prefix", "sr"], 'unknown command "launch"'],
    [["constructor", "--prefix", "sr"], 'unknown command "constructor"'],
    [["dlq", "purge", "--prefix", "sr"], 'unknown dlq command "purge" (expected: dlq replay)'],
    [["dlq", "replay", "--prefix", "sr"], "dlq replay needs --pool <pool>"],
    [["status", "--state", "waiting", "--prefix", "sr"], "--state does not apply to status"],
    [["status", "--verbose", "--prefix", "sr"], "unknown option --verbose"],
  ])("%j", async (argv, message) => {
    // Arrange
    const calls = world.aws.calls.length;

    // Act
    const result = await world.cli(...argv);

    // Assert
    expect(result).toEqual({ code: 2, stdout: "", stderr: `self-runners: ${message}\nRun \`self-runners --help\` for usage.` });
    expect(world.aws.calls.length).toBe(calls);
  });

  it("prints the usage on stdout with --help and exits 0", async () => {
    // Act
    const result = await world.cli("--help");

    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("Usage: self-runners <command> [options]");
  });
});
