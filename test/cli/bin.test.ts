import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../scripts/build-cli.js";
import { TEST_CREDENTIALS } from "../helpers/dynalite.js";
import { AwsFault, serviceEndpointEnv } from "../helpers/loopback-aws.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { CliWorld } from "./cli-world.js";
import { facts, instance, launched, messageOf, received } from "./fixtures.js";

// The bundled bin (scripts/build-cli.ts) run as a child process, as an operator runs it: the SDK's
// default chains pick up the endpoints (AWS_ENDPOINT_URL_<service>), region and credentials.

const world = await new CliWorld().start(["linux"]);
const dir = mkdtempSync(join(tmpdir(), "sr-cli-"));
let bin = "";

beforeAll(async () => {
  bin = await buildCli(REPO_ROOT, join(dir, "self-runners.mjs"));
  await received(world, facts(101, "linux"), 3);
  await launched(world, facts(102, "linux"), 2, instance(world, "linux", "pending"), "sr-linux-102");
  world.deadLetterQueue("linux").send({ body: JSON.stringify(messageOf(facts(103, "linux"), world.now)), groupId: "103", deduplicationId: "103-1" }, world.clock);
});

afterAll(async () => {
  await world.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function runBin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    // The SDK warns on Node 20 about its future minimum version; that line is not the CLI's output.
    NODE_NO_WARNINGS: "1",
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_MAX_ATTEMPTS: "1",
    ...serviceEndpointEnv({ DynamoDB: world.db.endpoint, SQS: world.endpoint, SSM: world.endpoint, EC2: world.endpoint }),
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...argv], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("the self-runners bin", () => {
  it("turns draining on and shows it in the status", async () => {
    // Act
    const drain = await runBin("drain", "on", "--prefix", "sr", "--region", "eu-west-1");
    const status = await runBin("status", "--prefix", "sr", "--region", "eu-west-1");

    // Assert
    expect(drain).toEqual({ code: 0, stderr: "", stdout: "draining off -> on (/sr/draining): scale-up stops launching within a minute; jobs stay queued\n" });
    expect(status).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "draining: on (launches paused)",
        "",
        "POOL   RECEIVED  LAUNCHING  LAUNCHED  RUNNING  OVER-LIMITS  DLQ  BOOTING  IDLE  BUSY  OFFLINE",
        "linux         1          0         1        0            0    1        1     0     0        0",
        "",
        "GitHub budget: no observation yet (scale-up records one per App after its first GitHub call)",
        "",
      ].join("\n"),
    });
  });

  it("exits 2 on a usage error and 1 when AWS refuses, with the message on stderr", async () => {
    // Arrange
    world.refuse = (target) => (target === "AmazonSSM.GetParameter" ? new AwsFault("AccessDeniedException", 400, "User is not authorized to perform: ssm:GetParameter") : undefined);

    // Act
    const usage = await runBin("drain", "--prefix", "sr");
    const refused = await runBin("drain", "off", "--prefix", "sr", "--region", "eu-west-1").finally(() => (world.refuse = () => undefined));

    // Assert
    expect(usage).toEqual({ code: 2, stdout: "", stderr: "self-runners: drain takes on or off, got nothing\nRun `self-runners --help` for usage.\n" });
    expect(refused).toEqual({ code: 1, stdout: "", stderr: "self-runners: AWS AccessDeniedException (HTTP 400): User is not authorized to perform: ssm:GetParameter\n" });
  });
});
