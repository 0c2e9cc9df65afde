import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsFault } from "../helpers/loopback-aws.js";
import { CliWorld } from "./cli-world.js";
import { budget, facts, heldAtLimit, instance, launched, launching, messageOf, received, running } from "./fixtures.js";

// `status` against dynalite (ledger, runners table) and the loopback doubles (SQS FIFO, EC2, SSM):
// two pools with a job in every live phase, runners in every state, two dead letters, two budgets.

const world = await new CliWorld().start(["linux", "gpu"]);

beforeAll(async () => {
  await received(world, facts(101, "linux"), 3);
  await heldAtLimit(world, facts(102, "linux"), 9);
  await launching(world, facts(103, "linux"), 1);
  const booting = instance(world, "linux", "pending");
  await launched(world, facts(104, "linux"), 2, booting, "sr-linux-104");
  const busy = instance(world, "linux", "running");
  await running(world, facts(105, "linux"), 20, busy, "sr-linux-105");
  await world.writeRunnerItem(busy, "sr-linux-105", "linux");
  const idle = instance(world, "linux", "running");
  await world.writeRunnerItem(idle, "sr-linux-106", "linux");
  instance(world, "gpu", "stopped");
  await received(world, facts(201, "gpu"), 5);
  await world.ledger.finish(facts(106, "linux"), "completed", "success", world.now);
  for (const jobId of [301, 302]) {
    world.deadLetterQueue("linux").send({ body: JSON.stringify(messageOf(facts(jobId, "linux"), world.now)), groupId: String(jobId), deduplicationId: `${jobId}-1` }, world.clock);
  }
  await budget(world, 123456, 4200, 720);
  await budget(world, 654321, 80, -30);
  world.parameters.set("/sr/draining", "true");
});

afterAll(() => world.stop());

const TEXT = `draining: on (launches paused)

POOL   RECEIVED  LAUNCHING  LAUNCHED  RUNNING  OVER-LIMITS  DLQ  BOOTING  IDLE  BUSY  OFFLINE
gpu           1          0         0        0            0    0        0     0     0        1
linux         2          1         1        1            1    2        1     1     1        0

APP     INSTALLATION  REMAINING  LIMIT  RESETS IN  OBSERVED
123456  52103487           4200   5000        12m    1m ago
654321  52103487             80   5000      reset    1m ago`;

describe("self-runners status", () => {
  it("prints per pool the ledger's jobs, the DLQ depth and the runners by state, then draining and budgets", async () => {
    // Act
    const result = await world.cli("status", "--prefix", "sr", "--region", "eu-west-1");

    // Assert
    expect(result).toEqual({ code: 0, stderr: "", stdout: TEXT });
  });

  it("prints the same from the module's outputs file", async () => {
    // Arrange
    const file = join(tmpdir(), `sr-outputs-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(world.outputs()));

    // Act
    const result = await world.cli("status", "--outputs", file);

    // Assert
    expect(result).toEqual({ code: 0, stderr: "", stdout: TEXT });
  });

  it("prints JSON with --json", async () => {
    // Act
    const result = await world.cli("status", "--prefix", "sr", "--json");

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      draining: true,
      pools: [
        { pool: "gpu", received: 1, launching: 0, launched: 0, running: 0, waitingOverLimits: 0, deadLetters: 0, runners: { booting: 0, idle: 0, busy: 0, offline: 1 } },
        { pool: "linux", received: 2, launching: 1, launched: 1, running: 1, waitingOverLimits: 1, deadLetters: 2, runners: { booting: 1, idle: 1, busy: 1, offline: 0 } },
      ],
      budgets: [
        { appId: 123456, installationId: 52103487, remaining: 4200, limit: 5000, resetAt: 1796558400 + 720, observedAt: "2026-12-06T11:59:00.000Z", resetsInSeconds: 720, observedSecondsAgo: 60 },
        { appId: 654321, installationId: 52103487, remaining: 80, limit: 5000, resetAt: 1796558400 - 30, observedAt: "2026-12-06T11:59:00.000Z", resetsInSeconds: 0, observedSecondsAgo: 60 },
      ],
    });
  });

  it("fails with exit code 1 and the AWS error when AWS refuses a call", async () => {
    // Arrange
    world.refuse = (target) => (target === "EC2.DescribeInstances" ? new AwsFault("UnauthorizedOperation", 403, "You are not authorized to perform this operation.") : undefined);

    // Act
    const result = await world.cli("status", "--prefix", "sr").finally(() => (world.refuse = () => undefined));

    // Assert
    expect(result).toEqual({ code: 1, stdout: "", stderr: "self-runners: AWS UnauthorizedOperation (HTTP 403): You are not authorized to perform this operation." });
  });

  it("fails with exit code 1 when no queue carries the prefix", async () => {
    // Act
    const result = await world.cli("status", "--prefix", "sr2");

    // Assert
    expect(result).toEqual({ code: 1, stdout: "", stderr: "self-runners: no queues named sr2-<pool>.fifo found: is --prefix (and --region) right?" });
  });
});
