import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayDeduplicationId } from "../../cli/commands/dlq-replay.js";
import { jobKey } from "../../lambdas/libs/ledger/phases.js";
import { createHandler, defaultDeps } from "../../lambdas/scale-up/scale-up.lambda.js";
import { jobDeduplicationId } from "../../lambdas/shared/job-message.js";
import { lambdaContext, sqsEvent } from "../helpers/aws.js";
import { TEST_CREDENTIALS } from "../helpers/dynalite.js";
import { quietPowertools } from "../helpers/powertools.js";
import { scaleUpEnvFixture } from "../helpers/scale-up-env.js";
import { sqsRecord } from "../fault/world/sqs.js";
import { CliWorld } from "./cli-world.js";
import { facts, heldAtLimit, instance, launched, messageOf } from "./fixtures.js";

// `dlq replay` against dynalite (the ledger) and the fault world's SQS FIFO model: which dead letters
// go back and which stay, exact output, and end to end: a job redriven to the DLQ within the
// deduplication window is replayed, then the scale-up handler (its factory, real SQS, EC2 and
// DynamoDB adapters on the doubles) takes it from the queue and launches its runner.

quietPowertools();

describe("self-runners dlq replay", () => {
  const world = new CliWorld();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await world.start(["linux"]);
    const dlq = world.deadLetterQueue("linux");
    const letter = (name: string, body: string, groupId: string) => {
      world.clock += 1000;
      ids[name] = dlq.send({ body, groupId, deduplicationId: name }, world.clock).messageId;
    };
    const job = (jobId: number) => JSON.stringify(messageOf(facts(jobId, "linux"), new Date(world.clock - 3_600_000)));
    await heldAtLimit(world, facts(401, "linux"), 70);
    await world.ledger.receive(facts(402, "linux"), "d-402", world.now);
    await world.ledger.finish(facts(402, "linux"), "completed", "success", world.now);
    await world.ledger.expire(facts(403, "linux"), "job waited 3700 s, more than the maximum of 3600 s", world.now);
    await launched(world, facts(404, "linux"), 65, instance(world, "linux", "running"), "sr-linux-404");
    letter("limit", job(401), "401");
    letter("done", job(402), "402");
    letter("expired", job(403), "403");
    letter("launched", job(404), "404");
    letter("unreadable", "{not json", "x");
    letter("unknown", job(405), "405");
  });

  afterAll(() => world.stop());

  const row = (name: string, job: string, action: string, reason: string, actionWidth = 12) =>
    `${ids[name]}  ${job.padStart(3)}  ${job === "-" ? "      -" : "      1"}  ${action.padEnd(actionWidth)}  ${reason}`;

  it("with --dry-run, says what it would do and moves nothing", async () => {
    // Act
    const result = await world.cli("dlq", "replay", "--pool", "linux", "--dry-run", "--prefix", "sr");

    // Assert
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "MESSAGE                               JOB  ATTEMPT  ACTION        REASON",
        row("limit", "401", "would-replay", "ledger: received, scale-up claims it"),
        row("done", "402", "refused", "the ledger shows it done (completed: success)"),
        row("expired", "403", "refused", "the ledger shows it done (failed: job waited 3700 s, more than the maximum of 3600 s)"),
        row("launched", "404", "refused", "a runner was launched for it (ledger: launched)"),
        row("unreadable", "-", "refused", "unreadable: invalid job message: body is not JSON"),
        row("unknown", "405", "would-replay", "no ledger item: scale-up claims it"),
        "",
        "dry run: would replay 2, would refuse 4; nothing was moved",
      ].join("\n"),
    });
    expect(world.deadLetterQueue("linux").visible(world.clock)).toBe(6);
    expect(world.queue("linux").messages).toEqual([]);
  });

  it("moves the replayable jobs to the pool queue with their job ids and a replay deduplication id, leaving the others", async () => {
    // Act
    const result = await world.cli("dlq", "replay", "--pool", "linux", "--prefix", "sr");

    // Assert
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "MESSAGE                               JOB  ATTEMPT  ACTION    REASON",
        row("limit", "401", "replayed", "ledger: received, scale-up claims it", 8),
        row("done", "402", "refused", "the ledger shows it done (completed: success)", 8),
        row("expired", "403", "refused", "the ledger shows it done (failed: job waited 3700 s, more than the maximum of 3600 s)", 8),
        row("launched", "404", "refused", "a runner was launched for it (ledger: launched)", 8),
        row("unreadable", "-", "refused", "unreadable: invalid job message: body is not JSON", 8),
        row("unknown", "405", "replayed", "no ledger item: scale-up claims it", 8),
        "",
        "replayed 2 to the linux queue, refused 4 (left in its dead-letter queue)",
      ].join("\n"),
    });
    const queued = world.queue("linux").messages.map((m) => ({ groupId: m.groupId, deduplicationId: m.deduplicationId, body: JSON.parse(m.body), deliveryId: m.attributes.DeliveryId?.StringValue }));
    expect(queued).toEqual([401, 405].map((jobId) => ({
      groupId: String(jobId),
      deduplicationId: `${jobId}-1-replay-${world.clock}`,
      body: { ...messageOf(facts(jobId, "linux"), world.now) },
      deliveryId: `delivery-${jobId}`,
    })));
    const left = world.deadLetterQueue("linux").messages.map((m) => m.messageId);
    expect(left.sort()).toEqual([ids.done, ids.expired, ids.launched, ids.unreadable].sort());
    expect(world.deadLetterQueue("linux").visible(world.clock)).toBe(4);
  });

  it("prints JSON with --json", async () => {
    // Act
    const result = await world.cli("dlq", "replay", "--pool", "linux", "--prefix", "sr", "--json", "--dry-run");

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      pool: "linux",
      dryRun: true,
      lines: [
        { messageId: ids.done, jobId: 402, runAttempt: 1, phase: "completed", action: "refused", reason: "the ledger shows it done (completed: success)", deadLetterReason: null },
        { messageId: ids.expired, jobId: 403, runAttempt: 1, phase: "failed", action: "refused", reason: "the ledger shows it done (failed: job waited 3700 s, more than the maximum of 3600 s)", deadLetterReason: null },
        { messageId: ids.launched, jobId: 404, runAttempt: 1, phase: "launched", action: "refused", reason: "a runner was launched for it (ledger: launched)", deadLetterReason: null },
        { messageId: ids.unreadable, jobId: null, runAttempt: null, phase: null, action: "refused", reason: "unreadable: invalid job message: body is not JSON", deadLetterReason: null },
      ],
    });
  });

  it("fails with exit code 1 on a pool the deployment does not have", async () => {
    // Act
    const result = await world.cli("dlq", "replay", "--pool", "arm", "--prefix", "sr");

    // Assert
    expect(result).toEqual({ code: 1, stdout: "", stderr: "self-runners: no pool arm; the deployment's pools are linux" });
  });
});

describe("a replayed job gets its runner (end to end with the scale-up handler)", () => {
  const world = new CliWorld();

  beforeAll(() => world.start(["linux"]));
  afterAll(() => world.stop());

  it("launches the job scale-up gave back at a limit until the queue's redrive moved it to the DLQ", async () => {
    // Arrange: the webhook queues job 501; scale-up takes it twice and gives it back at the pool's limit;
    // the redrive policy (maxReceiveCount 2) then moves it to the DLQ, all within the five-minute
    // deduplication window of its `501-1` id.
    const job = facts(501, "linux");
    const queue = world.queue("linux");
    await world.ledger.receive(job, "delivery-501", world.now);
    queue.send({ body: JSON.stringify(messageOf(job, world.now)), groupId: "501", deduplicationId: jobDeduplicationId(job), attributes: { DeliveryId: { DataType: "String", StringValue: "delivery-501" } } }, world.clock);
    for (let receive = 0; receive < 3; receive += 1) {
      queue.receive(10, world.clock);
      await heldAtLimit(world, job, 0);
      world.clock += 31_000;
    }
    expect(world.deadLetterQueue("linux").messages.length).toBe(1);
    expect((await world.ledger.get(jobKey(job)))?.phase).toBe("received");

    // Act: replay, then scale-up consumes the queue.
    const replay = await world.cli("dlq", "replay", "--pool", "linux", "--prefix", "sr");
    const messages = queue.receive(10, world.clock);
    const answer = await scaleUpHandler(world)(sqsEvent(messages.map((m) => sqsRecord(queue, m))), lambdaContext("sr-scale-up"));

    // Assert
    expect(replay.code).toBe(0);
    expect(queue.deduplicated).toBe(0);
    expect(messages.map((m) => m.deduplicationId)).toEqual([replayDeduplicationId(job, world.now)]);
    expect(answer.batchItemFailures).toEqual([]);
    const record = await world.ledger.get(jobKey(job));
    expect(record?.phase).toBe("launched");
    expect(world.ec2.live().map((i) => i.instanceId)).toEqual([record?.instanceId]);
    expect((await world.db.items("sr-runners")).map((item) => item.instanceId)).toEqual([record?.instanceId]);
  });

  it("launches a job that had waited past the maximum job age: its age counts from the replay", async () => {
    // Arrange: job 502 waited 55 minutes, was dead-lettered and is replayed 10 minutes later (65 > 60).
    const job = facts(502, "linux");
    await world.ledger.receive(job, "delivery-502", new Date(world.clock - 55 * 60_000));
    world.deadLetterQueue("linux").send({ body: JSON.stringify(messageOf(job, new Date(world.clock - 55 * 60_000))), groupId: "502", deduplicationId: "m-502" }, world.clock);
    world.clock += 10 * 60_000;

    // Act
    await world.cli("dlq", "replay", "--pool", "linux", "--prefix", "sr");
    const queue = world.queue("linux");
    const answer = await scaleUpHandler(world)(sqsEvent(queue.receive(10, world.clock).map((m) => sqsRecord(queue, m))), lambdaContext("sr-scale-up"));

    // Assert
    expect(answer.batchItemFailures).toEqual([]);
    expect((await world.ledger.get(jobKey(job)))?.phase).toBe("launched");
  });
});

/** The scale-up handler from its factory: real adapters on the doubles, GitHub registration scripted. */
function scaleUpHandler(world: CliWorld) {
  const env = scaleUpEnvFixture({ sqsEndpoint: world.endpoint });
  const config = { region: "eu-west-1", endpoint: world.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const deps = defaultDeps(env, { ec2: new EC2Client(config), sqs: new SQSClient(config), dynamoDb: world.db.client });
  let runnerId = 100;
  return createHandler(() => ({
    ...deps,
    registerRunner: async (request) => ({ runnerId: (runnerId += 1), encodedJitConfig: `jit-${request.instanceId}` }),
    isDraining: async () => false,
    now: () => world.now,
  }));
}
